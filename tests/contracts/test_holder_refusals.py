"""Every holdings operation (transfer, retire, signed retire, detokenise) behaves alike when it
must refuse: the shared behaviours of ``behaviours.py``, each run for each operation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Ledger
from tests.contracts._helpers import (
    bridge_range,
    invariants,  # noqa: F401  (autouse fixture)
)
from tests.contracts.behaviours import BEHAVIOURS, FIRST, LAST, OPERATIONS, HolderOperation


@pytest.fixture
def held(ledger: Ledger) -> Ledger:
    """Batch 1: serials 1001..2000, all held by alice."""
    bridge_range(ledger, FIRST, LAST)
    return ledger


@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_holdings_operation(
    held: Ledger,
    operation: HolderOperation,
    behaviour: Callable[[Ledger, HolderOperation], None],
) -> None:
    behaviour(held, operation)
