"""figstep."""
