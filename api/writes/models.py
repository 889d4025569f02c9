"""Bodies of the write endpoints and their answers (SPEC section 3).

Every write body forbids unknown fields, so a misspelt field is a 422 naming it rather than a
silently ignored one. Issuances and retirements come in two forms, told apart by the presence of
``signature``: custodial (the API signs with the key's custodial account) and signed (EIP-712
typed data the registry or holder signed with its own key; the API relays it). The union tags
start with ``~`` so validation errors name the client's own fields (``api.problems``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.reads._common import JsonInt
from api.roles import PROGRAM_PATTERN
from chain import canonical
from chain.canonical import (
    DETOKENISE_REFERENCE,
    MAX_BATCH_QUANTITY,
    MAX_SERIAL,
    TEXT_FIELDS,
    TextField,
    TextRejected,
)
from chain.domain import LABEL_BITS, LabelName, Purpose, PurposeName, purpose_name

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
BYTES32 = r"^0x[0-9a-fA-F]{64}$"
HEXBYTES = r"^0x([0-9a-fA-F]{2})+$"
Address = Annotated[str, Field(pattern=ADDRESS, examples=["0x" + "ab" * 20])]
Serial = Annotated[int, Field(ge=0, le=MAX_SERIAL)]
BatchId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Quantity = Annotated[int, Field(ge=1, le=MAX_BATCH_QUANTITY)]


def _written(rule: TextField) -> AfterValidator:
    """Text a person writes: normalised (NFC, trimmed), then refused with a 422 naming the field
    if the ledger would refuse it (``chain.canonical.clean_text``)."""
    return AfterValidator(lambda value: canonical.clean_text(value, rule))


def _signed(rule: TextField) -> AfterValidator:
    """Text inside a signed message: it cannot be normalised without breaking the signature, so
    it must already be in canonical form, and acceptable to the ledger."""

    def check(value: str) -> str:
        clean = canonical.clean_text(value, rule)
        if clean != value:
            raise TextRejected(
                "is not in canonical form (Unicode NFC, no surrounding whitespace): sign "
                f"{clean!r} instead"
            )
        return value

    return AfterValidator(check)


Beneficiary = Annotated[str, _written(TEXT_FIELDS["beneficiary"])]
Jurisdiction = Annotated[str, _written(TEXT_FIELDS["jurisdiction"])]
Note = Annotated[str, _written(TEXT_FIELDS["note"])]

LABELS: tuple[LabelName, ...] = tuple(LABEL_BITS)
"""Label names in bit order: a label's bit is ``1 << LABELS.index(name)``."""
PURPOSES: tuple[PurposeName, ...] = tuple(purpose_name(p) for p in Purpose)
"""Purpose names in the order of their values."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Camel(BaseModel):
    """EIP-712 messages keep the contract's field names (``firstSerial``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------------------- issuances


class ProjectIn(Strict):
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="registry project id, in the registry's own spelling (ACR1185, VCS1340, "
        "GS11236 or the bare number); taken from the serial when the format holds one",
    )
    name: Annotated[str, _written(TEXT_FIELDS["name"])]
    country: Annotated[str, _written(TEXT_FIELDS["country"])]
    methodology: Annotated[str, _written(TEXT_FIELDS["methodology"])] = ""
    type: Annotated[str, _written(TEXT_FIELDS["projectType"])] = ""


