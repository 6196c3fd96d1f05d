"""llavaguard."""
