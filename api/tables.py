"""The API's own tables: its keys, its hash-chained audit log, idempotency records and the
transactions it submits. Not derived from the chain, so never rolled back or rebuilt by the
indexer. Times are Unix milliseconds.

They live in the query store's database beside the chain's mirror (``chain.store.schema``) and
are created by the same Alembic history (``chain/store/migrations``, revision 0002 onwards),
whose migration files spell out their own DDL: the chain never imports this module.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from chain.store.schema import ADDRESS, HASH, NAMING_CONVENTION

metadata = MetaData(naming_convention=NAMING_CONVENTION)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),  # public key id, shown in logs and the audit log
    Column("secret_hash", HASH, nullable=False, unique=True),  # sha256 of the 256-bit secret
    Column("role", String(16), nullable=False),  # admin, issuer, holder, compliance, auditor
    Column("program", String(16), nullable=True),  # issuer keys: the programme code
    Column("address", ADDRESS, nullable=True),  # issuer/holder keys: the custodial account
    Column("label", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(32), nullable=True),  # the admin key that created it
    Column("revoked_at", BigInteger, nullable=True),
)

# Append-only and hash-chained: entry n's hash = sha256(entry n-1's hash ‖ canonical JSON of
# entry n). A "request" entry is written before the action is attempted; its "outcome" entry
# names it by request_seq and links the API trail to the chain's (tx hash, ledger audit seq).
api_audit_log = Table(
    "api_audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(8), nullable=False),  # request | outcome
    Column("request_seq", BigInteger, nullable=True),  # outcome entries: their request
    Column("at", BigInteger, nullable=False),
    Column("key_id", String(32), nullable=True),
    Column("scope", Text, nullable=True),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("body_hash", HASH, nullable=True),
    Column("idempotency_key", Text, nullable=True),
    Column("status", Integer, nullable=True),  # outcome entries: the HTTP status answered
    Column("outcome", Text, nullable=True),
    Column("tx_hash", HASH, nullable=True),
    Column("ledger_seq", BigInteger, nullable=True),  # the on-chain audit seq it produced
    Column("prev_hash", HASH, nullable=False),
    Column("hash", HASH, nullable=False),
    Index(None, "request_seq"),
    Index(None, "tx_hash"),
)

# One row per (key, Idempotency-Key): a retry with the same body gets the stored response.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("request_hash", HASH, nullable=False),
    Column("state", String(8), nullable=False),  # running | done
    Column("status", Integer, nullable=True),
    Column("response", Text, nullable=True),  # the first response's JSON body
    Column("headers", JSON, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    # The submission the request started, so a restart can answer a retry from its outcome.
    Column("submission_id", String(36), nullable=True),
    Index(None, "submission_id"),
)

# Transactions the API sends, from "accepted" through "submitted" to "confirmed" or "failed".
# The signed raw transaction is stored before it is broadcast, so a restart rebroadcasts the
# same bytes (same nonce, same hash) instead of submitting the action twice.
submissions = Table(
    "submissions",
    metadata,
    Column("id", String(36), primary_key=True),  # the request id, in status URLs
    Column("kind", String(16), nullable=False),  # issuance | transfer | retirement | admin
    Column("key_id", String(32), nullable=True),
    Column("sender", ADDRESS, nullable=False),
    Column("nonce", BigInteger, nullable=True),
    Column("raw_tx", LargeBinary, nullable=True),
    Column("tx_hash", HASH, nullable=True),
    Column("state", String(12), nullable=False),  # accepted | submitted | confirmed | failed
    Column("request", JSON, nullable=False),  # what the client asked for (no secrets)
    Column("result", JSON, nullable=True),  # confirmed: the response body
    Column("error", JSON, nullable=True),  # failed: the problem body (decoded contract error)
    Column("block_number", BigInteger, nullable=True),
    # Transactions signed for it so far (a stale hint is retried with a new one).
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("audit_seq", BigInteger, nullable=True),  # the api_audit_log request entry
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index(None, "state"),
    Index(None, "sender", "nonce", unique=True),
    Index(None, "tx_hash"),
)
