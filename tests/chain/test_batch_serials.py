"""Registry serials read from the ledger alone (chain.batch_serials): a Verra batch's
sub-ranges named as Verra writes them; a batch whose stored text gives none, an unknown batch,
or one bridged before the searched span, ``None``, never an error."""

from __future__ import annotations

from chain.batch_serials import RangeSerials, ledger_batch
from tests.conftest import Ledger


def _verra(first: int, last: int) -> str:
    """A Verra serial of ``first..last`` of project 1340 with the fixture's 2020 vintage."""
    return f"19385-{first}-{last}-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"


def _bridge(ledger: Ledger, first: int, last: int, reference: str) -> None:
    """``first..last`` in Verra's namespace (``VCS-VCU``), with ``reference`` as its text."""
    ledger.issuer.bridge(ledger.issuance(first, last, namespace="VCS-VCU", reference=reference))


def test_a_verra_batch_names_each_sub_range_as_verra_writes_it(ledger: Ledger) -> None:
    _bridge(ledger, 1001, 2000, _verra(1001, 2000))
    serials = RangeSerials(ledger.admin)
    assert serials(1, 1001, 2000) == _verra(1001, 2000)
    assert serials(1, 1101, 1150) == _verra(1101, 1150)
    batch = ledger_batch(ledger.admin, 1)
    assert batch is not None and batch.project == "1340" and batch.program == "VCS"


def test_a_hostile_reference_or_an_unknown_batch_gives_no_serial(ledger: Ledger) -> None:
    # A Verra serial of other serials: rebuilding it for this batch's range is refused.
    _bridge(ledger, 5001, 5010, _verra(1, 10))
    _bridge(ledger, 6001, 6010, "plain text 北京")
    serials = RangeSerials(ledger.admin)
    assert serials(1, 5001, 5010) is None
    assert serials(2, 6001, 6010) is None
    assert serials(99, 1, 1) is None


def test_a_search_from_after_the_bridging_finds_nothing(ledger: Ledger) -> None:
    _bridge(ledger, 1001, 2000, _verra(1001, 2000))
    later = ledger.chain.w3.eth.block_number + 1
    assert RangeSerials(ledger.admin, from_block=later)(1, 1001, 2000) is None
