"""A retirement certificate: what was retired, for whom and why, and how anyone can check it.

It is the read API's retirement (``GET /v1/retirements/{id}``, with its verification data) plus
what a certificate also states: the batch's namespace and registry reference, the labels the
retirement relied on, the
project's methodology and type, and how to check it independently (the deployment the auditor
needs and the command to run). The JSON, HTML and PDF forms are renderings of this one record.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from api.problems import Problem
from api.reads._common import Model
from api.reads.queries import RetirementDetail, find_batch, get_retirement, ledger_status
from chain.domain import LabelName

VERIFY_COMMAND = "carbon-ledger audit verify --rpc <RPC_URL> --data-dir <DIR> --json"
"""``<DIR>`` holds the ledger's ``deployment.json``; ``<RPC_URL>`` is any node of its chain.
The server never prints its own node URL: it may carry credentials."""


class Check(Model):
    """How to check the certificate without trusting this server."""

    command: str
    genesis_hash: str | None
    """With the chain id and contract (in ``verification``): the deployment to check against."""
    deploy_block: int | None
    store_audit_seq: int
    """How far the store that issued this certificate had indexed the audit trail."""
    store_audit_head: str | None


class Certificate(RetirementDetail):
    namespace: str
    methodology: str
    project_type: str
    labels: list[LabelName]
    registry_reference: str
    check: Check


def load(conn: Connection, retirement_id: int) -> Certificate | None:
    """The certificate of retirement ``retirement_id``, or ``None`` if there is none."""
    try:
        detail = get_retirement(conn, retirement_id)
    except Problem as exc:
        if exc.status == 404:
            return None
        raise
    batch = find_batch(conn, detail.batch_id)
    if batch is None:  # the indexer writes a retirement with its batch: a store that lost it
        raise LookupError(f"retirement {retirement_id}: its batch {detail.batch_id} is missing")
    status = ledger_status(conn)
    return Certificate(
        **detail.model_dump(exclude={"labels"}),
        namespace=batch.namespace,
        methodology=batch.project.methodology,
        project_type=batch.project.project_type,
        # The labels the retirement relied on; only a retirement indexed before the ledger
        # recorded them falls back to the batch's labels.
        labels=detail.labels if detail.labels is not None else batch.labels,
        registry_reference=batch.registry_reference,
        check=Check(
            command=VERIFY_COMMAND,
            genesis_hash=status.genesis_hash,
            deploy_block=status.deploy_block,
            store_audit_seq=status.audit_seq,
            store_audit_head=status.audit_head,
        ),
    )
