"""A batch of 425 t (serials 941467007..941467431) bridged by a VCS issuer key to a holder key,
with a second holder key beside it: what the holders' writes start from."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.api.conftest import Api, Key, issuance_body

FIRST, LAST = 941467007, 941467431


@dataclass
class Holding:
    issuer: Key
    holder: Key
    other: Key
    batch: int


@pytest.fixture
def held(api: Api) -> Holding:
    issuer, holder, other = api.key("issuer", "VCS"), api.key("holder"), api.key("holder")
    answer = api.post("/v1/issuances", issuer, issuance_body(holder.address or ""))
    assert answer.status_code == 201, answer.text
    return Holding(issuer, holder, other, answer.json()["batch_id"])
