"""Use cases that chain the stages: ingest, search, detect... Entrypoints call these."""
