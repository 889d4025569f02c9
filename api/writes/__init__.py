"""Write endpoints: issuances, transfers, retirements, and the status of a request."""

from fastapi import APIRouter

from api.writes import issuances, requests, retirements, transfers

router = APIRouter()
for module in (issuances, transfers, retirements, requests):
    router.include_router(module.router)

__all__ = ["router"]
