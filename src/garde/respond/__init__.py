"""Garde respond stage (grows with later issues)."""
