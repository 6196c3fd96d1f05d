"""cider."""
