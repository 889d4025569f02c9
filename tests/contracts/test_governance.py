"""Governance: programmes and projects, roles (grant/revoke/renounce), the two-step default-admin
hand-over with its delay, delay changes, pausing, account flags, batch freezes and labels."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from web3 import Web3

from chain.client import LedgerClient
from chain.deployment import deploy_ledger
from chain.domain import (
    Label,
    Project,
    RangeState,
    RetirementRequest,
    program_code,
    project_key,
)
from chain.errors import (
    AccessControlBadConfirmation,
    AccessControlEnforcedDefaultAdminDelay,
    AccessControlEnforcedDefaultAdminRules,
    AccessControlInvalidDefaultAdmin,
    AccessControlUnauthorizedAccount,
    EnforcedPause,
    ExpectedPause,
    InvalidAccount,
    InvalidProgramCode,
    LabelsLocked,
    ProjectAlreadyRegistered,
    UnknownBatch,
    UnknownLabels,
    UnknownProgram,
    UnknownProject,
)
from chain.events import decode_logs
from tests.conftest import BALE, Ledger
from tests.contracts._helpers import (
    AUDITED,
    GS_PROJECT,
    ZERO,
    addr,
    attempt,
    batch,
    bridge,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    next_block_timestamp,
    ranges,
    reverts,
    send,
    to_checksum,
)

ADMIN_ROLE = b"\0" * 32
COMPLIANCE = keccak(b"COMPLIANCE_ROLE")
PAUSER = keccak(b"PAUSER_ROLE")
DAY = 24 * 3600
DELAY = 3600  # the fixture deploys with a one-hour hand-over delay
BEGUN, CANCELLED, ACCEPTED, DELAY_BEGUN, DELAY_ROLLED_BACK = 0, 1, 2, 3, 4


def _fn(client: LedgerClient) -> Any:
    return client.contract.functions


def _unauthorized(client: LedgerClient, role: bytes) -> dict[str, Any]:
    return {"account": addr(client), "neededRole": role}


def _admin_change(
    actor: Any, action: int, new_admin: Any = ZERO, delay: int = 0, effective_at: int = 0
) -> Any:
    return (
        "AdminChangeRecorded",
        {
            "actor": addr(actor),
            "action": action,
            "newAdmin": addr(new_admin),
            "newDelay": delay,
            "effectiveAt": effective_at,
        },
    )


def _role_updated(role: bytes, account: Any, actor: Any, granted: bool) -> Any:
    return (
        "RoleUpdated",
        {"role": role, "account": addr(account), "actor": addr(actor), "granted": granted},
    )


# ---------------------------------------------------------------- programmes and projects


def test_register_program_assigns_the_next_id(ledger: Ledger) -> None:
    code = program_code("CDM")
    fn = _fn(ledger.admin).registerProgram(code, to_checksum(ledger.carol))
    assert fn.call({"from": ledger.admin.account}) == 3  # VCS = 1, GS = 2 in the fixture
    result = send(ledger.admin, fn)
    expect_events(
        result,
        ("ProgramRegistered", {"programId": 3, "actor": addr(ledger.admin), "code": code}),
        _role_updated(ledger.admin.program_admin_role(3), ledger.carol, ledger.admin, True),
    )
    assert _fn(ledger.admin).programCode(3).call() == code
    assert ledger.admin.program_id("CDM") == 3
    assert ledger.admin.program_id("VCS") == ledger.vcs == 1
    assert ledger.admin.program_id("NOPE") == 0
    assert _fn(ledger.admin).programCode(99).call() == b"\0" * 32


@pytest.mark.parametrize("code", [b"\0" * 32, program_code("VCS"), program_code("GS")])
def test_register_program_refuses_empty_or_taken_codes(ledger: Ledger, code: bytes) -> None:
    with reverts(InvalidProgramCode, code=code):
        attempt(ledger.admin, _fn(ledger.admin).registerProgram(code, to_checksum(ledger.carol)))


@pytest.mark.parametrize("who", ["issuer", "alice", "outsider"])
def test_register_program_needs_the_default_admin(ledger: Ledger, who: str) -> None:
    client = getattr(ledger, who)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, ADMIN_ROLE)):
        attempt(client, _fn(client).registerProgram(program_code("ACR"), to_checksum(client)))


def test_register_project_under_its_programme(ledger: Ledger) -> None:
    project = Project("GS11236", "Cookstoves", "UG", "TPDDTEC", "Energy efficiency")
    fn = _fn(ledger.gs_issuer).registerProject(ledger.gs, project.as_abi())
    key = project_key(ledger.gs, "GS11236")
    assert _fn(ledger.admin).projectKey(ledger.gs, "GS11236").call() == key
    assert fn.call({"from": ledger.gs_issuer.account}) == key
    result = send(ledger.gs_issuer, fn)
    expect_events(
        result,
        (
            "ProjectRegistered",
            {
                "projectKey": key,
                "actor": addr(ledger.gs_issuer),
                "programId": ledger.gs,
                "project": {
                    "projectId": "GS11236",
                    "name": "Cookstoves",
                    "country": "UG",
                    "methodology": "TPDDTEC",
                    "projectType": "Energy efficiency",
                },
            },
        ),
    )
    assert ledger.admin.project_program(key) == ledger.gs
    assert ledger.admin.project_program(ledger.project_key) == ledger.vcs
    assert ledger.admin.project_program(b"\1" * 32) == 0


def test_register_project_refuses_a_registered_project(ledger: Ledger) -> None:
    renamed = Project(BALE.project_id, "another name", "ET", "VM0015", "AFOLU")
    with reverts(ProjectAlreadyRegistered, projectKey=ledger.project_key):
        attempt(ledger.issuer, _fn(ledger.issuer).registerProject(ledger.vcs, renamed.as_abi()))


@pytest.mark.parametrize("who", ["gs_issuer", "alice", "admin"])
def test_register_project_needs_the_programmes_issuer(ledger: Ledger, who: str) -> None:
    client = getattr(ledger, who)
    role = ledger.admin.issuer_role(ledger.vcs)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, role)):
        attempt(client, _fn(client).registerProject(ledger.vcs, GS_PROJECT.as_abi()))


def test_register_project_refuses_an_unregistered_programme(ledger: Ledger) -> None:
    ledger.admin.grant_issuer(99, ledger.carol.account)
    with reverts(UnknownProgram, programId=99):
        attempt(ledger.carol, _fn(ledger.carol).registerProject(99, GS_PROJECT.as_abi()))


def test_bridging_under_programme_zero_is_refused(ledger: Ledger) -> None:
    ledger.admin.grant_issuer(0, ledger.carol.account)
    i = issuance(ledger, 1, 100, program_id=0, project_key=b"\x42" * 32)
    try:
        bridge(ledger, i, by=ledger.carol)
    except (UnknownProgram, UnknownProject):
        return  # the expected outcome
    # Bridging went through: the credits should at least be usable. They are not.
    assert ledger.admin.batch_count() == 1
    assert batch(ledger, 1).quantity == 100  # raises UnknownBatch(1)


def test_issuer_roles_are_derived_per_programme(ledger: Ledger) -> None:
    tag = keccak(b"ISSUER_ROLE")
    for program_id in (0, 1, 2, 65535):
        expected = keccak(encode(["bytes32", "uint16"], [tag, program_id]))
        assert ledger.admin.issuer_role(program_id) == expected
    assert ledger.admin.has_role(ledger.admin.issuer_role(ledger.vcs), ledger.issuer.account)
    assert not ledger.admin.has_role(ledger.admin.issuer_role(ledger.gs), ledger.issuer.account)
    assert ledger.admin.role("COMPLIANCE_ROLE") == COMPLIANCE
    assert ledger.admin.role("PAUSER_ROLE") == PAUSER
    assert ledger.admin.role("DEFAULT_ADMIN_ROLE") == ADMIN_ROLE


# ---------------------------------------------------------------- roles


def test_grant_and_revoke_role_are_audited_once(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    carol = to_checksum(ledger.carol)
    granted = send(ledger.admin, fn.grantRole(COMPLIANCE, carol))
    expect_events(granted, _role_updated(COMPLIANCE, ledger.carol, ledger.admin, True))
    assert ledger.admin.has_role(COMPLIANCE, ledger.carol.account)
    assert send(ledger.admin, fn.grantRole(COMPLIANCE, carol)).events == []  # no-op, no event
    revoked = send(ledger.admin, fn.revokeRole(COMPLIANCE, carol))
    expect_events(revoked, _role_updated(COMPLIANCE, ledger.carol, ledger.admin, False))
    assert not ledger.admin.has_role(COMPLIANCE, ledger.carol.account)
    assert send(ledger.admin, fn.revokeRole(COMPLIANCE, carol)).events == []
    assert fn.getRoleAdmin(COMPLIANCE).call() == ADMIN_ROLE
    # A programme's issuers answer to its admin, not to the ledger's default admin.
    vcs_admin = ledger.admin.program_admin_role(ledger.vcs)
    assert fn.getRoleAdmin(ledger.admin.issuer_role(ledger.vcs)).call() == vcs_admin
    assert fn.getRoleAdmin(vcs_admin).call() == vcs_admin


@pytest.mark.parametrize("who", ["issuer", "alice", "outsider"])
def test_grant_and_revoke_need_the_role_admin(ledger: Ledger, who: str) -> None:
    client = getattr(ledger, who)
    for call in (
        _fn(client).grantRole(PAUSER, to_checksum(client)),
        _fn(client).revokeRole(PAUSER, to_checksum(ledger.admin)),
    ):
        with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, ADMIN_ROLE)):
            attempt(client, call)


def test_the_default_admin_role_cannot_be_granted_or_revoked_directly(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    for call in (
        fn.grantRole(ADMIN_ROLE, to_checksum(ledger.carol)),
        fn.revokeRole(ADMIN_ROLE, to_checksum(ledger.admin)),
    ):
        with reverts(AccessControlEnforcedDefaultAdminRules):
            attempt(ledger.admin, call)


def test_renounce_role_for_oneself_only(ledger: Ledger) -> None:
    role = ledger.admin.issuer_role(ledger.vcs)
    with reverts(AccessControlBadConfirmation):
        attempt(ledger.admin, _fn(ledger.admin).renounceRole(role, to_checksum(ledger.issuer)))
    result = send(ledger.issuer, _fn(ledger.issuer).renounceRole(role, to_checksum(ledger.issuer)))
    expect_events(result, _role_updated(role, ledger.issuer, ledger.issuer, False))
    assert not ledger.admin.has_role(role, ledger.issuer.account)
    # A former issuer can no longer bridge.
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(ledger.issuer, role)):
        attempt(ledger.issuer, _fn(ledger.issuer).bridge(issuance(ledger, 1, 2).as_abi(), 0))


def test_a_new_issuer_can_act_for_its_programme_only(ledger: Ledger) -> None:
    ledger.admin.grant_issuer(ledger.gs, ledger.carol.account)
    key = ledger.carol.register_project(ledger.gs, GS_PROJECT)
    i = issuance(ledger, 1, 5, program_id=ledger.gs, project_key=key)
    assert bridge(ledger, i, by=ledger.carol).event("BatchBridged").fields["actor"] == addr(
        ledger.carol
    )


# ---------------------------------------------------------------- two-step admin hand-over


def test_initial_admin_state(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    assert fn.defaultAdmin().call() == ledger.admin.account
    assert fn.owner().call() == ledger.admin.account
    assert fn.defaultAdminDelay().call() == DELAY
    assert fn.defaultAdminDelayIncreaseWait().call() == 5 * DAY
    assert fn.pendingDefaultAdmin().call() == [ZERO, 0]
    assert fn.pendingDefaultAdminDelay().call() == [0, 0]


def test_admin_hand_over_waits_for_the_delay(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    begun_at = next_block_timestamp(ledger)
    result = send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.carol)))
    schedule = begun_at + DELAY
    expect_events(result, _admin_change(ledger.admin, BEGUN, ledger.carol, effective_at=schedule))
    assert fn.pendingDefaultAdmin().call() == [ledger.carol.account, schedule]

    with reverts(AccessControlInvalidDefaultAdmin, defaultAdmin=addr(ledger.bob)):
        attempt(ledger.bob, _fn(ledger.bob).acceptDefaultAdminTransfer())
    with reverts(AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        attempt(ledger.carol, _fn(ledger.carol).acceptDefaultAdminTransfer())
    ledger.chain.time_travel(schedule)  # the next block is mined at exactly `schedule`
    with reverts(AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        attempt(ledger.carol, _fn(ledger.carol).acceptDefaultAdminTransfer())
    ledger.chain.time_travel(schedule + 1)  # the schedule must have passed

    accepted = send(ledger.carol, _fn(ledger.carol).acceptDefaultAdminTransfer())

    expect_events(
        accepted,
        _role_updated(ADMIN_ROLE, ledger.admin, ledger.carol, False),
        _role_updated(ADMIN_ROLE, ledger.carol, ledger.carol, True),
        _admin_change(ledger.carol, ACCEPTED, ledger.carol),
    )
    assert fn.defaultAdmin().call() == fn.owner().call() == ledger.carol.account
    assert fn.pendingDefaultAdmin().call() == [ZERO, 0]
    assert not ledger.admin.has_role(ADMIN_ROLE, ledger.admin.account)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(ledger.admin, ADMIN_ROLE)):
        attempt(ledger.admin, fn.registerProgram(program_code("CAR"), to_checksum(ledger.carol)))
    send(
        ledger.carol,
        _fn(ledger.carol).registerProgram(program_code("CAR"), to_checksum(ledger.carol)),
    )


def test_admin_hand_over_can_be_cancelled_or_replaced(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.carol)))
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(ledger.carol, ADMIN_ROLE)):
        attempt(ledger.carol, _fn(ledger.carol).cancelDefaultAdminTransfer())
    cancelled = send(ledger.admin, fn.cancelDefaultAdminTransfer())
    expect_events(cancelled, _admin_change(ledger.admin, CANCELLED, ledger.carol))
    assert fn.pendingDefaultAdmin().call() == [ZERO, 0]
    ledger.chain.time_travel(next_block_timestamp(ledger) + 2 * DELAY)
    with reverts(AccessControlInvalidDefaultAdmin, defaultAdmin=addr(ledger.carol)):
        attempt(ledger.carol, _fn(ledger.carol).acceptDefaultAdminTransfer())

    # A second hand-over replaces the first one: only the latest candidate may accept.
    send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.carol)))
    replaced_at = next_block_timestamp(ledger)
    replaced = send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.bob)))
    expect_events(
        replaced,
        _admin_change(ledger.admin, CANCELLED, ledger.carol),
        _admin_change(ledger.admin, BEGUN, ledger.bob, effective_at=replaced_at + DELAY),
    )
    ledger.chain.time_travel(next_block_timestamp(ledger) + 2 * DELAY)
    with reverts(AccessControlInvalidDefaultAdmin, defaultAdmin=addr(ledger.carol)):
        attempt(ledger.carol, _fn(ledger.carol).acceptDefaultAdminTransfer())
    send(ledger.bob, _fn(ledger.bob).acceptDefaultAdminTransfer())
    assert fn.defaultAdmin().call() == ledger.bob.account


@pytest.mark.parametrize(
    "call",
    [
        "beginDefaultAdminTransfer",
        "cancelDefaultAdminTransfer",
        "changeDefaultAdminDelay",
        "rollbackDefaultAdminDelay",
    ],
)
def test_admin_hand_over_steps_need_the_default_admin(ledger: Ledger, call: str) -> None:
    arguments: dict[str, list[Any]] = {
        "beginDefaultAdminTransfer": [to_checksum(ledger.bob)],
        "changeDefaultAdminDelay": [60],
    }
    args = arguments.get(call, [])
    for client in (ledger.bob, ledger.issuer):
        with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, ADMIN_ROLE)):
            attempt(client, getattr(_fn(client), call)(*args))


@pytest.mark.parametrize(
    ("new_delay", "wait"),
    [
        pytest.param(2 * DELAY, 2 * DELAY, id="increase-waits-the-new-delay"),
        pytest.param(30 * DAY, 5 * DAY, id="big-increase-waits-at-most-5-days"),
        pytest.param(600, DELAY - 600, id="decrease-waits-the-difference"),
    ],
)
def test_change_default_admin_delay_takes_effect_after_its_wait(
    ledger: Ledger, new_delay: int, wait: int
) -> None:
    fn = _fn(ledger.admin)
    at = next_block_timestamp(ledger)
    result = send(ledger.admin, fn.changeDefaultAdminDelay(new_delay))
    expect_events(result, _admin_change(ledger.admin, DELAY_BEGUN, ZERO, new_delay, at + wait))
    assert fn.pendingDefaultAdminDelay().call() == [new_delay, at + wait]
    assert fn.defaultAdminDelay().call() == DELAY
    ledger.chain.time_travel(at + wait)  # at `schedule` itself, the change is still pending
    assert fn.defaultAdminDelay().call(block_identifier="pending") == DELAY
    ledger.chain.time_travel(at + wait + 1)
    assert fn.defaultAdminDelay().call(block_identifier="pending") == new_delay
    assert fn.pendingDefaultAdminDelay().call(block_identifier="pending") == [0, 0]
    # The next hand-over uses the new delay.
    begun_at = next_block_timestamp(ledger)
    send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.carol)))
    assert fn.pendingDefaultAdmin().call() == [ledger.carol.account, begun_at + new_delay]


def test_rollback_default_admin_delay_discards_the_pending_change(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    send(ledger.admin, fn.changeDefaultAdminDelay(7 * DAY))
    result = send(ledger.admin, fn.rollbackDefaultAdminDelay())
    expect_events(result, _admin_change(ledger.admin, DELAY_ROLLED_BACK))
    assert fn.pendingDefaultAdminDelay().call() == [0, 0]
    ledger.chain.time_travel(next_block_timestamp(ledger) + 6 * DAY)
    assert fn.defaultAdminDelay().call() == DELAY


def test_renouncing_the_default_admin_role_takes_two_steps(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    me = to_checksum(ledger.admin)
    with reverts(AccessControlEnforcedDefaultAdminDelay, schedule=0):
        attempt(ledger.admin, fn.renounceRole(ADMIN_ROLE, me))
    # A pending hand-over to someone else blocks renouncing too.
    send(ledger.admin, fn.beginDefaultAdminTransfer(to_checksum(ledger.carol)))
    (_, schedule) = fn.pendingDefaultAdmin().call()
    ledger.chain.time_travel(schedule + 1)
    with reverts(AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        attempt(ledger.admin, fn.renounceRole(ADMIN_ROLE, me))
    # Step one: hand over to nobody; step two, after the delay: renounce.
    at = next_block_timestamp(ledger)
    send(ledger.admin, fn.beginDefaultAdminTransfer(ZERO))
    with reverts(AccessControlEnforcedDefaultAdminDelay, schedule=at + DELAY):
        attempt(ledger.admin, fn.renounceRole(ADMIN_ROLE, me))
    ledger.chain.time_travel(at + DELAY + 1)
    result = send(ledger.admin, fn.renounceRole(ADMIN_ROLE, me))
    expect_events(result, _role_updated(ADMIN_ROLE, ledger.admin, ledger.admin, False))
    assert fn.defaultAdmin().call() == ZERO
    assert fn.owner().call() == ZERO
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(ledger.admin, ADMIN_ROLE)):
        attempt(ledger.admin, fn.grantRole(PAUSER, to_checksum(ledger.carol)))
    # Other roles keep working.
    ledger.admin.pause()


def test_deploying_with_the_zero_admin_is_refused(ledger: Ledger) -> None:
    with reverts(AccessControlInvalidDefaultAdmin, defaultAdmin=ZERO):
        assert ledger.admin.sender is not None
        deploy_ledger(ledger.admin.sender, admin=ZERO)


def test_a_fresh_deployment_audits_the_admin_grant_as_seq_1(ledger: Ledger) -> None:
    assert ledger.admin.sender is not None
    fresh = deploy_ledger(ledger.admin.sender, admin=ledger.carol.account, admin_delay=60)
    client = LedgerClient(ledger.chain.w3, fresh.address)
    logs = ledger.chain.w3.eth.get_logs({"address": to_checksum(fresh.address), "fromBlock": 0})
    (event,) = [e for e in decode_logs(logs) if e.topics[0] in AUDITED]
    assert event.name == "RoleUpdated" and event.seq == 1
    assert event.fields["role"] == ADMIN_ROLE
    assert event.fields["account"] == addr(ledger.carol)
    assert event.fields["actor"] == addr(ledger.admin)  # the deployer
    assert client.audit_state().seq == 1
    assert client.contract.functions.defaultAdminDelay().call() == 60


# ---------------------------------------------------------------- pause


def test_pause_and_unpause_are_audited(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    result = send(ledger.admin, fn.pause())
    expect_events(result, ("PauseChanged", {"actor": addr(ledger.admin), "paused": True}))
    assert ledger.admin.paused()
    with reverts(EnforcedPause):
        attempt(ledger.admin, fn.pause())
    result = send(ledger.admin, fn.unpause())
    expect_events(result, ("PauseChanged", {"actor": addr(ledger.admin), "paused": False}))
    assert not ledger.admin.paused()
    with reverts(ExpectedPause):
        attempt(ledger.admin, fn.unpause())


@pytest.mark.parametrize("who", ["issuer", "alice", "outsider"])
def test_pause_and_unpause_need_the_pauser_role(ledger: Ledger, who: str) -> None:
    client = getattr(ledger, who)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, PAUSER)):
        attempt(client, _fn(client).pause())
    ledger.admin.pause()
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, PAUSER)):
        attempt(client, _fn(client).unpause())


def test_a_granted_pauser_can_pause(ledger: Ledger) -> None:
    ledger.admin.grant_role(PAUSER, ledger.carol.account)
    result = send(ledger.carol, _fn(ledger.carol).pause())
    assert result.event("PauseChanged").fields["actor"] == addr(ledger.carol)
    # The default admin alone is not enough once its pauser role is gone.
    ledger.admin.revoke_role(PAUSER, ledger.admin.account)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(ledger.admin, PAUSER)):
        attempt(ledger.admin, _fn(ledger.admin).unpause())


def test_pause_blocks_holdings_but_not_governance(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    ledger.admin.pause()
    ledger.admin.set_account(ledger.carol.account, allowed=True, frozen=True)
    ledger.admin.set_batch_frozen(1, True)
    ledger.admin.register_program("ART")
    ledger.admin.grant_role(COMPLIANCE, ledger.carol.account)
    # Revoking a compromised issuer key stays possible while paused.
    ledger.admin.revoke_role(ledger.admin.issuer_role(ledger.gs), ledger.gs_issuer.account)
    assert batch(ledger, 1).frozen
    assert ranges(ledger, 1) == [(1, 100, "alice", RangeState.HELD)]


def test_pause_stops_changes_to_projects_and_labels(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    ledger.admin.pause()
    with reverts(EnforcedPause):
        attempt(ledger.admin, _fn(ledger.admin).setLabels(1, int(Label.CCP_APPROVED)))
    project = (GS_PROJECT.project_id, GS_PROJECT.name, "UG", "", "")
    with reverts(EnforcedPause):
        attempt(ledger.gs_issuer, _fn(ledger.gs_issuer).registerProject(ledger.gs, project))


# ---------------------------------------------------------------- accounts, batch freezes, labels


@pytest.mark.parametrize(
    ("allowed", "frozen"), [(True, False), (True, True), (False, True), (False, False)]
)
def test_set_account_records_both_flags(ledger: Ledger, allowed: bool, frozen: bool) -> None:
    result = send(
        ledger.admin, _fn(ledger.admin).setAccount(to_checksum(ledger.outsider), allowed, frozen)
    )
    expect_events(
        result,
        (
            "AccountUpdated",
            {
                "account": addr(ledger.outsider),
                "actor": addr(ledger.admin),
                "allowed": allowed,
                "frozen": frozen,
            },
        ),
    )
    status = ledger.admin.account_status(ledger.outsider.account)
    assert (status.allowed, status.frozen) == (allowed, frozen)


@pytest.mark.parametrize("who", ["issuer", "alice"])
def test_set_account_and_set_batch_frozen_need_compliance(ledger: Ledger, who: str) -> None:
    bridge_range(ledger, 1, 10)
    client = getattr(ledger, who)
    for call in (
        _fn(client).setAccount(to_checksum(client), True, False),
        _fn(client).setBatchFrozen(1, True),
        _fn(client).setBatchFrozen(2, True),  # the role is checked before the batch
    ):
        with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, COMPLIANCE)):
            attempt(client, call)


def test_a_granted_compliance_officer_can_set_accounts(ledger: Ledger) -> None:
    ledger.admin.grant_role(COMPLIANCE, ledger.carol.account)
    send(ledger.carol, _fn(ledger.carol).setAccount(to_checksum(ledger.outsider), True, False))
    assert ledger.admin.account_status(ledger.outsider.account).allowed


def test_set_batch_frozen_is_audited_and_reversible(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 10)
    for frozen in (True, False):
        result = send(ledger.admin, _fn(ledger.admin).setBatchFrozen(1, frozen))
        expect_events(
            result,
            ("BatchFreezeChanged", {"batchId": 1, "actor": addr(ledger.admin), "frozen": frozen}),
        )
        assert batch(ledger, 1).frozen is frozen
    with reverts(UnknownBatch, batchId=2):
        attempt(ledger.admin, _fn(ledger.admin).setBatchFrozen(2, True))


def test_set_labels_by_the_programme_admin(ledger: Ledger) -> None:
    # The fixture's default admin is also VCS's programme admin.
    bridge_range(ledger, 1, 10, labels=Label.CORSIA_ELIGIBLE)
    every = 0xF
    result = send(ledger.admin, _fn(ledger.admin).setLabels(1, every))
    expect_events(
        result, ("LabelsUpdated", {"batchId": 1, "actor": addr(ledger.admin), "labels": every})
    )
    assert batch(ledger, 1).labels == every
    ledger.admin.set_batch_frozen(1, True)  # labels can still be corrected on a frozen batch
    ledger.admin.set_labels(1, Label.NONE)
    assert batch(ledger, 1).labels == Label.NONE


@pytest.mark.parametrize("bits", [0x10, 0x8000, 0xFFFF])
def test_set_labels_refuses_unknown_bits(ledger: Ledger, bits: int) -> None:
    bridge_range(ledger, 1, 10)
    with reverts(UnknownLabels, labels=bits):
        attempt(ledger.admin, _fn(ledger.admin).setLabels(1, bits))


@pytest.mark.parametrize("who", ["issuer", "gs_issuer", "alice"])
def test_set_labels_needs_the_programme_admin(ledger: Ledger, who: str) -> None:
    bridge_range(ledger, 1, 10)
    client = getattr(ledger, who)
    role = ledger.admin.program_admin_role(ledger.vcs)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(client, role)):
        attempt(client, _fn(client).setLabels(1, 1))
    with reverts(UnknownBatch, batchId=2):
        attempt(client, _fn(client).setLabels(2, 1))


def test_ledger_admin_cannot_set_labels_of_a_programme(ledger: Ledger) -> None:
    cdm = ledger.admin.register_program("CDM", ledger.carol.account)
    ledger.carol.grant_issuer(cdm, ledger.issuer.account)
    ledger.issuer.register_project(cdm, BALE)
    i = dataclasses.replace(
        ledger.issuance(1, 10), program_id=cdm, project_key=project_key(cdm, BALE.project_id)
    )
    ledger.issuer.bridge(i)
    role = ledger.admin.program_admin_role(cdm)
    with reverts(AccessControlUnauthorizedAccount, **_unauthorized(ledger.admin, role)):
        attempt(ledger.admin, _fn(ledger.admin).setLabels(1, int(Label.CORSIA_ELIGIBLE)))
    ledger.carol.set_labels(1, Label.CORSIA_ELIGIBLE)
    assert batch(ledger, 1).labels == Label.CORSIA_ELIGIBLE


def test_labels_cannot_change_once_a_credit_is_retired(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 10, labels=Label.CORSIA_ELIGIBLE)
    ledger.alice.retire(RetirementRequest(1, 1, 1, "Alice"))
    with reverts(LabelsLocked, batchId=1):
        attempt(ledger.admin, _fn(ledger.admin).setLabels(1, int(Label.NONE)))
    assert batch(ledger, 1).labels == Label.CORSIA_ELIGIBLE


# ---------------------------------------------------------------- ERC-165


def test_supports_interface(ledger: Ledger) -> None:
    def interface_id(*signatures: str) -> bytes:
        acc = 0
        for s in signatures:
            acc ^= int.from_bytes(Web3.keccak(text=s)[:4])
        return acc.to_bytes(4)

    access_control = interface_id(
        "hasRole(bytes32,address)",
        "getRoleAdmin(bytes32)",
        "grantRole(bytes32,address)",
        "revokeRole(bytes32,address)",
        "renounceRole(bytes32,address)",
    )
    default_admin_rules = interface_id(
        "defaultAdmin()",
        "pendingDefaultAdmin()",
        "defaultAdminDelay()",
        "pendingDefaultAdminDelay()",
        "beginDefaultAdminTransfer(address)",
        "cancelDefaultAdminTransfer()",
        "acceptDefaultAdminTransfer()",
        "changeDefaultAdminDelay(uint48)",
        "rollbackDefaultAdminDelay()",
        "defaultAdminDelayIncreaseWait()",
    )
    supports = _fn(ledger.admin).supportsInterface
    assert access_control == bytes.fromhex("7965db0b")
    for iid in (access_control, default_admin_rules, bytes.fromhex("01ffc9a7")):
        assert supports(iid).call() is True
    assert supports(bytes.fromhex("ffffffff")).call() is False
    assert supports(bytes.fromhex("12345678")).call() is False


def test_set_account_refuses_the_zero_address(ledger: Ledger) -> None:
    with reverts(InvalidAccount, account=ZERO):
        attempt(ledger.admin, _fn(ledger.admin).setAccount(ZERO, True, False))
