"""A pool's list read from the ledger alone (chain.pool_lists): the values its
``PoolListUpdated`` events listed and did not unlist, in the order first listed, per kind and
per pool; a search from after the listing finds none."""

from __future__ import annotations

from chain.domain import PoolKind, PoolMode, PoolRules
from chain.pool_lists import pool_list
from tests.conftest import Ledger

_ONLY_COUNTRIES = PoolRules(frozenset({1}), country_mode=PoolMode.ONLY)


def test_a_list_is_what_was_listed_and_not_unlisted(ledger: Ledger) -> None:
    admin = ledger.admin
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    pool, _ = admin.create_pool("Only", "ONL", _ONLY_COUNTRIES, countries=["KE", "ET", "BR"])
    other, _ = admin.create_pool("Other", "OTH", _ONLY_COUNTRIES, countries=["CN"])
    admin.unlist_pool(pool, PoolKind.COUNTRY, ["ET"])

    assert pool_list(admin, pool, PoolKind.COUNTRY) == ["KE", "BR"]
    assert pool_list(admin, other, PoolKind.COUNTRY) == ["CN"]
    assert pool_list(admin, pool, PoolKind.METHODOLOGY) == []
    later = ledger.chain.w3.eth.block_number + 1
    assert pool_list(admin, pool, PoolKind.COUNTRY, from_block=later) == []
