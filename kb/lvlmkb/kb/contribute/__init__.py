"""Contributing papers: arXiv metadata, classification suggestions and new paper files."""
