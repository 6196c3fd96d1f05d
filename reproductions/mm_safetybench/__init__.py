"""mm_safetybench."""
