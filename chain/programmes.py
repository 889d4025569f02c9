"""Crediting programmes on the ledger: registering one with the identity policy its registry
needs, in one place for every caller (``deploy``, the demo, the importer, the API, benchmarks).

A programme's identity policy (``ProgramRecord`` on-chain, set by the programme's admin):

- **fixed namespaces** for registries that number serials in registry-wide spaces: Verra's
  VCUs (``VCS-VCU``) and a CDM originating registry (a Party's two-letter code). Bridgings
  go only into the namespaces the programme admin allowed, so no issuer can open a parallel
  space (``VCSVCU``, ``VCS-VCU2``) and bridge the same serials again;
- **numeric project ids** where the registry's project ids are numbers (VCS, GS, CDM, CCER,
  ACR, CAR, ART, CERCARBONO), so ``ACR1185`` and ``1185`` cannot both be registered.

Both follow from the registry's adapter (``chain.registries``); a programme whose registry
numbers serials per issuance and writes non-numeric project ids (``JCREDIT``, ``ISOMETRIC``,
``PURO``) starts open: its namespaces are per issuance, so there is no fixed list to allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chain import registries
from chain.client import LedgerClient, TxResult
from chain.units import KILOGRAM, TONNE, Unit

STANDARD_PROGRAMMES = (
    "VCS",
    "GS",
    "CDM",
    "CCER",
    "ACR",
    "CAR",
    "ART",
    "JCREDIT",
    "CERCARBONO",
    "ISOMETRIC",
    "PURO",
)
"""The programmes ``carbon-ledger deploy`` registers."""

UNITS: dict[str, Unit] = {"ISOMETRIC": KILOGRAM}
"""Programmes whose serial is not a tonne (``chain.units``): Isometric issues and retires in
kilograms, so one of its serials is one kg. Every other programme counts tonnes. Applied at
registration, before any project (the contract fixes the unit from the first one)."""


def unit(code: str) -> Unit:
    """The unit programme ``code`` is registered with (a tonne unless ``UNITS`` says)."""
    return UNITS.get(code.upper(), TONNE)


_NAMESPACES_PER_TX = 64  # 249 CDM namespaces in four transactions of about 1.6 M gas


@dataclass(frozen=True)
class Identity:
    """The identity policy of a programme (see the module docstring)."""

    fixed_namespaces: frozenset[str] | None
    numeric_project_ids: bool

    @property
    def is_open(self) -> bool:
        return self.fixed_namespaces is None and not self.numeric_project_ids


def identity(code: str) -> Identity:
    """The policy programme ``code`` needs, from its registry adapters (open if none)."""
    try:
        adapters = [a for a in registries.adapters_for(code) if a.program == code]
    except registries.UnknownRegistry:
        adapters = []
    if not adapters:
        return Identity(None, False)
    fixed = [a.fixed_namespaces for a in adapters]
    return Identity(
        fixed_namespaces=frozenset().union(*(f for f in fixed if f is not None))
        if all(f is not None for f in fixed)
        else None,
        numeric_project_ids=all(a.numeric_projects for a in adapters),
    )


def register_programme(client: LedgerClient, code: str, *, admin: str | None = None) -> int:
    """Register ``code`` with ``admin`` (default: the client's account) as its admin and, when
    the client is that admin, set its unit (``UNITS``) and apply its identity policy. Returns
    its id."""
    return registration(client, code, admin=admin)[0]


def registration(
    client: LedgerClient, code: str, *, admin: str | None = None
) -> tuple[int, list[TxResult]]:
    """``register_programme``, returning the id and every transaction it sent (the command
    line prints each one)."""
    registered = client.register_program_tx(code, admin)
    program_id = int(registered.event("ProgramRegistered").fields["programId"])
    results = [registered]
    if admin is None or admin.lower() == client.account.lower():
        if not unit(code).is_tonne:
            results.append(client.set_program_unit(program_id, unit(code).chain_value))
        results += apply_identity(client, program_id, identity(code))
    return program_id, results


def apply_identity(client: LedgerClient, program_id: int, policy: Identity) -> list[TxResult]:
    """As the programme's admin: set ``policy`` and allow its fixed namespaces; returns the
    transactions (none for an open policy)."""
    if policy.is_open:
        return []
    results = [
        client.set_program_policy(
            program_id,
            fixed_namespaces=policy.fixed_namespaces is not None,
            numeric_project_ids=policy.numeric_project_ids,
        )
    ]
    return results + set_namespaces(client, program_id, sorted(policy.fixed_namespaces or ()))


def set_namespaces(
    client: LedgerClient, program_id: int, namespaces: Sequence[str], *, allowed: bool = True
) -> list[TxResult]:
    """As the programme's admin: allow (or withdraw) ``namespaces``, a bounded number per
    transaction so that none nears the block gas limit."""
    return [
        client.set_namespaces(program_id, chunk, allowed=allowed)
        for chunk in _chunks(namespaces, _NAMESPACES_PER_TX)
    ]


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
