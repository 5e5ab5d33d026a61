"""Garde correlate stage (grows with later issues)."""
