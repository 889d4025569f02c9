"""bench/gas.py as a regression test of the gas design (budgets), not of speed.

Runs the script's ``--json`` path in-process with 50 bridgings into one namespace instead of
1,000 (the insert cost does not depend on the count: the list insert is O(1) with a hint), and
a large pool of 20 batches rather than 10,000 (deposits, redeeming and retiring from the head
cost the same whatever the pool holds; ``pool_deposit_1000th`` is then the 20th deposit: the
1,000th and the 10,000-batch pool are ``python bench/gas.py``'s, recorded in ARCHITECTURE).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from bench import gas

BRIDGINGS = "50"
POOL_BATCHES = "20"


@pytest.fixture(scope="module")
def figures() -> dict[str, int]:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = gas.main(
            ["--json", "--namespace-bridgings", BRIDGINGS, "--pool-batches", POOL_BATCHES]
        )
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 1, lines  # exactly one JSON object on stdout
    result: dict[str, int] = json.loads(lines[0])
    assert status == 0, gas.budget_failures(result)
    return result


def test_json_has_every_required_key_as_an_integer(figures: dict[str, int]) -> None:
    missing = [k for k in gas.REQUIRED_KEYS if k not in figures]
    assert not missing
    assert all(type(v) is int and v > 21_000 for v in figures.values())


def test_bridging_keeps_its_budget_whatever_the_quantity(figures: dict[str, int]) -> None:
    assert figures["bridge_1t"] <= 150_000
    assert figures["bridge_10Mt"] <= 150_000
    # Quantity is only calldata: 10 Mt may not cost more than a handful of nonzero bytes more.
    assert abs(figures["bridge_10Mt"] - figures["bridge_1t"]) < 1_000


def test_bridging_does_not_grow_with_the_namespace(figures: dict[str, int]) -> None:
    first, nth = figures["bridge_1st"], figures["bridge_1000th"]
    assert abs(nth - first) <= 0.02 * first


def test_holdings_budgets(figures: dict[str, int]) -> None:
    assert figures["transfer_split"] <= 110_000
    assert figures["retire_partial"] <= 120_000
    # Shapes: splitting writes more new range slots than moving a whole range.
    assert figures["transfer_whole"] < figures["transfer_split_start"] < figures["transfer_split"]
    assert figures["retire_whole"] < figures["retire_partial"] < figures["retire_partial_middle"]


def test_correction_budgets(figures: dict[str, int]) -> None:
    # Voiding unlinks one part and cancels one range; recovery moves one range whole.
    assert figures["void"] <= 120_000
    assert figures["recover"] <= 110_000


def test_no_budget_failures(figures: dict[str, int]) -> None:
    assert gas.budget_failures(figures) == []


def test_budget_failures_are_reported() -> None:
    figures = dict.fromkeys(gas.OPERATIONS, 100_000)
    assert gas.budget_failures(figures) == []
    figures["bridge_10Mt"] = 150_001
    figures["bridge_1000th"] = 103_000  # 3% above bridge_1st
    failures = gas.budget_failures(figures)
    assert len(failures) == 2
    assert failures[0].startswith("bridge_10Mt = 150,001 exceeds")
    assert failures[1].startswith("bridge_1000th = 103,000 exceeds")
    assert "NO" in gas.table(figures)


def test_report_states_the_comparison() -> None:
    figures = dict.fromkeys(gas.OPERATIONS, 100_000)
    same = gas.report(figures, "anvil", 1000, [], [], compared=True)
    assert "match the embedded py-evm chain exactly" in same
    assert "All budgets kept." in same
    differs = gas.report(
        figures, "anvil", 1000, gas.compare(figures, {**figures, "cancel": 1}), [], True
    )
    assert "cancel: 100,000 here, 1 on py-evm" in differs


def test_main_exits_1_and_says_why_when_a_budget_is_exceeded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    over = {**dict.fromkeys(gas.OPERATIONS, 100_000), "transfer_split": 110_001}
    monkeypatch.setattr(gas, "embedded_backend", contextlib.nullcontext)
    monkeypatch.setattr(gas, "measure", lambda w3, **_: over)
    assert gas.main(["--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == over
    assert "transfer_split = 110,001 exceeds its budget (≤ 110,000)" in err
    assert gas.main([]) == 1
    out, _ = capsys.readouterr()
    assert "Budgets exceeded:" in out and "NO" in out


@pytest.mark.anvil
def test_anvil_gives_the_same_figures_as_py_evm(capsys: pytest.CaptureFixture[str]) -> None:
    from chain.anvil import find_anvil
    from chain.errors import AnvilNotFound

    try:
        find_anvil()
    except AnvilNotFound as exc:
        pytest.skip(f"anvil is not installed: {exc}")
    status = gas.main(["--anvil", "--namespace-bridgings", "5", "--pool-batches", POOL_BATCHES])
    out = capsys.readouterr().out
    assert f"All {len(gas.OPERATIONS)} figures match the embedded py-evm chain exactly." in out
    assert status == 0


def test_a_linked_projects_bridging_keeps_the_bridging_budget(figures: dict[str, int]) -> None:
    # One more read (the link group's word) and, when its programme's claim grows, one write.
    assert figures["bridge_linked"] <= 150_000
    assert figures["bridge_1000th"] < figures["bridge_linked_claimed"] < figures["bridge_linked"]
    assert figures["link_projects"] == figures["link_propose"] + figures["link_accept"]
