"""hiddendetect."""
