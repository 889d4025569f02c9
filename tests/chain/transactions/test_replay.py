"""chain.transactions._replay: a reverted transaction replayed on its parent block, then its own."""

from __future__ import annotations

from collections.abc import Callable

from chain.transactions._replay import replayed_revert


def _node(reverts_on: set[int]) -> tuple[list[int], Callable[[int], object]]:
    """A call that reverts with the block's number as data on ``reverts_on``; and its log."""
    asked: list[int] = []

    def call_at(block: int) -> object:
        asked.append(block)
        if block in reverts_on:
            raise ValueError("execution reverted", bytes([block]))  # eth-tester carries bytes
        return b""

    return asked, call_at


def test_the_parent_blocks_revert_is_the_answer() -> None:
    asked, call_at = _node({9, 10})
    assert replayed_revert(call_at, 10) == bytes([9])
    assert asked == [9]


def test_a_call_that_runs_on_the_parent_is_replayed_on_its_own_block() -> None:
    asked, call_at = _node({10})  # mined just after a deadline the parent block was before
    assert replayed_revert(call_at, 10) == bytes([10])
    assert asked == [9, 10]


def test_no_revert_and_a_revert_without_data_give_none() -> None:
    asked, call_at = _node(set())
    assert replayed_revert(call_at, 10) is None
    assert asked == [9, 10]

    def no_data(block: int) -> object:
        raise RuntimeError("the node said no")

    assert replayed_revert(no_data, 10) is None
