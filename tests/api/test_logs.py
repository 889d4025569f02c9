"""Structured logs: every record, uvicorn's included, as one JSON object per line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from api.logs import configure


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_level_logger_message_and_extras(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("INFO", "json")
    logging.getLogger("carbon_ledger.api").info(
        "settled %d transactions", 3, extra={"tx_hash": "0xab", "block": 7}
    )
    logging.getLogger("carbon_ledger.api").debug("below the level: not written")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO"
    assert entry["logger"] == "carbon_ledger.api"
    assert entry["message"] == "settled 3 transactions"
    assert entry["tx_hash"] == "0xab" and entry["block"] == 7
    assert entry["ts"].endswith("+00:00")


def test_exceptions_and_uvicorn_records_are_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    try:
        raise ValueError("名字 broke")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("request failed")
    entry = json.loads(capsys.readouterr().err.strip())
    assert entry["logger"] == "uvicorn.error"
    assert "ValueError: 名字 broke" in entry["exception"]


def test_text_format_stays_human(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "text", prefix="indexer ")
    logging.getLogger("chain.indexer").warning("behind by %d blocks", 4)
    line = capsys.readouterr().err.strip()
    assert line.endswith("WARNING indexer chain.indexer: behind by 4 blocks")
