"""A retirement certificate: what was retired, for whom and why, and how anyone can check it.

Everything comes from the query store (the retirement row, its batch and project, the audited
event that recorded it, and what the store was built from); the JSON, HTML and PDF forms are
renderings of this one record.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from api.pages import _queries as q
from chain.store import schema as s


class Project(BaseModel):
    program: str
    project_id: str
    name: str
    country: str
    methodology: str
    project_type: str


class Verification(BaseModel):
    """Where the retirement is on-chain, and the audit trail position that proves it."""

    chain_id: int | None
    contract: str | None
    genesis_hash: str | None
    deploy_block: int | None
    tx_hash: str
    block_number: int
    block_hash: str
    log_index: int
    audit_seq: int
    """Sequence number of the ``CreditsRetired`` event that recorded this retirement."""
    audit_head: str
    """The rolling audit hash right after that event."""
    ledger_audit_seq: int
    """How far the store that issued this certificate had indexed the trail."""
    ledger_audit_head: str | None
    command: str
    """The command an auditor runs to check the whole trail against the chain."""


class Certificate(BaseModel):
    id: int
    certificate_url: str
    batch_id: int
    holder: str
    beneficiary: str
    purpose: str
    jurisdiction: str
    consumption_start: dt.date | None
    consumption_end: dt.date | None
    note: str
    retired_on: dt.date | None
    mirrored: bool
    """A retirement recorded by the registry and mirrored on the ledger (not a buyer's own)."""
    quantity: int
    program: str
    namespace: str
    first_serial: int
    last_serial: int
    project: Project
    vintage_start: dt.date | None
    vintage_end: dt.date | None
    labels: list[str]
    registry_reference: str
    verification: Verification


def certificate_url(retirement_id: int) -> str:
    return f"/v1/retirements/{retirement_id}/certificate"


VERIFY_COMMAND = "carbon-ledger audit verify --rpc <RPC_URL> --data-dir <DIR> --json"
"""``<DIR>`` holds the ledger's ``deployment.json``; ``<RPC_URL>`` is any node of its chain."""


def load(conn: Connection, retirement_id: int) -> Certificate | None:
    """The certificate of retirement ``retirement_id``, or ``None`` if there is none."""
    retirement = q.retirement(conn, retirement_id)
    if retirement is None:
        return None
    batch = q.batch(conn, retirement.batch_id)
    event = conn.execute(
        sa.select(s.events.c.block_hash, s.events.c.log_index, s.events.c.audit_head).where(
            s.events.c.seq == retirement.seq
        )
    ).first()
    if batch is None or event is None:
        return None  # only a store mid-rollback lacks them; say not found rather than half
    status = q.ledger_status(conn)
    return Certificate(
        id=retirement.id,
        certificate_url=certificate_url(retirement.id),
        batch_id=retirement.batch_id,
        holder=retirement.holder,
        beneficiary=retirement.beneficiary,
        purpose=retirement.purpose,
        jurisdiction=retirement.jurisdiction,
        consumption_start=retirement.consumption_start,
        consumption_end=retirement.consumption_end,
        note=retirement.note,
        retired_on=retirement.retired_on,
        mirrored=retirement.mirrored,
        quantity=retirement.quantity,
        program=batch.program,
        namespace=batch.namespace,
        first_serial=retirement.first_serial,
        last_serial=retirement.last_serial,
        project=Project(
            program=batch.program,
            project_id=batch.project.project_id,
            name=batch.project.name,
            country=batch.project.country,
            methodology=batch.project.methodology,
            project_type=batch.project.project_type,
        ),
        vintage_start=batch.vintage_start,
        vintage_end=batch.vintage_end,
        labels=batch.labels,
        registry_reference=batch.registry_reference,
        verification=Verification(
            chain_id=status.chain_id,
            contract=status.contract,
            genesis_hash=status.genesis_hash,
            deploy_block=status.deploy_block,
            tx_hash=retirement.tx_hash,
            block_number=retirement.block_number,
            block_hash=str(event.block_hash),
            log_index=int(event.log_index),
            audit_seq=retirement.seq,
            audit_head=str(event.audit_head),
            ledger_audit_seq=status.audit_seq,
            ledger_audit_head=status.audit_head,
            command=VERIFY_COMMAND,
        ),
    )
