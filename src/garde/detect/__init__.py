"""Detection engines: Sigma rules (``sigma``), and later behavioural analytics."""
