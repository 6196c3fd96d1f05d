"""vlsbench."""
