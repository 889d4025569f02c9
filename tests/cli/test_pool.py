"""``carbon-ledger pool``: the ledger's admin grants POOL_ADMIN_ROLE, a pool is created with
rules and lists, a holder deposits exact serials, redeems and retires units (the exact serials
printed, with certificates and their registry serials), the pool is shown and listed;
refusals name the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import OPERATOR, Cli, Keyed, assert_transactions, bridge_vcs, ledger_of

pytestmark = pytest.mark.anvil


@pytest.fixture
def holder(cli: Cli, governed_dir: Path, dev_keys: list[Keyed]) -> tuple[Keyed, int, int]:
    """Development account 1, VCS issuer and allowlisted, holding a new 100 t VCS batch (2021)."""
    issuer = dev_keys[0]
    cli.json("issuer", "grant", "VCS", issuer.address)
    cli.json("account", "allow", issuer.address)
    ledger = ledger_of(governed_dir, issuer)
    first = 1_000 * (ledger.batch_count() + 1) + 500_000
    batch = bridge_vcs(ledger, first, first + 99, issuer.address, reference=f"pool-{first}")
    return issuer, batch, first


def test_the_ledger_admin_grants_and_revokes_pool_admins(cli: Cli, dev_keys: list[Keyed]) -> None:
    other = dev_keys[2]
    granted = cli.json("pool", "grant", other.address)
    assert granted["pool_admin"] is True
    assert_transactions(granted, "RoleUpdated")
    revoked = cli.json("pool", "revoke", other.address)
    assert revoked["pool_admin"] is False
    assert "AccessControlUnauthorizedAccount" in cli.refused(
        "pool", "create", "--name", "x", "--symbol", "X", "--program", "VCS", *other.flags
    )


def test_a_pool_from_creation_to_retirement(cli: Cli, holder: tuple[Keyed, int, int]) -> None:
    keyed, batch, first = holder
    assert cli.json("pool", "grant", OPERATOR)["pool_admin"] is True  # deploy gave it already
    created = cli.json(
        "pool", "create", "--name", "Nature <b>pool</b>", "--symbol", "NAT",
        "--program", "VCS", "--vintage-from", "2016-01-01", "--types-only", "AFOLU",
    )  # fmt: skip
    pool = str(created["pool_id"])
    assert created["vintage_from"] == "2016-01-01" and created["project_types"] == ["AFOLU"]
    assert created["project_type_mode"] == "only"

    deposited = cli.json(
        "pool", "deposit", pool, "--batch", str(batch),
        "--first-serial", str(first), "--last-serial", str(first + 59), *keyed.flags,
    )  # fmt: skip
    assert deposited["units_minted"] == 60 and deposited["balance"] == 60
    assert_transactions(deposited, "SerialsMoved", "PoolUnitsMoved")

    redeemed = cli.json("pool", "redeem", pool, "--units", "10", *keyed.flags)
    assert redeemed["serials"] == [  # "pool-N" is no registry serial: the numbers alone
        {
            "batch_id": batch,
            "first_serial": first,
            "last_serial": first + 9,
            "registry_serial": None,
        }
    ]
    status, out, _ = cli(
        "pool", "retire", pool, "--units", "20", "--beneficiary", "Demo Airways", *keyed.flags
    )
    assert status == 0, out
    assert f"batch {batch} serials {first + 10}-{first + 29} (retirement" in out
    assert "/v1/retirements/" in out

    shown = cli.json("pool", "show", pool)
    assert shown["supply"] == 30
    assert shown["ranges_in_redeem_order"] == [f"batch {batch} serials {first + 30}-{first + 59}"]
    listed = cli.json("pool", "list")
    assert any(line.startswith(f"pool {pool}: ") for line in listed["pools"])


def _verra(first: int, last: int) -> str:
    """A Verra serial of ``first..last`` of project 1340 (as ``bridge_vcs`` bridges it)."""
    return f"19385-{first}-{last}-VCS-VCU-1507-VER-ET-14-1340-01012021-31122021-1"


def test_pool_writes_name_each_range_by_its_registry_serial(
    cli: Cli, governed_dir: Path, dev_keys: list[Keyed]
) -> None:
    """Read from the ledger alone (the command line has no store); a batch whose reference
    is hostile (a Verra serial of other serials) shows its numbers alone, and nothing fails."""
    keyed = dev_keys[0]
    cli.json("issuer", "grant", "VCS", keyed.address)
    cli.json("account", "allow", keyed.address)
    ledger = ledger_of(governed_dir, keyed)
    first = 1_000 * (ledger.batch_count() + 1) + 700_000
    verra = bridge_vcs(
        ledger, first, first + 99, keyed.address, reference=_verra(first, first + 99)
    )
    other = first + 100
    hostile = bridge_vcs(ledger, other, other + 9, keyed.address, reference=_verra(1, 10))
    pool = str(
        cli.json("pool", "create", "--name", "Named", "--symbol", "NMD", "--program", "VCS")[
            "pool_id"
        ]
    )

    deposited = [
        cli.json(
            "pool", "deposit", pool, "--batch", str(b), "--first-serial", str(f),
            "--last-serial", str(last), *keyed.flags,
        )["deposited"]
        for b, f, last in ((verra, first, first + 59), (hostile, other, other + 9))
    ]  # fmt: skip
    assert deposited == [
        [{"batch_id": verra, "first_serial": first, "last_serial": first + 59,
          "registry_serial": _verra(first, first + 59)}],
        [{"batch_id": hostile, "first_serial": other, "last_serial": other + 9,
          "registry_serial": None}],
    ]  # fmt: skip

    redeemed = cli.json("pool", "redeem", pool, "--units", "10", *keyed.flags)
    assert [r["registry_serial"] for r in redeemed["serials"]] == [_verra(first, first + 9)]

    status, out, err = cli(
        "pool", "retire", pool, "--units", "60", "--beneficiary", "Demo Airways", *keyed.flags
    )
    assert status == 0, err
    named = _verra(first + 10, first + 59)
    assert (
        f"batch {verra} serials {first + 10}-{first + 59}, registry serial {named} (retirement"
        in out
    )
    assert f"batch {hostile} serials {other}-{other + 9} (retirement" in out
    assert out.count("registry serial") == 1


def test_refusals_name_the_rule(cli: Cli, holder: tuple[Keyed, int, int]) -> None:
    keyed, batch, first = holder
    late = cli.json(
        "pool", "create", "--name", "Late", "--symbol", "LATE", "--program", "VCS",
        "--vintage-from", "2022-01-01",
    )  # fmt: skip
    err = cli.refused(
        "pool", "deposit", str(late["pool_id"]), "--batch", str(batch),
        "--first-serial", str(first), "--last-serial", str(first), *keyed.flags,
    )  # fmt: skip
    assert "PoolIneligible" in err and "vintage" in err and "2022-01-01" in err
    err = cli.refused("pool", "redeem", str(late["pool_id"]), "--units", "5", *keyed.flags)
    assert "InsufficientPoolUnits" in err
    widened = cli.refused("pool", "tighten", str(late["pool_id"]), "--vintage-from", "2010-01-01")
    assert "PoolRulesWidened" in widened
    assert "UnknownPool" in cli.refused("pool", "show", "4000000000")
    with pytest.raises(SystemExit):
        cli(
            "pool", "create", "--name", "x", "--symbol", "X", "--program", "VCS", "--label", "shiny"
        )


def test_tighten_gives_a_kind_moved_from_any_its_list_in_the_same_transaction(
    cli: Cli, holder: tuple[Keyed, int, int]
) -> None:
    keyed, batch, first = holder  # Bale Mountains: ET, VM0015
    pool = str(
        cli.json("pool", "create", "--name", "Open", "--symbol", "OPN", "--program", "VCS")[
            "pool_id"
        ]
    )
    tightened = cli.json(
        "pool", "tighten", pool, "--countries-only", "ET", "--countries-only", "KE",
        "--methodologies-except", "VM0007",
    )  # fmt: skip
    assert (tightened["country_mode"], tightened["methodology_mode"]) == ("only", "except")
    assert (tightened["countries"], tightened["methodologies"]) == (["ET", "KE"], ["VM0007"])
    (tx,) = tightened["transactions"]
    assert tx["events"] == ["PoolRulesTightened", *["PoolListUpdated"] * 3]
    deposited = cli.json(
        "pool", "deposit", pool, "--batch", str(batch),
        "--first-serial", str(first), "--last-serial", str(first + 9), *keyed.flags,
    )  # fmt: skip
    assert deposited["units_minted"] == 10

    # An except-list grows by its own transaction.
    excluded = cli.json("pool", "tighten", pool, "--methodologies-except", "VM0015")
    assert [tx["events"] for tx in excluded["transactions"]] == [["PoolListUpdated"]]
    err = cli.refused(
        "pool", "deposit", pool, "--batch", str(batch),
        "--first-serial", str(first + 10), "--last-serial", str(first + 19), *keyed.flags,
    )  # fmt: skip
    assert "PoolIneligible" in err and "methodology" in err


def test_tighten_shrinks_an_only_listed_list_to_a_subset_of_it(
    cli: Cli, holder: tuple[Keyed, int, int]
) -> None:
    keyed, batch, first = holder  # Bale Mountains: ET
    pool = str(
        cli.json(
            "pool", "create", "--name", "Few", "--symbol", "FEW", "--program", "VCS",
            "--countries-only", "ET", "--countries-only", "KE", "--countries-only", "BR",
            "--types-only", "AFOLU",
        )["pool_id"]
    )  # fmt: skip

    # Refused before any transaction: a value not listed (named), or a list of nothing.
    added = cli.refused("pool", "tighten", pool, "--countries-only", "ET", "--countries-only", "CN")
    assert f"CN is not on pool {pool}'s only-listed countries: a tightening cannot add" in added
    assert "would admit nothing" in cli.refused("pool", "tighten", pool, "--types-only", "")
    mixed = cli.refused(
        "pool", "tighten", pool, "--vintage-from", "2016-01-01", "--countries-only", "PE"
    )  # fmt: skip
    assert "PE is not on" in mixed
    assert cli.json("pool", "show", pool)["vintage_from"] == "open"  # no tightening either

    shrunk = cli.json("pool", "tighten", pool, "--countries-only", "ET", "--types-only", "AFOLU")
    assert shrunk["countries_removed"] == ["KE", "BR"] and shrunk["project_types_removed"] == []
    assert [tx["events"] for tx in shrunk["transactions"]] == [["PoolListUpdated"] * 2]
    status, out, _ = cli("pool", "tighten", pool, "--countries-only", "ET")
    assert status == 0 and "countries removed: none" in out  # already that list

    deposited = cli.json(
        "pool", "deposit", pool, "--batch", str(batch),
        "--first-serial", str(first), "--last-serial", str(first + 9), *keyed.flags,
    )  # fmt: skip
    assert deposited["units_minted"] == 10
    # KE is off the list now: naming it again is adding it.
    assert "KE is not on" in cli.refused("pool", "tighten", pool, "--countries-only", "KE")
