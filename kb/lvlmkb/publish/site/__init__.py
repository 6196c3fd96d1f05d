"""The static website: Markdown pages written from the KB, then built by MkDocs Material."""
