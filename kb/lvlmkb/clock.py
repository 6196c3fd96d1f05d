"""Today's date for the online commands, in one place so tests can set it."""

from __future__ import annotations

import datetime as dt


def today() -> dt.date:
    """The local calendar day (the ``checked`` day of every source a command records)."""
    return dt.date.today()
