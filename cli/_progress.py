"""Progress while a command runs, on stderr. On a terminal a Rich bar with the count, the rate
and the time left; on a pipe (a log, a test's capture) a plain line now and then and at the
end, so a log shows where the run was without the bar's redrawing. stdout, where ``--json``
goes, is never touched."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

if TYPE_CHECKING:
    from chain.indexer.core import Progress as IndexerProgress


class _Rate(ProgressColumn):
    """Units a second, over Rich's recent samples; blank until there are two."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(
            "" if speed is None else f"{speed:,.0f} {self.unit}/s", style="progress.data.speed"
        )


class _Bar:
    """One Rich bar on a terminal stream, started at its first update and stopped by
    ``close`` or, with ``until_total``, when ``done`` reaches ``total``."""

    def __init__(
        self, stream: TextIO, label: str, unit: str, detail: str, *, until_total: bool
    ) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TextColumn(detail),
            _Rate(unit),
            TimeRemainingColumn(),
            console=Console(file=stream),
        )
        self.label = label
        self.until_total = until_total
        self.task: TaskID | None = None

    def update(self, done: int, total: int, **fields: Any) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total, **fields)
        self.progress.update(self.task, completed=done, total=total, **fields)
        if self.until_total and done >= total:
            self.close()

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()
            self.task = None


class ImportProgress:
    """``import``'s rows: ``(done, total, transactions)`` after each chunk of rows; on a pipe
    ``vcs import: 120/200 rows, 12 transactions`` at most every ``every`` seconds and at the
    end."""

    def __init__(self, label: str, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.bar = (
            _Bar(
                self.stream,
                label,
                "rows",
                "{task.fields[transactions]:,} transactions",
                until_total=True,
            )
            if self.stream.isatty()
            else None
        )
        self._shown = 0.0

    def __call__(self, done: int, total: int, transactions: int) -> None:
        if self.bar is not None:
            self.bar.update(done, total, transactions=transactions)
        elif done >= total or time.monotonic() - self._shown >= self.every:
            self._shown = time.monotonic()
            print(
                f"{self.label}: {done}/{total} rows, {transactions} transactions",
                file=self.stream,
                flush=True,
            )


class IndexProgress:
    """``index``'s blocks up to the node's head, after each commit (the bar stays up while
    ``--follow`` follows: ``close`` ends it); on a pipe ``block 1,200 of 5,000 (lag 3800),
    9,000 events, 4,500 events/s`` at most every ``every`` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.bar = (
            _Bar(
                self.stream,
                "indexing",
                "blocks",
                "{task.fields[events]:,} events",
                until_total=False,
            )
            if self.stream.isatty()
            else None
        )
        self._shown = 0.0

    def __call__(self, p: IndexerProgress) -> None:
        if self.bar is not None:
            self.bar.update(p.block, p.head, events=p.events)
        elif time.monotonic() - self._shown >= self.every:
            self._shown = time.monotonic()
            print(
                f"block {p.block:,} of {p.head:,} (lag {p.lag}), {p.events:,} events, "
                f"{p.events_per_second:,.0f} events/s",
                file=self.stream,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class AuditProgress:
    """``audit verify``: each step's name as a line (``say``), terminal or not, and on a
    terminal a bar for each step that counts (``count``: batches compared with contract
    storage, blocks re-indexed into the in-memory store)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.bar: _Bar | None = None

    def say(self, message: str) -> None:
        self.close()
        print(message, file=self.stream)

    def count(self, step: str, done: int, total: int) -> None:
        if not self.tty:
            return
        if self.bar is None or self.bar.label != step:
            self.close()
            self.bar = _Bar(self.stream, step, step.split()[0], "", until_total=True)
        self.bar.update(done, total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
