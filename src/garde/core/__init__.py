"""Pure domain: the event schema, batches, errors and the ports (Protocols) adapters implement."""
