"""ecso."""
