"""Canonical identity, called directly on the contract as a hostile consortium member would
(issue 12): every spelling that once bridged the same serials twice, the serial that halted
every mirror, the text that halted a PostgreSQL mirror or misled a certificate, and the
programme governance that fixes a registry-wide namespace."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from chain._revert import as_chain_error
from chain.domain import Project, RetirementRequest
from chain.errors import (
    AccessControlUnauthorizedAccount,
    InvalidNamespace,
    InvalidProjectId,
    InvalidSerialRange,
    NamespaceNotAllowed,
    SerialsAlreadyBridged,
    TextBlank,
    TextNotAllowed,
    TextTooLong,
)
from tests.conftest import Ledger
from tests.contracts._helpers import (
    MAX_SERIAL,
    PARTS_HEAD,
    addr,
    attempt,
    bridge,
    bridge_fn,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    retire_fn,
    reverts,
    send,
)

VERRA = "VCS-VCU"


@pytest.fixture
def verra(ledger: Ledger) -> Ledger:
    """VCS as Verra numbers it: one registry-wide namespace, fixed by the programme admin."""
    ledger.admin.set_program_policy(ledger.vcs, fixed_namespaces=True, numeric_project_ids=True)
    ledger.admin.set_namespaces(ledger.vcs, [VERRA])
    bridge_range(ledger, 941467007, 941467431, namespace=VERRA)
    return ledger


# ---------------------------------------------------------------- the spellings of issue 12


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param("VCS-VCU ", id="trailing-space"),
        pytest.param(" VCS-VCU", id="leading-space"),
        pytest.param("vcs-vcu", id="lower-case"),
        pytest.param("VCS\u2010VCU", id="unicode-hyphen-U+2010"),
        pytest.param("VCS-VCU\u200b", id="zero-width-space-U+200B"),
        pytest.param("V\u0421S-VCU", id="cyrillic-es-U+0421"),
        pytest.param("VCS--VCU", id="doubled-separator"),
        pytest.param("-VCS-VCU", id="leading-separator"),
        pytest.param("VCS-VCU-", id="trailing-separator"),
        pytest.param("VCS\tVCU", id="tab"),
        pytest.param("VCS\0VCU", id="nul"),
        pytest.param("", id="empty"),
        pytest.param("V" * 65, id="65-bytes"),
    ],
)
def test_the_same_serials_under_another_spelling_are_refused(verra: Ledger, spelling: str) -> None:
    i = issuance(verra, 941467007, 941467431, verra.bob, namespace=spelling)
    with reverts(InvalidNamespace, namespace=spelling):
        attempt(verra.issuer, bridge_fn(verra.issuer, i, PARTS_HEAD))


@pytest.mark.parametrize(
    "parallel", ["VCSVCU", "VCS-VCU2", "VCS_VCU", "VCS.VCU", "VCS-VCU-1507-VER-ET-14-1340"]
)
def test_a_parallel_namespace_of_a_fixed_programme_is_refused(verra: Ledger, parallel: str) -> None:
    # Canonical, but not the one Verra numbers VCUs in: no issuer can open it.
    i = issuance(verra, 941467007, 941467431, verra.bob, namespace=parallel)
    with reverts(NamespaceNotAllowed, programId=verra.vcs, namespace=parallel):
        attempt(verra.issuer, bridge_fn(verra.issuer, i, PARTS_HEAD))


def test_the_canonical_spelling_still_refuses_the_overlap(verra: Ledger) -> None:
    i = issuance(verra, 941467100, 941467200, verra.bob, namespace=VERRA)
    with reverts(
        SerialsAlreadyBridged,
        programId=verra.vcs,
        namespace=VERRA,
        first=941467100,
        last=941467200,
    ):
        bridge(verra, i)


def test_only_the_programme_admin_fixes_namespaces(verra: Ledger) -> None:
    # The issuer (and anyone else) cannot open a namespace for itself.
    role = verra.admin.program_admin_role(verra.vcs)
    fn = verra.issuer.contract.functions.setNamespaces(verra.vcs, ["VCS-VCU2"], True)
    with reverts(AccessControlUnauthorizedAccount, account=addr(verra.issuer), neededRole=role):
        attempt(verra.issuer, fn)
    fn = verra.issuer.contract.functions.setProgramPolicy(verra.vcs, False, False)
    with reverts(AccessControlUnauthorizedAccount, account=addr(verra.issuer), neededRole=role):
        attempt(verra.issuer, fn)


def test_namespace_and_policy_changes_are_audited(ledger: Ledger) -> None:
    admin = ledger.admin
    result = admin.set_program_policy(ledger.vcs, fixed_namespaces=True, numeric_project_ids=False)
    expect_events(
        result,
        (
            "ProgramPolicyUpdated",
            {
                "programId": ledger.vcs,
                "actor": addr(admin),
                "fixedNamespaces": True,
                "numericProjectIds": False,
            },
        ),
    )
    result = admin.set_namespaces(ledger.vcs, [VERRA, "VCS-VCU-OLD"])
    expect_events(
        result,
        *(
            (
                "NamespaceUpdated",
                {"programId": ledger.vcs, "actor": addr(admin), "namespace": ns, "allowed": True},
            )
            for ns in (VERRA, "VCS-VCU-OLD")
        ),
    )
    assert admin.namespace_allowed(ledger.vcs, VERRA)
    policy = admin.program_policy(ledger.vcs)
    assert (policy.code, policy.fixed_namespaces, policy.numeric_project_ids) == (
        "VCS",
        True,
        False,
    )
    admin.set_namespaces(ledger.vcs, ["VCS-VCU-OLD"], allowed=False)
    assert not admin.namespace_allowed(ledger.vcs, "VCS-VCU-OLD")


def test_a_withdrawn_namespace_refuses_new_bridgings_and_keeps_the_old(verra: Ledger) -> None:
    verra.admin.set_namespaces(verra.vcs, [VERRA], allowed=False)
    i = issuance(verra, 1, 10, namespace=VERRA)
    with reverts(NamespaceNotAllowed, programId=verra.vcs, namespace=VERRA):
        attempt(verra.issuer, bridge_fn(verra.issuer, i, PARTS_HEAD))
    assert verra.admin.batch(1).quantity == 425


def test_setting_a_non_canonical_namespace_is_refused(ledger: Ledger) -> None:
    fn = ledger.admin.contract.functions.setNamespaces(ledger.vcs, ["VCS-VCU", "vcs-vcu"], True)
    with reverts(InvalidNamespace, namespace="vcs-vcu"):
        attempt(ledger.admin, fn)


# ---------------------------------------------------------------- project ids


@pytest.mark.parametrize("project_id", ["ACR1185", "01185", "1185 ", "", "١١٨٥", "1e3"])
def test_a_numeric_programme_refuses_other_project_id_spellings(
    verra: Ledger, project_id: str
) -> None:
    project = Project(project_id, "Landfill gas", "US", "ACR LFG", "Landfill")
    fn = verra.issuer.contract.functions.registerProject(verra.vcs, project.as_abi())
    with reverts(InvalidProjectId, programId=verra.vcs, projectId=project_id):
        attempt(verra.issuer, fn)


@pytest.mark.parametrize("project_id", ["gs11236", "GS 11236", "GS-11236-", "GS\u200b11236"])
def test_an_open_programme_still_needs_a_canonical_project_id(
    ledger: Ledger, project_id: str
) -> None:
    project = Project(project_id, "Cookstoves", "UG", "TPDDTEC", "Energy efficiency")
    fn = ledger.gs_issuer.contract.functions.registerProject(ledger.gs, project.as_abi())
    with reverts(InvalidProjectId, programId=ledger.gs, projectId=project_id):
        attempt(ledger.gs_issuer, fn)


# ---------------------------------------------------------------- the serial that halted mirrors


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(2**63, 2**63, id="serial-2^63"),
        pytest.param(MAX_SERIAL + 1, MAX_SERIAL + 1, id="serial-2^63-1"),
        pytest.param(2**64 - 2, 2**64 - 2, id="serial-2^64-2"),
    ],
)
def test_a_serial_beyond_what_every_store_holds_is_refused(
    ledger: Ledger, first: int, last: int
) -> None:
    i = issuance(ledger, first, last)
    with reverts(InvalidSerialRange, first=first, last=last):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, i, PARTS_HEAD))


# ---------------------------------------------------------------- text a buyer writes


@pytest.mark.parametrize(
    ("beneficiary", "error", "arguments"),
    [
        pytest.param("Acme\0Corp", TextNotAllowed, {"offset": 4}, id="nul-byte"),
        pytest.param("\u202eevil", TextNotAllowed, {"offset": 0}, id="right-to-left-override"),
        pytest.param("Acme\u2066Corp\u2069", TextNotAllowed, {"offset": 4}, id="bidi-isolate"),
        pytest.param("Acme\x07", TextNotAllowed, {"offset": 4}, id="bel"),
        pytest.param("Acme\nCorp", TextNotAllowed, {"offset": 4}, id="newline"),
        pytest.param("Acme\u2028Corp", TextNotAllowed, {"offset": 4}, id="line-separator"),
        pytest.param("Acme\x85", TextNotAllowed, {"offset": 4}, id="c1-control-nel"),
        pytest.param("\x7f", TextNotAllowed, {"offset": 0}, id="del"),
        pytest.param("   ", TextBlank, {}, id="only-spaces"),
        pytest.param("\u3000\u200b\u00a0", TextBlank, {}, id="only-invisible"),
        pytest.param("", TextBlank, {}, id="empty"),
        pytest.param("A" * 257, TextTooLong, {"length": 257, "maxLength": 256}, id="257-bytes"),
    ],
)
def test_a_retirement_with_a_hostile_beneficiary_is_refused(
    ledger: Ledger, beneficiary: str, error: type, arguments: dict[str, object]
) -> None:
    bridge_range(ledger, 1, 100)
    request = RetirementRequest(1, 1, 10, beneficiary)
    with reverts(error, field="beneficiary", **arguments):
        attempt(ledger.alice, retire_fn(ledger.alice, request, 1))


@pytest.mark.parametrize(
    "beneficiary",
    ["Hilti Corporation", "中国石化", "Société Générale", "  padded  ", "A" * 256, "Ācme\u200dx"],
)
def test_a_retirement_with_acceptable_text_is_recorded_exactly(
    ledger: Ledger, beneficiary: str
) -> None:
    bridge_range(ledger, 1, 100)
    result = send(
        ledger.alice, retire_fn(ledger.alice, RetirementRequest(1, 1, 10, beneficiary), 1)
    )
    assert result.event("CreditsRetired").fields["retirement"]["beneficiary"] == beneficiary


def test_invalid_utf8_is_refused_at_the_byte_it_starts(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    selector = function_signature_to_4byte_selector(
        "detokenise(uint64,uint64,uint64,uint64,string)"
    )
    for raw, offset in (
        (b"ref\xff", 3),
        (b"\xc0\xaf", 0),
        (b"ab\xed\xa0\x80", 2),
        (b"x\xe2\x82", 1),
    ):
        data = selector + encode(
            ["uint64", "uint64", "uint64", "uint64", "bytes"], [1, 1, 1, 1, raw]
        )
        with pytest.raises(TextNotAllowed) as info:
            try:
                ledger.chain.w3.eth.call(
                    {"from": ledger.alice.account, "to": ledger.alice.address, "data": data}
                )
            except Exception as exc:
                raise as_chain_error(exc, ledger.alice.abi) from exc
        assert info.value.arguments == {"field": "registryReference", "offset": offset}


def test_a_registry_mirrored_retirement_may_have_no_beneficiary(ledger: Ledger) -> None:
    # Registries do not always record one; what they recorded is mirrored, nothing invented.
    bridge_range(ledger, 1, 100, ledger.issuer)
    result = ledger.issuer.record_registry_retirement(RetirementRequest(1, 1, 10, ""), 20240131)
    assert result.event("CreditsRetired").fields["retirement"]["beneficiary"] == ""
    with reverts(TextBlank, field="beneficiary"):
        attempt(
            ledger.issuer,
            ledger.issuer.contract.functions.recordRegistryRetirement(
                RetirementRequest(1, 11, 20, "  ").as_abi(), 11, 20240131
            ),
        )


def test_a_policy_changed_after_a_projects_registration_still_binds_its_bridgings(
    ledger: Ledger,
) -> None:
    """A project's slot keeps its programme's policy as of its registration, as a hint that
    only orders the two policy reads: a stale hint never lets a bridging through, nor refuses
    one. (Bale was registered while VCS was open; here VCS fixes its namespaces.)"""
    ledger.admin.set_program_policy(ledger.vcs, fixed_namespaces=True, numeric_project_ids=False)
    ledger.admin.set_namespaces(ledger.vcs, [VERRA])
    parallel = issuance(ledger, 1, 10, namespace="VCS-VCU-PARALLEL")
    with reverts(NamespaceNotAllowed, programId=ledger.vcs, namespace="VCS-VCU-PARALLEL"):
        attempt(ledger.issuer, bridge_fn(ledger.issuer, parallel, PARTS_HEAD))
    bridge(ledger, issuance(ledger, 1, 10, namespace=VERRA))


def test_a_programme_opened_after_a_projects_registration_accepts_any_namespace(
    verra: Ledger,
) -> None:
    # Registered while VCS fixed its namespaces: refused outside them, until VCS opens them.
    key = verra.issuer.register_project(verra.vcs, Project("5678", "Fixed", "BR", "", ""))
    i = issuance(verra, 1, 10, namespace="VCS-VCU-OPENED", project_key=key)
    with reverts(NamespaceNotAllowed, programId=verra.vcs, namespace="VCS-VCU-OPENED"):
        attempt(verra.issuer, bridge_fn(verra.issuer, i, PARTS_HEAD))
    verra.admin.set_program_policy(verra.vcs, fixed_namespaces=False, numeric_project_ids=True)
    bridge(verra, i)
