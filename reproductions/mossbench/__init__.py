"""mossbench."""
