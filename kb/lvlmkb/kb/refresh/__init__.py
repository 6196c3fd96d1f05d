"""``lvlmkb refresh``: re-check entries against their sources online (arXiv, DBLP, citation services, code hosts)."""
