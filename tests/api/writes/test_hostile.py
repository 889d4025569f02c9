"""Issue 12's hostile inputs as a consortium member would send them through the API, custodial
and signed: the same Verra serials again under another spelling of their namespace, a serial
past ``MAX_SERIAL``, text no store or certificate may hold, a registry's own spelling of a
project id, a transfer to oneself, and what the contract refuses when something passes the
API's own checks. Each refusal is a 422 naming the request's field, and nothing reaches the
chain; what the API accepts lands in canonical form."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from chain.canonical import MAX_SERIAL, TEXT_FIELDS
from chain.domain import project_key
from chain.programmes import register_programme
from tests.api.conftest import BALE, Api, Key, issuance_body, verra_serial
from tests.api.writes.test_signed import sign, typed_issuance

FIRST, LAST = 941467007, 941467431
TONGXU = "19380-941382555-941382741-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0"
GS_SERIAL = "GS1-1-UG-GS11236-16-2024-30307-1-19149"
ACR_SERIAL = "ACR-US-1185-2025-4120-1 to 5000"

NAMESPACE_SPELLINGS = {
    "trailing space": "VCS-VCU ",
    "leading space": " VCS-VCU",
    "lower case": "vcs-vcu",
    "U+2010 hyphen": "VCS\u2010VCU",
    "zero-width space": "VCS-VCU\u200b",
    "Cyrillic Es": "V\u0421S-VCU",
    "canonical but parallel": "VCSVCU",
}
"""Spellings of Verra's one namespace ``VCS-VCU`` a member might bridge the same serials under."""

HOSTILE_TEXT = {
    "NUL": "Acme\x00Corp",
    "U+202E override": "Acme \u202eproC",
    "BEL": "Acme\x07",
    "newline": "Acme\nCorp",
    "CR LF": "Acme\r\nCorp",
    "U+2028 line separator": "Acme\u2028Corp",
    "only invisible": "\u200b\u2060",
}
"""Text that no field may hold, whatever normalising does to it."""


