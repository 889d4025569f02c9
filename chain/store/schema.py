"""The query store's tables: a mirror of the chain, derived entirely from the ledger's events.

The same database holds the API's own tables (keys, its audit log, idempotency, submissions),
defined with the API in ``api.tables``; the one Alembic history (``chain/store/migrations``)
creates both.

``events`` is the raw audited log (every field an auditor needs to recompute the audit chain);
every other table is derived from it and can be rebuilt from it, which is exactly how a reorg is
undone (``chain.indexer.rollback``). Addresses are lowercase ``0x`` hex, hashes ``0x`` hex, dates
``YYYYMMDD`` integers as on-chain. Serials are signed 64-bit in SQL; the indexer refuses serials
at or above 2^63 loudly rather than storing them wrong.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

SCHEMA_VERSION = "0009"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint and index names, shared with the API's tables (``api.tables``) so the
migrations name both alike."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ADDRESS = String(42)
HASH = String(66)

# What the store was built from; the indexer refuses any other chain or contract.
chain_info = Table(
    "chain_info",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1
    Column("chain_id", BigInteger, nullable=False),
    Column("genesis_hash", HASH, nullable=False),
    Column("contract_address", ADDRESS, nullable=False),
    Column("deploy_block", BigInteger, nullable=False),
    Column("deploy_block_hash", HASH, nullable=False),
)

# How far the store reflects the chain; written in the same transaction as the data.
checkpoint = Table(
    "checkpoint",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", HASH, nullable=False),
    Column("audit_seq", BigInteger, nullable=False),
    Column("audit_head", HASH, nullable=False),
    Column("paused", Boolean, nullable=False),
    Column("updated_at", BigInteger, nullable=False),  # unix seconds
)

# Why the indexer last stopped, while it has not run successfully since (at most one row):
# written by the indexer when a sync fails, deleted by its next successful write or sync.
# ``block_number``/``seq``/``event`` locate the event the store could not take, when known.
indexer_halt = Table(
    "indexer_halt",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1
    Column("error", Text, nullable=False),  # the exception's type and message
    Column("block_number", BigInteger, nullable=True),
    Column("seq", BigInteger, nullable=True),
    Column("event", String(40), nullable=True),
    Column("stopped_at", BigInteger, nullable=False),  # unix seconds
)

# Recent blocks (within the reorg window) with their parent hashes, to find a common ancestor.
blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", HASH, nullable=False),
    Column("parent_hash", HASH, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(40), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", HASH, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Column("tx_index", Integer, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("topics", LargeBinary, nullable=False),  # the four raw 32-byte topics, concatenated
    Column("data", LargeBinary, nullable=False),
    Column("audit_head", HASH, nullable=False),  # the rolling hash after this event
    Column("batch_id", BigInteger),  # for per-batch history; NULL for non-batch events
    Column("fields", JSON, nullable=False),  # decoded fields, for reading without the ABI
    Index(None, "block_number", "log_index", unique=True),
    Index(None, "batch_id", "seq"),
)

# A programme with its unit (``chain.units``: grams per serial, 1,000,000 for a tonne, from
# ``ProgramUnitSet``) and its buffer account (``ProgramBufferSet``; NULL while none is set).
programs = Table(
    "programs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("seq", BigInteger, nullable=False),
    Column("unit_grams", BigInteger, nullable=False, server_default=text("1000000")),
    Column("buffer_account", ADDRESS, nullable=True),
)

projects = Table(
    "projects",
    metadata,
    Column("key", HASH, primary_key=True),
    Column("program_id", Integer, nullable=False),
    Column("project_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("methodology", Text, nullable=False),
    Column("project_type", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "program_id", "project_id"),
)

# Accepted project links (``ProjectLinkRecorded`` step 2): the accepting programme's project,
# the proposing one's, and the link group both joined. Proposals and withdrawals stay in the
# event log.
project_links = Table(
    "project_links",
    metadata,
    Column("project_key", HASH, primary_key=True),
    Column("other_key", HASH, primary_key=True),
    Column("group_id", BigInteger, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Index(None, "group_id"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("program_id", Integer, nullable=False),
    Column("project_key", HASH, nullable=False),
    Column("namespace", Text, nullable=False),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("recipient", ADDRESS, nullable=False),
    Column("vintage_start", Integer, nullable=False),
    Column("vintage_end", Integer, nullable=False),
    Column("labels", Integer, nullable=False),
    Column("metadata_hash", HASH, nullable=False),
    Column("registry_reference", Text, nullable=False),
    Column("frozen", Boolean, nullable=False),
    Column("retired", BigInteger, nullable=False),
    Column("detokenised", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("bridged_by", ADDRESS, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Index(None, "program_id", "namespace", "first_serial"),
    Index(None, "project_key"),
    Index(None, "vintage_start"),
)

# Holding ranges tile each batch, exactly as the contract stores them.
serial_ranges = Table(
    "serial_ranges",
    metadata,
    Column("batch_id", BigInteger, primary_key=True),
    Column("first_serial", BigInteger, primary_key=True, autoincrement=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("holder", ADDRESS, nullable=False),
    Column("state", SmallInteger, nullable=False),  # chain.domain.RangeState
    Column("seq", BigInteger, nullable=False),  # the event that last shaped this range
    # With the state: an account's live holdings are one index range even when most of its
    # ranges are retired.
    Index(None, "holder", "state", "batch_id", "first_serial"),
)

retirements = Table(
    "retirements",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", BigInteger, nullable=False),
    Column("holder", ADDRESS, nullable=False),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("beneficiary", Text, nullable=False),
    Column("purpose", SmallInteger, nullable=False),  # chain.domain.Purpose
    Column("jurisdiction", Text, nullable=False),
    Column("consumption_start", Integer, nullable=False),
    Column("consumption_end", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("retired_on", Integer, nullable=False),
    Column("mirrored", Boolean, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    # The batch labels the retirement relied on (chain.domain.Label); NULL where the event
    # predates their recording (migration 0006).
    Column("labels", SmallInteger, nullable=True),
    Column("seq", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    # With the id: a batch's or holder's retirements come out in order, a page at a time.
    Index(None, "batch_id", "id"),
    Index(None, "holder", "id"),
    Index(None, "beneficiary", "id"),
)

detokenisations = Table(
    "detokenisations",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", BigInteger, nullable=False),
    Column("holder", ADDRESS, nullable=False),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("registry_reference", Text, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Index(None, "batch_id"),
)

cancellations = Table(
    "cancellations",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", BigInteger, nullable=False),
    Column("holder", ADDRESS, nullable=False),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    # A buffer reversal (``BufferReversed``): the batch whose credits were reversed, which
    # these buffer credits make good; NULL for an ordinary cancellation (``CreditsCancelled``).
    Column("reversed_batch_id", BigInteger, nullable=True),
    Index(None, "batch_id"),
    Index(None, "reversed_batch_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("allowed", Boolean, nullable=False),
    Column("frozen", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("role", HASH, primary_key=True),
    Column("account", ADDRESS, primary_key=True),
    Column("seq", BigInteger, nullable=False),  # the grant
)

# ---------------------------------------------------------------- pools (migration 0008)

# Pools (``PoolCreated``), their rules as last tightened (``PoolRulesTightened``) and their
# unit supply (maintained from ``PoolUnitsMoved``: minted on deposit, burnt on redeem and
# retire). ``token`` is the pool's ERC-20 and its ledger account: the pooled serial ranges are
# the Held ``serial_ranges`` whose holder it is. ``programmes`` is the rules' uint256 bitmap of
# admitted programme ids as 0x + 64 hex digits (it does not fit a 64-bit column).
pools = Table(
    "pools",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # uint32
    Column("token", ADDRESS, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("symbol", Text, nullable=False),
    Column("programmes", HASH, nullable=False),
    Column("vintage_from", BigInteger, nullable=False),
    Column("vintage_to", BigInteger, nullable=False),
    Column("labels_required", Integer, nullable=False),
    Column("country_mode", SmallInteger, nullable=False),
    Column("type_mode", SmallInteger, nullable=False),
    Column("methodology_mode", SmallInteger, nullable=False),
    Column("supply", BigInteger, nullable=False),
    Column("rules_seq", BigInteger, nullable=False),  # PoolCreated or the last tightening
    Column("actor", ADDRESS, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
)

# The values of a pool's rule lists (kind 0 country, 1 project type, 2 methodology), keyed
# by the value's tag as the contract keys it (0x + the first 8 bytes of keccak256 of its
# UTF-8): text never sorts alike in SQLite and PostgreSQL, a hex tag does. ``listed`` false:
# removed from a mode-1 (only listed) list.
pool_list_entries = Table(
    "pool_list_entries",
    metadata,
    Column("pool_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", SmallInteger, primary_key=True, autoincrement=False),
    Column("tag", String(18), primary_key=True),
    Column("value", Text, nullable=False),
    Column("listed", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

# Unit balances (a row per non-zero balance) and allowances (a row per non-zero allowance,
# as decimal text: an ERC-20 allowance is any uint256, commonly 2^256 - 1).
pool_balances = Table(
    "pool_balances",
    metadata,
    Column("pool_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account", ADDRESS, primary_key=True),
    Column("units", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "account", "pool_id"),
)

pool_approvals = Table(
    "pool_approvals",
    metadata,
    Column("pool_id", BigInteger, primary_key=True, autoincrement=False),
    Column("owner", ADDRESS, primary_key=True),
    Column("spender", ADDRESS, primary_key=True),
    Column("amount", String(78), nullable=False),
    Column("seq", BigInteger, nullable=False),
)

# Every ``PoolUnitsMoved``: ``kind`` deposit (minted), redeem or retire (burnt; which one the
# serials moved just before in the same transaction say) or transfer.
pool_unit_moves = Table(
    "pool_unit_moves",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("pool_id", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("from_account", ADDRESS, nullable=False),
    Column("to_account", ADDRESS, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Index(None, "pool_id", "seq"),
)

# Every ``SerialsMoved`` into or out of a pool's token address, with its exact serials:
# ``kind`` deposit (into the pool), redeem (out, Held) or retire (out, Retired);
# ``account`` the depositor, redeemer or retirer.
pool_serial_moves = Table(
    "pool_serial_moves",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("pool_id", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("account", ADDRESS, nullable=False),
    Column("batch_id", BigInteger, nullable=False),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Index(None, "pool_id", "seq"),
    Index(None, "account", "seq"),
)

POOL_TABLES = (
    pool_serial_moves,
    pool_unit_moves,
    pool_approvals,
    pool_balances,
    pool_list_entries,
    pools,
)
"""The pool tables (migration 0008), children before parents."""

DERIVED_TABLES = (
    *POOL_TABLES,
    roles,
    accounts,
    cancellations,
    detokenisations,
    retirements,
    serial_ranges,
    batches,
    project_links,
    projects,
    programs,
)
"""Tables rebuilt from ``events`` (children before parents, for deletes)."""
