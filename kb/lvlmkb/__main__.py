"""``python -m lvlmkb`` runs the command line."""

from lvlmkb.cli import app

app(prog_name="lvlmkb")