def too_long(limit: int) -> str:
    """Fewer characters than ``limit`` but more bytes: limits are in UTF-8 bytes."""
    return "\u20ac" * (limit // 3 + 1)


def hostile(limit: int, *, required: bool) -> dict[str, str]:
    values = HOSTILE_TEXT | {"over the byte limit": too_long(limit)}
    if required:
        values["only spaces"] = "   "  # trimmed to nothing
    return values


def fields_named(answer: httpx.Response) -> list[str]:
    return [e["field"] for e in answer.json().get("errors", [])]


def refused_naming(answer: httpx.Response, field: str, what: str) -> None:
    assert answer.status_code == 422, (what, answer.text)
    assert answer.headers["content-type"] == "application/problem+json", what
    assert field in fields_named(answer), (what, field, answer.json())


def event(api: Api, tx_hash: str, name: str) -> dict[str, Any]:
    chain = api.ledger.admin
    receipt = chain.w3.eth.get_transaction_receipt(tx_hash)
    found: dict[str, Any] = next(e for e in chain._result(receipt).events if e.name == name).fields
    return found


@pytest.fixture
def issuer(api: Api) -> Key:
    return api.key("issuer", "VCS")


@pytest.fixture
def registry(api: Api) -> LocalAccount:
    """The registry's own key (the fixture's VCS issuer), which the API never holds."""
    assert api.ledger.issuer.sender is not None
    return api.ledger.issuer.sender.account


@pytest.fixture
def holder(api: Api) -> Key:
    return api.key("holder")


def signed_body(typed: dict[str, Any], registry: LocalAccount) -> dict[str, Any]:
    return {"typed_data": typed, "signer": registry.address, "signature": sign(registry, typed)}


# ---------------------------------------------------------------------------- namespaces


@pytest.mark.parametrize("spelling", NAMESPACE_SPELLINGS.values(), ids=NAMESPACE_SPELLINGS.keys())
def test_bridged_verra_serials_again_under_another_namespace_spelling_are_422_never_a_batch(
    api: Api, issuer: Key, holder: Key, registry: LocalAccount, spelling: str
) -> None:
    first = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
    assert first.status_code == 201 and first.json()["namespace"] == "VCS-VCU", first.text
    bob = api.ledger.bob.account
    chain = api.ledger.admin
    nonce = chain.nonce(registry.address)

    # Signed: the registry signs the same serials, to another holder, under the spelling.
    typed = typed_issuance(api, issuer, registry.address, bob)
    typed["message"]["namespace"] = spelling
    answer = api.post("/v1/issuances", issuer, signed_body(typed, registry))
    refused_naming(answer, "typed_data.message.namespace", spelling)

    # Custodial: the serial string itself spelled that way is the adapter's to refuse.
    serial = verra_serial(FIRST, LAST).replace("VCS-VCU", spelling)
    answer = api.post("/v1/issuances", issuer, issuance_body(bob, serial=serial))
    refused_naming(answer, "serial", spelling)

    assert chain.batch_count() == 1 and chain.balance_of(bob, 1) == 0
    assert chain.nonce(registry.address) == nonce  # nothing was relayed

    # Spelled canonically, the same serials are what they are: already bridged.
    typed["message"]["namespace"] = "VCS-VCU"
    again = api.post("/v1/issuances", issuer, signed_body(typed, registry))
    assert again.status_code == 409 and again.json()["error"] == "SerialsAlreadyBridged"
    assert chain.batch_count() == 1


# ---------------------------------------------------------------------------- serials


@pytest.mark.parametrize("serial", [2**63, MAX_SERIAL + 1], ids=["2^63", "MAX_SERIAL+1"])
def test_a_serial_past_max_serial_is_422_naming_the_field_custodial_and_signed(
    api: Api, issuer: Key, holder: Key, registry: LocalAccount, serial: int
) -> None:
    recipient = holder.address or ""
    body = issuance_body(recipient, serial=verra_serial(FIRST, serial))
    refused_naming(api.post("/v1/issuances", issuer, body), "serial", "custodial")
    ask = body | {"signer": registry.address}
    refused_naming(api.post("/v1/issuances/typed-data", issuer, ask), "serial", "typed data")

    typed = typed_issuance(api, issuer, registry.address, recipient)
    for name in ("firstSerial", "lastSerial"):
        typo = copy.deepcopy(typed)
        typo["message"][name] = serial
        if name == "firstSerial":
            typo["message"]["lastSerial"] = serial
        answer = api.post("/v1/issuances", issuer, signed_body(typo, registry))
        refused_naming(answer, f"typed_data.message.{name}", name)
    assert api.ledger.admin.batch_count() == 0

    # The bound itself is a serial like any other.
    top = api.post("/v1/issuances", issuer, issuance_body(recipient, MAX_SERIAL, MAX_SERIAL))
    assert top.status_code == 201, top.text
    assert top.json()["last_serial"] == str(MAX_SERIAL)  # beyond 2^53: a decimal string


# ---------------------------------------------------------------------------- retirement text


@dataclass
class Held:
    holder: Key
    batch: int


@pytest.fixture
def held(api: Api, issuer: Key) -> Held:
    """Alice (whose key signs her own retirements) holds the Bale block; ``holder`` relays."""
    alice = api.ledger.alice.account
    answer = api.post("/v1/issuances", issuer, issuance_body(alice))
    assert answer.status_code == 201, answer.text
    return Held(api.key("holder"), answer.json()["batch_id"])


RETIREMENT_TEXT = {"beneficiary": True, "jurisdiction": False, "note": False}
"""The retirement's text fields, and whether each is required."""


def test_hostile_retirement_text_is_422_naming_the_field_custodial(
    api: Api, issuer: Key, holder: Key
) -> None:
    minted = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
    batch = minted.json()["batch_id"]
    body = {"batch_id": batch, "quantity": 1, "beneficiary": "Hilti", "purpose": "voluntary"}
    for field, required in RETIREMENT_TEXT.items():
        for what, value in hostile(TEXT_FIELDS[field].limit, required=required).items():
            answer = api.post("/v1/retirements", holder, body | {field: value})
            refused_naming(answer, field, f"{field}: {what}")
    assert api.ledger.admin.batch(batch).retired == 0


def test_hostile_retirement_text_is_422_naming_the_field_signed(api: Api, held: Held) -> None:
    alice = api.ledger.alice.sender
    assert alice is not None
    ask = {
        "batch_id": held.batch,
        "quantity": 1,
        "beneficiary": "Hilti",
        "purpose": "voluntary",
        "holder": alice.address,
    }
    typed = api.post("/v1/retirements/typed-data", held.holder, ask).json()["typed_data"]
    nonce = api.ledger.admin.nonce(alice.address)
    # Signed text cannot be normalised without breaking the signature: it must be canonical.
    not_canonical = {"surrounding space": " Hilti", "decomposed (NFD)": "Cafe\u0301"}
    for field, required in RETIREMENT_TEXT.items():
        values = hostile(TEXT_FIELDS[field].limit, required=required) | not_canonical
        for what, value in values.items():
            edited = copy.deepcopy(typed)
            edited["message"][field] = value
            body = {"typed_data": edited, "signature": sign(alice.account, edited)}
            answer = api.post("/v1/retirements", held.holder, body)
            refused_naming(answer, f"typed_data.message.{field}", f"{field}: {what}")
            # The typed-data endpoint takes the custodial body: the same value is refused there.
            if what not in not_canonical:
                answer = api.post("/v1/retirements/typed-data", held.holder, ask | {field: value})
                refused_naming(answer, field, f"typed data {field}: {what}")
    assert api.ledger.admin.batch(held.batch).retired == 0
    assert api.ledger.admin.nonce(alice.address) == nonce


def test_retirement_text_a_person_wrote_is_normalised_custodial_and_in_typed_data(
    api: Api, issuer: Key, held: Held
) -> None:
    alice = api.ledger.alice.sender
    assert alice is not None
    written = {
        "beneficiary": " Cafe\u0301 Ltd\n",  # surrounding whitespace, decomposed é
        "jurisdiction": "\u3000CH ",  # an ideographic space is whitespace too
        "note": "   ",  # optional: nothing once trimmed
    }
    canonical = {"beneficiary": "Caf\u00e9 Ltd", "jurisdiction": "CH", "note": ""}
    ask = {"batch_id": held.batch, "quantity": 1, "purpose": "voluntary", "holder": alice.address}
    answer = api.post("/v1/retirements/typed-data", held.holder, ask | written)
    assert answer.status_code == 200, answer.text
    typed = answer.json()["typed_data"]
    assert {k: typed["message"][k] for k in canonical} == canonical
    body = {"typed_data": typed, "signature": sign(alice.account, typed)}
    retired = api.post("/v1/retirements", held.holder, body)
    assert retired.status_code == 201, retired.text
    on_chain = event(api, retired.json()["tx_hash"], "CreditsRetired")["retirement"]
    assert {k: on_chain[k] for k in canonical} == canonical

    # Custodial: the key's own account retires credits it holds.
    minted = api.post("/v1/issuances", issuer, issuance_body(held.holder.address or "", 1, 10))
    body = {"batch_id": minted.json()["batch_id"], "quantity": 1, "purpose": "voluntary"}
    retired = api.post("/v1/retirements", held.holder, body | written)
    assert retired.status_code == 201, retired.text
    assert retired.json()["beneficiary"] == canonical["beneficiary"]
    on_chain = event(api, retired.json()["tx_hash"], "CreditsRetired")["retirement"]
    assert {k: on_chain[k] for k in canonical} == canonical


def test_a_body_that_is_not_utf8_or_holds_a_lone_surrogate_is_422(
    api: Api, issuer: Key, holder: Key
) -> None:
    minted = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
    batch = minted.json()["batch_id"]
    headers = holder.headers | {"content-type": "application/json"}
    head = b'{"batch_id": %d, "quantity": 1, "purpose": "voluntary", "beneficiary": ' % batch
    not_utf8 = api.client.post("/v1/retirements", content=head + b'"Acme \xff"}', headers=headers)
    refused_naming(not_utf8, "body", "invalid UTF-8 bytes")
    assert "byte" in not_utf8.json()["errors"][0]["message"]
    # Valid JSON, but its escape decodes to half a UTF-16 pair, which UTF-8 cannot hold.
    surrogate = api.client.post(
        "/v1/retirements", content=head + b'"Acme \\ud800"}', headers=headers
    )
    refused_naming(surrogate, "beneficiary", "lone surrogate")
    assert api.ledger.admin.batch(batch).retired == 0


# ---------------------------------------------------------------------------- issuance text

PROJECT_TEXT = {
    "name": "name",
    "country": "country",
    "methodology": "methodology",
    "type": "projectType",
}
"""A project's text fields in the API body, by the contract's name for each."""


def test_hostile_issuance_text_is_422_naming_the_field_custodial_and_signed(
    api: Api, issuer: Key, holder: Key, registry: LocalAccount
) -> None:
    recipient = holder.address or ""
    typed = typed_issuance(api, issuer, registry.address, recipient)
    for field, contract in PROJECT_TEXT.items():
        rule = TEXT_FIELDS[contract]
        for what, value in hostile(rule.limit, required=rule.required).items():
            project = BALE | {field: value}
            custodial = api.post("/v1/issuances", issuer, issuance_body(recipient, project=project))
            refused_naming(custodial, f"project.{field}", f"project.{field}: {what}")
            body = signed_body(typed, registry) | {"project": project | {"id": "1340"}}
            signed = api.post("/v1/issuances", issuer, body)
            refused_naming(signed, f"project.{field}", f"signed project.{field}: {what}")
    reference = hostile(TEXT_FIELDS["registryReference"].limit, required=False)
    for what, value in reference.items():
        body = issuance_body(recipient, registry_reference=value)
        custodial = api.post("/v1/issuances", issuer, body)
        refused_naming(custodial, "registry_reference", f"registry_reference: {what}")
    # Signed text must already be canonical (the custodial path would normalise these).
    not_canonical = {"surrounding space": "19385 ", "decomposed (NFD)": "Cafe\u0301"}
    for what, value in (reference | not_canonical).items():
        edited = copy.deepcopy(typed)
        edited["message"]["registryReference"] = value
        signed = api.post("/v1/issuances", issuer, signed_body(edited, registry))
        refused_naming(signed, "typed_data.message.registryReference", f"reference: {what}")
    assert api.ledger.admin.batch_count() == 0


def test_issuance_typed_data_is_canonical_and_its_signature_is_relayed(
    api: Api, issuer: Key, holder: Key, registry: LocalAccount
) -> None:
    """What a registry signs is what the ledger holds: the namespace as the adapter writes it,
    the reference normalised, the project id in its canonical form."""
    reference = " Cafe\u0301-19385\t"
    project = {"id": "VCS 1340"} | BALE | {"name": f" {BALE['name']}\n"}
    body = issuance_body(holder.address or "", registry_reference=reference, project=project)
    answer = api.post("/v1/issuances/typed-data", issuer, body | {"signer": registry.address})
    assert answer.status_code == 200, answer.text
    message = answer.json()["typed_data"]["message"]
    assert message["namespace"] == "VCS-VCU"
    assert message["registryReference"] == "Caf\u00e9-19385"
    assert message["projectKey"] == "0x" + api.ledger.project_key.hex()  # project 1340's key
    typed = answer.json()["typed_data"]
    relayed = api.post("/v1/issuances", issuer, signed_body(typed, registry))
    assert relayed.status_code == 201, relayed.text
    issuance = event(api, relayed.json()["tx_hash"], "BatchBridged")["issuance"]
    assert (issuance["namespace"], issuance["registryReference"]) == ("VCS-VCU", "Caf\u00e9-19385")


# ---------------------------------------------------------------------------- project ids


def test_a_registrys_own_project_id_spelling_is_canonicalised_custodial(
    api: Api, holder: Key, issuer: Key
) -> None:
    """ACR's exports and registry write ``ACR1185``; the serial holds ``1185``: one project."""
    register_programme(api.ledger.admin, "ACR")  # with its identity policy (numeric ids)
    acr = api.key("issuer", "ACR")
    chain = api.ledger.admin
    acr_id = chain.program_id("ACR")
    recipient = holder.address or ""
    body = {
        "program": "ACR",
        "serial": ACR_SERIAL,
        "recipient": recipient,
        "project": {"id": "ACR1185", "name": "Improved Forest Management", "country": "US"},
        "vintage_start": "2025-01-01",
        "vintage_end": "2025-12-31",
    }
    answer = api.post("/v1/issuances", acr, body)
    assert answer.status_code == 201, answer.text
    bridged = event(api, answer.json()["tx_hash"], "BatchBridged")["issuance"]
    assert bridged["projectKey"] == project_key(acr_id, "1185")
    assert chain.project_program(project_key(acr_id, "1185")) == acr_id
    assert chain.project_program(project_key(acr_id, "ACR1185")) == 0  # never a second project

    vcs = issuance_body(recipient, 1, 10, project=BALE | {"id": "VCS1340"})
    answer = api.post("/v1/issuances", issuer, vcs)
    assert answer.status_code == 201, answer.text
    bridged = event(api, answer.json()["tx_hash"], "BatchBridged")["issuance"]
    assert bridged["projectKey"] == api.ledger.project_key

    gs = {
        "program": "GS",
        "serial": GS_SERIAL,
        "recipient": recipient,
        "project": {"id": "GS11236", "name": "BioLite cook stoves", "country": "UG"},
        "vintage_start": "2024-01-01",
        "vintage_end": "2024-12-08",
    }
    answer = api.post("/v1/issuances", api.key("issuer", "GS"), gs)
    assert answer.status_code == 201, answer.text
    bridged = event(api, answer.json()["tx_hash"], "BatchBridged")["issuance"]
    assert bridged["projectKey"] == project_key(api.ledger.gs, "11236")

    batches = chain.batch_count()
    others = [
        (acr, body | {"serial": ACR_SERIAL.replace("4120", "4121")}, "ACR1186"),
        (acr, body | {"serial": ACR_SERIAL.replace("4120", "4122")}, "ACR-1185X"),
        (issuer, issuance_body(recipient, 11, 20), "VCS1341"),
        (issuer, issuance_body(recipient, 21, 30), "GS1340"),
    ]
    for key, other, project_id in others:
        other = other | {"project": other["project"] | {"id": project_id}}
        refused_naming(api.post("/v1/issuances", key, other), "project.id", project_id)
    assert chain.batch_count() == batches


def test_a_registrys_own_project_id_spelling_is_canonicalised_signed(
    api: Api, issuer: Key, registry: LocalAccount
) -> None:
    chain = api.ledger.admin
    key = project_key(api.ledger.vcs, "3005")
    project = {"id": "VCS3005", "name": "Tongxu biogas", "country": "CN"}
    extra = {
        "serial": TONGXU,
        "project": project,
        "vintage_start": "2022-01-01",
        "vintage_end": "2022-10-31",
    }
    typed = typed_issuance(api, issuer, registry.address, api.ledger.alice.account, **extra)
    assert typed["message"]["projectKey"] == "0x" + key.hex()
    other = signed_body(typed, registry) | {"project": project | {"id": "VCS3006"}}
    refused_naming(api.post("/v1/issuances", issuer, other), "project.id", "VCS3006")
    answer = api.post("/v1/issuances", issuer, signed_body(typed, registry) | {"project": project})
    assert answer.status_code == 201, answer.text
    assert chain.project_program(key) == api.ledger.vcs
    assert chain.project_program(project_key(api.ledger.vcs, "VCS3005")) == 0


# ---------------------------------------------------------------------------- transfers


def test_a_transfer_to_oneself_is_422_naming_to(api: Api, issuer: Key, holder: Key) -> None:
    own = holder.address or ""
    minted = api.post("/v1/issuances", issuer, issuance_body(own))
    batch = minted.json()["batch_id"]
    spellings = [own, own.upper().replace("0X", "0x")]  # the same account, however written
    for to in spellings:
        for serials in ({"quantity": 1}, {"first_serial": FIRST, "last_serial": FIRST + 9}):
            body = {"batch_id": batch, "to": to} | serials
            refused_naming(api.post("/v1/transfers", holder, body), "to", to)
    assert [(r.first, r.last) for r in api.ledger.admin.ranges(batch)] == [(FIRST, LAST)]


# ---------------------------------------------------------------------------- contract


def test_a_namespace_the_programme_admin_withdrew_is_the_contracts_422_naming_the_field(
    api: Api, issuer: Key, holder: Key, registry: LocalAccount
) -> None:
    """``VCS-VCU`` passes every check of the API (it is Verra's namespace), but this ledger's
    VCS admin confines bridgings to allowed namespaces and allows none: the contract refuses,
    and the answer still names the request's field."""
    chain = api.ledger.admin
    api.ledger.nonces.reset()  # the API sent as the fixture's admin: its nonce moved on
    chain.set_program_policy(api.ledger.vcs, fixed_namespaces=True, numeric_project_ids=True)
    recipient = holder.address or ""

    def refused(answer: httpx.Response, field: str) -> dict[str, Any]:
        refused_naming(answer, field, field)
        problem: dict[str, Any] = answer.json()
        assert problem["error"] == "NamespaceNotAllowed"
        assert problem["arguments"] == {"programId": api.ledger.vcs, "namespace": "VCS-VCU"}
        return problem

    # Signed, project known: the relay's preflight asks the contract; nothing is sent.
    typed = typed_issuance(api, issuer, registry.address, recipient)
    answer = api.post("/v1/issuances", issuer, signed_body(typed, registry))
    assert refused(answer, "typed_data.message.namespace")["tx_hash"] is None

    # Signed, registering its project first: mined and reverted, settled by the pipeline.
    extra = {"serial": TONGXU, "vintage_start": "2022-01-01", "vintage_end": "2022-10-31"}
    tongxu = {"id": "3005", "name": "Tongxu biogas", "country": "CN"}
    typed = typed_issuance(api, issuer, registry.address, recipient, project=tongxu, **extra)
    answer = api.post("/v1/issuances", issuer, signed_body(typed, registry) | {"project": tongxu})
    assert refused(answer, "typed_data.message.namespace")["tx_hash"]

    # Custodial: the namespace came from the serial.
    answer = api.post("/v1/issuances", issuer, issuance_body(recipient))
    assert refused(answer, "serial")["tx_hash"]
    status = api.client.get(f"/v1/requests/{answer.json()['request_id']}", headers=issuer.headers)
    assert [e["field"] for e in status.json()["error"]["errors"]] == ["serial"]
    assert chain.batch_count() == 0
