"""``lvlmkb discover``: find candidate papers on arXiv and queue them for review."""
