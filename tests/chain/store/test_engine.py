"""Opening the query store: migrations on SQLite and PostgreSQL, and refusing bad URLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import alembic.op
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from api import tables as api_tables
from chain.errors import ConfigurationError
from chain.store import schema as s
from chain.store.engine import (
    MIGRATIONS,
    SQLITE_PAGE_SIZE,
    create_store_engine,
    default_url,
    migrate,
    open_store,
)
from tests.chain.conftest import EngineOpener, StoreFactory

HEAD = "0009"

STORE = sa.MetaData(naming_convention=s.NAMING_CONVENTION)
"""Every table the migrations create: the chain's mirror and the API's own."""
for _table in (*s.metadata.sorted_tables, *api_tables.metadata.sorted_tables):
    _table.to_metadata(STORE)


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_migrations_create_every_table_with_every_column(store: sa.Engine) -> None:
    assert _tables(store) == set(STORE.tables) | {"alembic_version"}
    inspector = sa.inspect(store)
    for table in STORE.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for c in table.columns:
            assert columns[c.name]["nullable"] == c.nullable, f"{table.name}.{c.name}"
        pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert pk == [c.name for c in table.primary_key.columns], table.name
    with store.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == HEAD


def test_the_migration_matches_the_schema_module(store: sa.Engine) -> None:
    """Alembic's autogenerate finds nothing to change: the migrations agree with
    chain/store/schema.py and api/tables.py."""
    with store.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), STORE)
    assert diffs == []


def test_migrating_again_is_a_no_op(store_url: str, open_engine: EngineOpener) -> None:
    engine = open_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            s.chain_info.insert().values(
                id=1,
                chain_id=31337,
                genesis_hash="0x" + "11" * 32,
                contract_address="0x" + "22" * 20,
                deploy_block=1,
                deploy_block_hash="0x" + "33" * 32,
            )
        )
    assert migrate(engine) == HEAD
    again = open_engine(store_url)  # a second process opening the same store
    assert migrate(again) == HEAD
    with again.connect() as conn:
        assert conn.execute(sa.select(s.chain_info.c.chain_id)).scalars().all() == [31337]
    assert _tables(again) == set(STORE.tables) | {"alembic_version"}


def test_the_default_store_lives_in_the_data_folder(tmp_path: pytest.TempPathFactory) -> None:
    url = default_url(tmp_path / "nested" / "data")  # type: ignore[operator]
    engine = open_store(url)
    try:
        assert (tmp_path / "nested" / "data" / "ledger.sqlite3").exists()  # type: ignore[operator]
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "",
        "foo://somewhere/db",
        "postgres://postgres@127.0.0.1/db",  # SQLAlchemy knows only postgresql://
    ],
)
def test_an_unusable_url_is_a_configuration_error_naming_it(url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store(url)
    assert repr(url) in str(raised.value)


def test_an_unusable_url_does_not_print_its_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store("postgres://ledger:s3cret@db.example/ledger")  # postgres:// is refused
    assert "s3cret" not in str(raised.value)
    assert "db.example" in str(raised.value)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("postgresql://postgres@127.0.0.1:1/carbon", "127.0.0.1:1/carbon"),
        ("postgresql://postgres:s3cret@127.0.0.1:1/carbon", "postgres:***@127.0.0.1:1/carbon"),
        (
            "postgresql://postgres@127.0.0.1:5432/carbon_ledger_no_such_database",
            "carbon_ledger_no_such_database",
        ),
    ],
)
def test_an_unreachable_server_or_database_is_a_configuration_error_naming_it(
    url: str, named: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store(url)
    message = str(raised.value)
    assert "cannot open the store" in message
    assert named in message
    assert "s3cret" not in message  # the password is masked


def test_a_sqlite_path_that_is_a_directory_is_a_configuration_error(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}"
    with pytest.raises(ConfigurationError) as raised:
        open_store(url)
    assert str(tmp_path) in str(raised.value)


@pytest.mark.parametrize("path", ["/dev/null/ledger.sqlite3", "/proc/no-such-dir/ledger.sqlite3"])
def test_a_sqlite_path_that_cannot_be_created_is_a_configuration_error(path: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store(f"sqlite:///{path}")
    assert path in str(raised.value)


def test_create_store_engine_maps_postgresql_to_psycopg() -> None:
    engine = create_store_engine("postgresql://postgres@127.0.0.1:5432/x")
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_an_interrupted_first_migration_leaves_no_half_schema(
    store_factory: StoreFactory,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """A crash (here: an exception) between two CREATE TABLEs of the first migration must
    leave the store either empty or complete, so the next run can migrate it."""
    url = store_factory()
    real = alembic.op.create_table
    created = []

    def create_some(*args: object, **kwargs: object) -> object:
        if len(created) == 3:
            raise RuntimeError("simulated crash during the migration")
        created.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(alembic.op, "create_table", create_some)
    with pytest.raises(RuntimeError, match="simulated crash"):
        open_store(url)
    monkeypatch.setattr(alembic.op, "create_table", real)

    engine = open_store(url)  # the next run
    try:
        assert _tables(engine) == set(STORE.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def test_a_new_sqlite_store_has_16_kib_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    new = open_store(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    with new.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == SQLITE_PAGE_SIZE
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    new.dispose()
    old_file = tmp_path / "old.sqlite3"
    with sqlite3.connect(old_file) as made:  # a store from before: SQLite's default pages
        made.execute("PRAGMA journal_mode=WAL")
        made.execute("CREATE TABLE earlier (x)")
    old = open_store(f"sqlite:///{old_file}")
    with old.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert conn.exec_driver_sql("SELECT count(*) FROM batches").scalar() == 0
    old.dispose()


def _migrate_to(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _foreign_keys(engine: sa.Engine) -> set[tuple[str, str]]:
    inspector = sa.inspect(engine)
    return {
        (table, fk["referred_table"])
        for table in inspector.get_table_names()
        for fk in inspector.get_foreign_keys(table)
    }


def test_0004_drops_the_derived_tables_foreign_keys_and_keeps_their_rows(
    store_factory: StoreFactory, backend: str
) -> None:
    """A store from before 0004, with rows, upgrades in place (SQLite rebuilds each table):
    the rows stay, the foreign keys go (and come back on a downgrade), and on PostgreSQL the
    batches table leaves half of each page free for in-place updates."""
    engine = create_store_engine(store_factory())
    _migrate_to(engine, "0003")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO programs (id, code, seq) VALUES (1, 'VCS', 1)"))
        conn.execute(
            sa.text(
                "INSERT INTO projects (key, program_id, project_id, name, country, methodology,"
                " project_type, seq) VALUES ('0x01', 1, '1234', 'Kariba', 'ZW', 'VM0009',"
                " 'REDD+', 2)"
            )
        )
    before = _foreign_keys(engine)
    assert ("serial_ranges", "batches") in before and ("batches", "programs") in before
    _migrate_to(engine, "head")
    assert _foreign_keys(engine) == set()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
        assert conn.execute(sa.text("SELECT name FROM projects")).scalar_one() == "Kariba"
        if backend == "postgresql":
            options = conn.execute(
                sa.text("SELECT reloptions FROM pg_class WHERE oid = 'batches'::regclass")
            ).scalar_one()
            assert options == ["fillfactor=50"]
    _migrate_to(engine, "0003", down=True)
    assert _foreign_keys(engine) == before
    engine.dispose()


def test_0005_adds_the_indexer_halt_table_and_its_downgrade_drops_it(
    store_factory: StoreFactory,
) -> None:
    """A store from before 0005, with rows, gains the empty ``indexer_halt`` table (the rows
    stay); one with a halt recorded goes back to 0004 without the table."""
    engine = create_store_engine(store_factory())
    _migrate_to(engine, "0004")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO programs (id, code, seq) VALUES (1, 'VCS', 1)"))
    assert "indexer_halt" not in _tables(engine)
    _migrate_to(engine, "0005")
    with engine.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.indexer_halt)).scalar() == 0
        conn.execute(
            s.indexer_halt.insert().values(
                id=1,
                error="IntegrityError: UNIQUE constraint failed: retirements.id",
                block_number=12,
                seq=40,
                event="CreditsRetired",
                stopped_at=1_765_000_000,
            )
        )
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
    _migrate_to(engine, "0004", down=True)
    assert "indexer_halt" not in _tables(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
        assert MigrationContext.configure(conn).get_current_revision() == "0004"
    engine.dispose()


def test_0006_adds_the_retirement_labels_column_and_its_downgrade_drops_it(
    store_factory: StoreFactory,
) -> None:
    """A store from before 0006 gains ``retirements.labels``, NULL for retirements already
    indexed (their events predate the recording); the downgrade drops the column."""
    engine = create_store_engine(store_factory())
    _migrate_to(engine, "0005")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO programs (id, code, seq) VALUES (1, 'VCS', 1)"))
    _migrate_to(engine, "0006")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("retirements")}
    assert "labels" in columns
    _migrate_to(engine, "0005", down=True)
    assert "labels" not in {c["name"] for c in sa.inspect(engine).get_columns("retirements")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
    engine.dispose()


def test_0007_adds_the_project_links_table_and_its_downgrade_drops_it(
    store_factory: StoreFactory,
) -> None:
    """A store from before 0007 gains an empty ``project_links`` table (a store indexed
    before it has no link events: the contract had none); the downgrade drops it."""
    engine = create_store_engine(store_factory())
    _migrate_to(engine, "0006")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO programs (id, code, seq) VALUES (1, 'VCS', 1)"))
    _migrate_to(engine, "0007")
    assert "project_links" in _tables(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("project_links")}
    assert columns == {c.name for c in s.project_links.columns}
    _migrate_to(engine, "0006", down=True)
    assert "project_links" not in _tables(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
    engine.dispose()


def test_0008_adds_the_pool_tables_and_its_downgrade_drops_them(
    store_factory: StoreFactory,
) -> None:
    """A store from before 0008 gains the empty pool tables (its chain had no pools: the
    contract had none); the downgrade drops them and keeps every other row."""
    engine = create_store_engine(store_factory())
    _migrate_to(engine, "0007")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO programs (id, code, seq) VALUES (1, 'VCS', 1)"))
    _migrate_to(engine, "0008")
    for table in s.POOL_TABLES:
        assert table.name in _tables(engine)
        columns = {c["name"] for c in sa.inspect(engine).get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    _migrate_to(engine, "0007", down=True)
    assert not {t.name for t in s.POOL_TABLES} & _tables(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
    engine.dispose()


def test_0009_gives_every_programme_a_tonne_unit_and_no_buffer_and_its_downgrade_drops_them(
    store_factory: StoreFactory,
) -> None:
    """A store from before 0009 mirrors programmes that all count tonnes (the contract had no
    unit) and have no buffer account: the upgrade says so; the downgrade drops the columns."""
    engine = create_store_engine(store_factory())
    _migrate_to(engine, "0008")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO programs (id, code, seq) VALUES (1, 'VCS', 1)"))
    _migrate_to(engine, "0009")
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT unit_grams, buffer_account FROM programs")).one()
    assert tuple(row) == (1_000_000, None)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("cancellations")}
    assert "reversed_batch_id" in columns
    _migrate_to(engine, "0008", down=True)
    assert "unit_grams" not in {c["name"] for c in sa.inspect(engine).get_columns("programs")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code FROM programs")).scalar_one() == "VCS"
    engine.dispose()
