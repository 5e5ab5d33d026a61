"""Garde web stage (grows with later issues)."""
