"""Garde collect stage (grows with later issues)."""
