"""A programme-scoped key acts only on its own programme's batches.

The contract enforces it too (each programme's roles are its own); asking first answers a key
of another programme with a 403 that names both programmes, without a transaction.
"""

from __future__ import annotations

from api.auth import Principal
from api.problems import Problem
from api.submission import calls
from api.writes.views import Views


def require_programme(views: Views, principal: Principal, batch_id: int) -> None:
    """A 403 unless batch ``batch_id`` is of ``principal``'s programme (``UnknownBatch`` if
    there is no such batch)."""
    assert principal.program is not None
    program_id = views.batch_program(batch_id)
    if program_id == views.program_id(principal.program):
        return
    (code,) = calls.result(
        "programCode", views.node.call(views.contract, calls.calldata("programCode", program_id))
    )
    name = bytes(code).rstrip(b"\0").decode("ascii", "replace")
    raise Problem(
        403,
        "forbidden",
        "Forbidden",
        f"batch {batch_id} is of programme {name}; scope {principal.scope} acts on "
        f"{principal.program}'s batches only",
    )
