"""bench/api.py in a small run (no timing is asserted): it drives a real ``serve`` on anvil,
every issuance is confirmed, the readers in their own process read what was bridged, and the
JSON has the figures the closing notes quote."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from bench import api


@pytest.mark.anvil
def test_a_short_run_bridges_reads_and_reports() -> None:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = api.main(
            ["--clients", "6", "--readers", "2", "--warmup", "4", "--seconds", "4", "--json"]
        )
    assert status == 0
    figures = json.loads(stdout.getvalue())
    assert figures["failures"] == {}, figures["failures"]
    assert figures["posts_not_201_in_window"] == 0
    assert figures["issuances_confirmed_per_s"] > 0
    assert figures["chain_bridged_per_s"] > 0 and 0 < figures["block_gas_share"] <= 1
    assert figures["serial_lookups"] > 0 and figures["holdings_reads"] > 0
    for key in ("serial_p50_ms", "serial_p99_ms", "holdings_p50_ms", "holdings_p99_ms"):
        assert figures[key] > 0
