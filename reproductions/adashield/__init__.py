"""adashield."""
