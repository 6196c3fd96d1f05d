"""siuo."""
