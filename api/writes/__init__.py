"""Write endpoints: issuances, transfers, retirements, detokenisations, cancellations, batch
settings (freeze, labels), pool deposits, redemptions, retirements and unit transfers, and the
status of a request."""

from fastapi import APIRouter

from api.writes import (
    batches,
    cancellations,
    detokenisations,
    issuances,
    pools,
    requests,
    retirements,
    transfers,
)

router = APIRouter()
for module in (
    issuances,
    transfers,
    retirements,
    detokenisations,
    cancellations,
    batches,
    pools,
    requests,
):
    router.include_router(module.router)

__all__ = ["router"]
