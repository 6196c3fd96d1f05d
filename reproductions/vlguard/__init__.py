"""vlguard."""
