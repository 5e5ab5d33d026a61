"""Garde audit stage (grows with later issues)."""
