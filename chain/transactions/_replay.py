"""A mined transaction that reverted, replayed as a call to recover its revert data.

A node without the debug API (``debug_traceTransaction``) keeps no record of why a mined
transaction reverted; running the same call again is the only way back to its error. It runs on
the parent block's state first; if that one runs (a time-bound request, say, mined a second
after its deadline: the parent block is earlier), on the block's own: its timestamp, and a state
the reverted transaction left unchanged. An earlier transaction of the same block may have
caused the revert, so a replay can miss or differ from what happened; callers say so.
``TxSender`` (web3) and the API's ``Node`` (raw JSON-RPC or eth-tester) each make the call their
own way and replay through here.
"""

from __future__ import annotations

from collections.abc import Callable

from chain._revert import revert_data


def replayed_revert(call_at: Callable[[int], object], mined_in: int) -> bytes | None:
    """The revert data of the first replay that fails: ``call_at(block)`` on the parent of block
    ``mined_in``, then on ``mined_in`` itself. ``None`` if both run, or the failure carries no
    data."""
    for block in (mined_in - 1, mined_in):
        try:
            call_at(block)
        except Exception as exc:
            return revert_data(exc)
    return None
