"""Progress shown while a command runs."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``[#####-----] 120/200 rows, 12 transactions`` in place on a terminal; on a pipe, one
    line at most every few seconds and at the end."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._shown = 0.0

    def __call__(self, done: int, total: int, transactions: int) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        text = f"{self.label} [{bar}] {done}/{total} rows, {transactions} transactions"
        finished = done >= total
        if self.tty:
            print("\r" + text, end="\n" if finished else "", file=self.stream, flush=True)
        elif finished or time.monotonic() - self._shown >= 5:
            self._shown = time.monotonic()
            print(text, file=self.stream, flush=True)
