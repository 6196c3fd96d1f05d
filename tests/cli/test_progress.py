"""The one progress display: samples done, rate, elapsed and remaining time, drawn only once work starts."""

from __future__ import annotations

import pytest

from lvlmkb.cli.progress import progress_bar


def test_the_bar_shows_counts_elapsed_and_remaining_time(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("figstep+ecso × mock-comply") as update:
        update(0, 4)
        update(4, 4)
    shown = capsys.readouterr().err
    assert "figstep+ecso × mock-comply" in shown and "4/4" in shown
    assert "elapsed" in shown and "left" in shown


def test_nothing_is_drawn_when_the_run_stops_before_its_first_sample(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), progress_bar("figstep × mock-comply"):
        raise RuntimeError("a refused argument")
    assert capsys.readouterr().err == ""
