"""Public read routes: batches, holdings, serials, events, stats, retirements, certificates.

``router`` aggregates them; ``api.app`` mounts it behind the public-read policy.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
