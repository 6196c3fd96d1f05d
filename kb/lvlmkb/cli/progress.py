"""A rich progress bar with samples per second and elapsed and remaining time, as a context manager."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yield ``update(done, total)``; the bar shows samples/s, the time taken so far and the time left.

    The bar is drawn at the first update, so an argument the run refuses is reported on a clean screen.
    """
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
    )
    progress = Progress(*columns, console=Console(stderr=True), transient=False)
    task = progress.add_task(label, total=None, rate="")
    started = False

    def update(done: int, total: int) -> None:
        nonlocal started
        if not started:
            progress.start()
            started = True
        speed = progress.tasks[0].speed
        rate = f"{speed:.2f} samples/s" if speed else ""
        progress.update(task, completed=done, total=total, rate=rate)

    try:
        yield update
    finally:
        if started:
            progress.stop()
