"""HTTP API (FastAPI): health now, the service layer over HTTP later."""
