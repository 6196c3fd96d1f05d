"""Fonts, image files and image generation shared by the attacks."""
