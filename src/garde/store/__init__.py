"""Storage adapters implementing the ports of garde.core.ports. Only bootstrap imports them."""
