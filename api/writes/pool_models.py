"""Request and response bodies of the pool writes (``api.writes.pools``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.reads._common import JsonInt
from api.writes.models import (
    Address,
    BatchId,
    Beneficiary,
    Jurisdiction,
    Note,
    Period,
    Quantity,
    Serial,
    SerialsChoice,
    Strict,
)
from chain.domain import PurposeName

Units = Quantity
"""Units of a pool (one unit is one tonne): as many as a batch can hold."""


class PoolDepositCreate(SerialsChoice):
    """Exact serials of a batch the key's account holds (``first_serial``..``last_serial``),
    or ``quantity``: its lowest serials of the batch in one run. Mints as many units."""


class NamedRange(Strict):
    """A range the pool holds, as ``GET /v1/pools/{id}/ranges`` lists it."""

    batch_id: BatchId
    last_serial: Serial


class PoolRedemptionCreate(Strict):
    units: Units
    range: NamedRange | None = Field(
        default=None,
        description="redeem from this held range (its lowest serials) instead of the head of "
        "the pool's order (oldest vintage start, then lowest batch, then lowest serial)",
    )


class PoolRetirementCreate(Strict):
    units: Units
    beneficiary: Beneficiary
    purpose: PurposeName
    jurisdiction: Jurisdiction = ""
    consumption_period: Period | None = None
    note: Note = ""


class PoolTransferCreate(Strict):
    to: Address
    units: Units


class PoolRange(BaseModel):
    batch_id: int
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: int
    registry_serial: str | None = None
    """The range as its registry writes a serial (``null`` where none can be rebuilt)."""


class PoolRetired(PoolRange):
    id: int
    """The retirement id (one per range retired)."""
    certificate_url: str


class PoolWritePublic(BaseModel):
    request_id: str
    pool_id: int
    account: str
    units: int
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


class PoolDepositPublic(PoolWritePublic):
    batch_id: int
    first_serial: JsonInt
    last_serial: JsonInt
    registry_serial: str | None = None


class PoolRedemptionPublic(PoolWritePublic):
    ranges: list[PoolRange]
    """The exact serials the units were redeemed for, now held by ``account``."""


class PoolRetirementPublic(PoolWritePublic):
    beneficiary: str
    purpose: PurposeName
    retirements: list[PoolRetired]
    """One retirement (and certificate) per range retired, in the pool's order."""


class PoolTransferPublic(PoolWritePublic):
    to: str
