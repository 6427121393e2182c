"""A progress bar on a terminal (bytes done of total, lines/s, identifiers replaced), with rich."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pseudolog.pipeline import Engine


def wanted(inputs: list[str], total: int | None) -> bool:
    """Only for file inputs and only when stderr is a terminal: never in pipes, services or CI logs."""
    return bool(inputs) and total is not None and sys.stderr.isatty()


@contextmanager
def progress_bar(engine: Engine, total: int) -> Iterator[Callable[[int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("pseudolog"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rate]} lines/s, {task.fields[replaced]} replaced"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("run", total=total, rate="0", replaced="0")

        def advance(nbytes: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            c = engine.counts()
            replaced = sum(c["replaced"].values())
            bar.update(task, advance=nbytes, rate=f"{c['lines_in'] / elapsed:,.0f}", replaced=f"{replaced:,}")

        yield advance
