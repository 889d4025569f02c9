"""An action rebuilt from its stored ``request`` JSON (after a restart) sends the same call
and answers the same response as the one the route planned."""

from __future__ import annotations

import json

import pytest

from api.submission import calls
from api.submission.actions import ACTIONS, Action, BatchSetting, Cancel, Detokenise

HOLDER = "0x" + "ab" * 20
RUNS = [[10, 19, 5], [30, 30, 30]]


def _rebuilt(action: Action) -> Action:
    stored = json.loads(json.dumps(action.request()))  # as the submissions row holds it
    return ACTIONS[action.kind].from_request(stored)


@pytest.mark.parametrize(
    "action",
    [
        Detokenise(7, RUNS, "VCS-RETURN-1", 90_000, {"batch_id": 7}),
        Detokenise(7, RUNS[:1], "VCS-RETURN-1", 60_000, {"batch_id": 7}),
        Cancel(7, HOLDER, RUNS, "registry reversal", 90_000, {"holder": HOLDER}),
        BatchSetting(calls.calldata("setBatchFrozen", 7, True), 50_000, {"frozen": True}),
    ],
    ids=["detokenise-multicall", "detokenise-one", "cancel", "batch-setting"],
)
def test_a_rebuilt_action_is_the_same_call(action: Action) -> None:
    again = _rebuilt(action)
    assert type(again) is type(action)
    assert again.request() == action.request()
    assert _calldata(again) == _calldata(action)


def _calldata(action: Action) -> bytes:
    if isinstance(action, BatchSetting):
        return action.data
    assert isinstance(action, Detokenise | Cancel)
    return action.calldata()


def test_several_runs_are_one_multicall_and_one_run_a_plain_call() -> None:
    one = Detokenise(7, RUNS[:1], "R", 1, {}).calldata()
    assert one[:4] == calls.calldata("detokenise", 7, 10, 19, 5, "R")[:4]
    several = Cancel(7, HOLDER, RUNS, "why", 1, {}).calldata()
    assert several[:4] == calls.calldata("multicall", [])[:4]
