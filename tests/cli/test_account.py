"""``carbon-ledger account``: allow, disallow, freeze, unfreeze, recover, show
(compliance's key), and invalidate-signatures (a holder's own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from chain.domain import RetirementRequest
from chain.errors import InvalidSignature
from tests.cli.conftest import Cli, Keyed, assert_transactions, bridge_vcs, ledger_of

pytestmark = pytest.mark.anvil

SOMEONE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # anvil's development account 3


def test_each_command_changes_one_flag_and_keeps_the_other(cli: Cli) -> None:
    # any case in, checksummed out
    assert cli.json("account", "show", SOMEONE.lower()) == {
        "account": SOMEONE,
        "allowed": False,
        "frozen": False,
    }
    steps = [
        ("allow", True, False),
        ("freeze", True, True),
        ("disallow", False, True),
        ("unfreeze", False, False),
    ]
    seqs: list[int] = []
    for command, allowed, frozen in steps:
        done = cli.json("account", command, SOMEONE)
        assert (done["allowed"], done["frozen"]) == (allowed, frozen), command
        seqs += assert_transactions(done, "AccountUpdated")
        shown = cli.json("account", "show", SOMEONE)
        assert (shown["allowed"], shown["frozen"]) == (allowed, frozen), command
    assert seqs == sorted(seqs) and len(seqs) == 4

    status, out, _ = cli("account", "show", SOMEONE)
    assert status == 0 and "allowed: no" in out and "frozen: no" in out


def test_a_key_without_the_compliance_role_is_refused(cli: Cli, dev_keys: list[Keyed]) -> None:
    err = cli.refused("account", "freeze", SOMEONE, *dev_keys[0].flags)
    assert "AccessControlUnauthorizedAccount" in err


def test_a_lost_keys_credits_are_recovered_to_the_holders_new_account(
    cli: Cli, governed_dir: Path, dev_keys: list[Keyed]
) -> None:
    # The holder's two accounts need no funds: compliance and the issuer send everything.
    lost, replacement = Account.create(), Account.create()
    for account in (lost, replacement):
        cli.json("account", "allow", account.address)
    issuer = dev_keys[0]
    cli.json("issuer", "grant", "VCS", issuer.address)
    ledger = ledger_of(governed_dir, issuer)
    first = 7_000_000 + 1_000 * ledger.batch_count()
    batch_id = bridge_vcs(ledger, first, first + 4, lost.address, reference=f"recover-{first}")
    # Only a frozen account's credits move.
    assert "AccountNotFrozen" in cli.refused(
        "account", "recover", lost.address, replacement.address, "--batch", str(batch_id)
    )
    cli.json("account", "freeze", lost.address)
    recovered = cli.json("account", "recover", lost.address, replacement.address)
    assert recovered["ranges"] == [{"batch_id": batch_id, "first_serial": first}]
    assert_transactions(recovered, "SerialsMoved", "AccountRecovered")
    assert ledger.balance_of(replacement.address, batch_id) == 5
    assert ledger.balance_of(lost.address, batch_id) == 0


def test_a_holder_invalidates_its_pending_signature_from_the_command_line(
    cli: Cli, governed_dir: Path, dev_keys: list[Keyed]
) -> None:
    issuer, holder = dev_keys[0], dev_keys[1]
    cli.json("account", "allow", holder.address)
    cli.json("issuer", "grant", "VCS", issuer.address)
    ledger = ledger_of(governed_dir, issuer)
    first = 8_000_000 + 1_000 * ledger.batch_count()
    batch_id = bridge_vcs(ledger, first, first + 9, holder.address, reference=f"nonce-{first}")
    as_holder = ledger_of(governed_dir, holder)
    request = RetirementRequest(batch_id, first, first + 4, "Acme")
    signed = as_holder.sign_retirement(request)  # handed to a relayer, then regretted

    done = cli.json("account", "invalidate-signatures", *holder.flags)
    assert (done["account"], done["nonce_invalidated"], done["next_nonce"]) == (
        holder.address,
        0,
        1,
    )
    assert_transactions(done, "NonceInvalidated")
    with pytest.raises(InvalidSignature):
        ledger.retire_signed(request, signed)  # the relayer's attempt fails
    assert ledger.balance_of(holder.address, batch_id) == 10