class IssuanceCreate(Strict):
    """Bridge the block a registry serial names, signed by the key's custodial account."""

    program: str = Field(pattern=PROGRAM_PATTERN, examples=["VCS"])
    serial: str = Field(
        min_length=1,
        max_length=512,
        examples=["19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"],
    )
    recipient: Address
    project: ProjectIn
    vintage_start: dt.date
    vintage_end: dt.date
    labels: list[LabelName] = Field(default_factory=list, max_length=len(LABELS))
    registry_reference: Annotated[str, _written(TEXT_FIELDS["registryReference"])] | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("vintage_end")
    @classmethod
    def _ordered(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("vintage_start")
        if start is not None and end < start:
            raise ValueError(f"the vintage ends ({end}) before it starts ({start})")
        return end

    @field_validator("vintage_start", "vintage_end")
    @classmethod
    def _plausible(cls, day: dt.date) -> dt.date:
        if day.year < 1900:
            raise ValueError("dates before 1900 are not vintages")
        return day


class Domain(Camel):
    name: Literal["CarbonLedger"]
    version: Literal["1"]
    chain_id: int = Field(alias="chainId", ge=0)
    verifying_contract: Address = Field(alias="verifyingContract")


class BridgeMessage(Camel):
    program_id: int = Field(alias="programId", ge=1, le=2**16 - 1)
    project_key: str = Field(alias="projectKey", pattern=BYTES32)
    namespace: str = Field(min_length=1, max_length=canonical.IDENTIFIER)
    first_serial: Serial = Field(alias="firstSerial")
    last_serial: Serial = Field(alias="lastSerial")
    recipient: Address
    vintage_start: int = Field(alias="vintageStart", ge=19000101, le=99991231)
    vintage_end: int = Field(alias="vintageEnd", ge=19000101, le=99991231)
    labels: int = Field(ge=0, le=2**16 - 1)
    metadata_hash: str = Field(alias="metadataHash", pattern=BYTES32)
    registry_reference: Annotated[str, _signed(TEXT_FIELDS["registryReference"])] = Field(
        alias="registryReference"
    )
    nonce: int = Field(ge=0, le=2**256 - 1)
    deadline: int = Field(ge=0, le=2**256 - 1)


class TypedData(Camel):
    """EIP-712 typed data as any wallet library produces it."""

    types: dict[str, Any] = Field(
        default_factory=dict, description="ignored: the contract's own types are used"
    )
    domain: Domain


class BridgeTypedData(TypedData):
    primary_type: Literal["Bridge"] = Field(alias="primaryType")
    message: BridgeMessage


class IssuanceSigned(Strict):
    """A bridging the registry signed with its own key (EIP-712), relayed by the API."""

    typed_data: BridgeTypedData
    signer: Address
    signature: str = Field(pattern=HEXBYTES, max_length=4098)
    project: ProjectIn | None = Field(
        default=None,
        description="registered first (by the key's custodial account) if the ledger lacks it",
    )


def _form(value: Any) -> str:
    signed = "signature" in value if isinstance(value, dict) else hasattr(value, "signature")
    return "~signed" if signed else "~custodial"


IssuanceBody = Annotated[
    Annotated[IssuanceCreate, Tag("~custodial")] | Annotated[IssuanceSigned, Tag("~signed")],
    Discriminator(_form),
]


class IssuanceTypedDataRequest(IssuanceCreate):
    """What to sign for a signed issuance: the custodial body, plus who signs and until when."""

    signer: Address
    deadline: int | None = Field(
        default=None, ge=0, description="unix time; default one hour from now"
    )


class TypedDataOut(BaseModel):
    typed_data: dict[str, Any]


class IssuancePublic(BaseModel):
    id: str = Field(description="the request id (status: GET /v1/requests/{id})")
    request_id: str
    batch_id: int
    program: str
    namespace: str
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: int
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


# ---------------------------------------------------------------------------- holders


class SerialsChoice(Strict):
    """Either ``quantity`` (the holder's lowest serials) or exact ``first_serial``..``last_serial``."""

    batch_id: BatchId
    quantity: Quantity | None = None
    first_serial: Serial | None = None
    last_serial: Serial | None = None

    @model_validator(mode="after")
    def _one_way(self) -> SerialsChoice:
        exact = (self.first_serial, self.last_serial)
        if self.quantity is not None and any(v is not None for v in exact):
            raise ValueError("give quantity or first_serial and last_serial, not both")
        if self.quantity is None and None in exact:
            raise ValueError("give quantity, or both first_serial and last_serial")
        first, last = exact
        if first is not None and last is not None and last < first:
            raise ValueError("last_serial is below first_serial")
        return self


class TransferCreate(SerialsChoice):
    to: Address


class Run(BaseModel):
    first_serial: JsonInt
    last_serial: int


class TransferPublic(BaseModel):
    id: str
    request_id: str
    batch_id: int
    sender: str = Field(alias="from")
    to: str
    quantity: int
    ranges: list[Run]
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


class Period(Strict):
    start: dt.date
    end: dt.date

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError("the period ends before it starts")
        return end


class RetirementCreate(SerialsChoice):
    beneficiary: Beneficiary
    purpose: PurposeName
    jurisdiction: Jurisdiction = ""
    consumption_period: Period | None = None
    note: Note = ""


class RetireMessage(Camel):
    holder: Address
    batch_id: BatchId = Field(alias="batchId")
    first_serial: Serial = Field(alias="firstSerial")
    last_serial: Serial = Field(alias="lastSerial")
    beneficiary: Annotated[str, _signed(TEXT_FIELDS["beneficiary"])]
    purpose: int = Field(ge=0, le=3)
    jurisdiction: Annotated[str, _signed(TEXT_FIELDS["jurisdiction"])]
    consumption_start: int = Field(alias="consumptionStart", ge=0, le=99991231)
    consumption_end: int = Field(alias="consumptionEnd", ge=0, le=99991231)
    note: Annotated[str, _signed(TEXT_FIELDS["note"])]
    nonce: int = Field(ge=0, le=2**256 - 1)
    deadline: int = Field(ge=0, le=2**256 - 1)


class RetireTypedData(TypedData):
    primary_type: Literal["Retire"] = Field(alias="primaryType")
    message: RetireMessage


class RetirementSigned(Strict):
    """A retirement the holder signed with its own key (EIP-712), relayed by the API."""

    typed_data: RetireTypedData
    signature: str = Field(pattern=HEXBYTES, max_length=4098)


RetirementBody = Annotated[
    Annotated[RetirementCreate, Tag("~custodial")] | Annotated[RetirementSigned, Tag("~signed")],
    Discriminator(_form),
]


class RetirementTypedDataRequest(RetirementCreate):
    holder: Address
    deadline: int | None = Field(default=None, ge=0)


class RetirementPublic(BaseModel):
    id: int = Field(description="the retirement id")
    request_id: str
    batch_id: int
    holder: str
    first_serial: JsonInt
    last_serial: JsonInt
    quantity: int
    beneficiary: str
    purpose: PurposeName
    certificate_url: str
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


# ---------------------------------------------------------------------------- detokenisations


class DetokenisationCreate(SerialsChoice):
    """The key's own credits returned to the registry (by quantity: the lowest serials)."""

    registry_reference: Annotated[str, _written(DETOKENISE_REFERENCE)] = Field(
        description="the registry's reference for the credits' return (required)",
        examples=["VCS-RETURN-2026-0042"],
    )


class DetokenisationPublic(BaseModel):
    id: str
    request_id: str
    batch_id: int
    holder: str
    quantity: int
    ranges: list[Run]
    registry_reference: str
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


# ---------------------------------------------------------------------------- cancellations


class CancellationCreate(SerialsChoice):
    """Cancel a holder's live credits: an issuer key cancels only what its own account holds
    (``holder`` omitted or its own); a programme admin key any holder's credits of its
    programme (``holder`` required)."""

    holder: Address | None = Field(
        default=None, description="whose credits; program_admin keys must name it"
    )
    reason: Annotated[str, _written(TEXT_FIELDS["reason"])] = Field(
        examples=["registry reversal 2026-117"]
    )


class CancellationPublic(BaseModel):
    id: str
    request_id: str
    batch_id: int
    holder: str
    cancelled_by: str
    quantity: int
    ranges: list[Run]
    reason: str
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


# ---------------------------------------------------------------------------- batch settings


class BatchFrozenSet(Strict):
    frozen: bool


class BatchLabelsSet(Strict):
    labels: list[LabelName] = Field(
        max_length=len(LABELS), description="the batch's labels after the change (all of them)"
    )


class BatchSettingPublic(BaseModel):
    request_id: str
    batch_id: int
    tx_hash: str
    block_number: int
    status: Literal["confirmed"]


class BatchFrozenPublic(BatchSettingPublic):
    frozen: bool


class BatchLabelsPublic(BatchSettingPublic):
    labels: list[LabelName]


# ---------------------------------------------------------------------------- status


class Pending(BaseModel):
    """202: the transaction is not mined yet (``accepted``, ``submitted``), or mined but not
    yet in the query store the reads come from (``indexing``); poll ``status_url``."""

    request_id: str
    status: Literal["accepted", "submitted", "indexing"]
    status_url: str
    tx_hash: str | None
    block_number: int | None = None
    """``indexing``: the block the transaction is in."""


class RequestStatus(BaseModel):
    id: str
    kind: str
    status: Literal["accepted", "submitted", "indexing", "confirmed", "failed"]
    """``indexing``: mined, but the query store does not hold its block yet (its resources
    would read 404); ``confirmed`` once it does."""
    tx_hash: str | None
    block_number: int | None
    attempts: int
    created_at: dt.datetime
    updated_at: dt.datetime
    result: dict[str, Any] | None = Field(description="the response body once confirmed")
    error: dict[str, Any] | None = Field(description="the problem once failed")
