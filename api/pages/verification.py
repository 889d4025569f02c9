"""The result of the last audit verification the server ran, as the dashboard and the audit page
show it; ``None`` while it has run none.

The server runs verifications for ``GET /v1/audit/verify`` (the read routes' verifier, which
remembers its last result); until that verifier is part of the app, no verification runs on
the server, and the pages say so and show the command an auditor runs instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.deps import Services


@dataclass(frozen=True)
class LastVerification:
    ok: bool
    audit_seq: int
    audit_head: str
    discrepancies: list[str]
    checked_at: str | None
    """ISO 8601, UTC."""


def last_verification(services: Services) -> LastVerification | None:
    del services  # the verifier that would have run one is not in the app yet (see above)
    return None
