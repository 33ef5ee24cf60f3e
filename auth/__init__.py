"""Authentication (who is calling) and the field policy (what they may read)."""
