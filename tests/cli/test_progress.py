"""Progress on stderr: a Rich bar with rate and time left on a terminal, plain lines on a pipe."""

from __future__ import annotations

import io
import re

from chain.indexer.core import Progress
from cli._progress import AuditProgress, ImportProgress, IndexProgress


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr on a console does."""

    def isatty(self) -> bool:
        return True

    def text(self) -> str:
        """What was written, without the terminal's colour and cursor codes."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.getvalue())


def test_the_import_progress_writes_lines_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = ImportProgress("vcs import", stream)
    bar(25, 200, 3)
    bar(50, 200, 6)  # within a few seconds of the last line: not shown
    bar(200, 200, 19)
    assert stream.getvalue().splitlines() == [
        "vcs import: 25/200 rows, 3 transactions",
        "vcs import: 200/200 rows, 19 transactions",
    ]


def test_on_a_terminal_the_import_shows_a_bar_with_its_rate_and_stops_at_the_end() -> None:
    stream = Terminal()
    bar = ImportProgress("vcs import", stream)
    bar(100, 200, 7)
    bar(200, 200, 19)
    assert bar.bar is not None and bar.bar.task is None  # stopped at the total
    shown = stream.text()
    assert "vcs import" in shown and "200/200 rows" in shown and "19 transactions" in shown
    assert "rows/s" in shown and "━" in shown


def test_the_index_progress_writes_a_line_a_second_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    show = IndexProgress(stream)
    show(Progress(block=1_200, head=5_000, events=9_000, audit_seq=9_000, elapsed=2.0))
    show(Progress(block=1_300, head=5_000, events=9_500, audit_seq=9_500, elapsed=2.1))
    show.close()
    assert stream.getvalue().splitlines() == [
        "block 1,200 of 5,000 (lag 3800), 9,000 events, 4,500 events/s"
    ]


def test_on_a_terminal_the_index_bar_stays_up_until_closed() -> None:
    stream = Terminal()
    show = IndexProgress(stream)
    show(Progress(block=5_000, head=5_000, events=9_000, audit_seq=9_000, elapsed=2.0))
    assert show.bar is not None and show.bar.task is not None  # --follow: more blocks to come
    show.close()
    assert show.bar.task is None
    assert "indexing" in stream.text() and "5000/5000 blocks" in stream.text()


def test_audit_steps_are_lines_and_counts_a_bar_only_on_a_terminal() -> None:
    pipe = io.StringIO()
    shown = AuditProgress(pipe)
    shown.say("replaying holdings")
    shown.count("batches compared", 1, 2)
    shown.close()
    assert pipe.getvalue() == "replaying holdings\n"

    terminal = Terminal()
    shown = AuditProgress(terminal)
    shown.count("batches compared", 1, 2)
    shown.count("batches compared", 2, 2)
    shown.say("diffing every table")
    text = terminal.text()
    assert "batches compared" in text and "2/2 batches" in text
    assert text.endswith("diffing every table\n")
