"""Putting a ledger on a connected node: deploy it (unless the data folder's deployment is
already this chain's), hand out its roles, register the standard programmes and write
``D/deployment.json``. ``carbon-ledger deploy`` and ``serve --dev`` both come here.

Who holds what (``Roles``). On the data folder's local dev chain one key does everything, as
a developer expects: the operator is the ledger admin, compliance, pauser and every standard
programme's admin, unless a flag names another key. On a real node (``--rpc``) the keys are
separate: the deployer must name a compliance and a pauser account, each different from the
admin and from each other, and a programme is registered at deploy only when its admin is
named (``--program-admin VCS=0x...``); the operator never ends up admin of a programme it was
not named for (the others are registered later, ``carbon-ledger programme register``). Every
refusal comes before the first transaction: a refused deploy leaves nothing on the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import operator_account
from chain.deployment import Deployment, deploy_ledger
from chain.errors import ConfigurationError
from chain.programmes import STANDARD_PROGRAMMES, identity, register_programme
from chain.transactions import TxSender


@dataclass(frozen=True)
class Roles:
    """The accounts a new ledger's roles go to (``None``: the operator, on the local chain
    only). ``program_admins`` maps a standard programme's code to its admin."""

    compliance: str | None = None
    pauser: str | None = None
    program_admins: Mapping[str, str] = field(default_factory=dict)
    standard_programmes: bool = True
    """On the local chain, register every standard programme (the operator administering those
    not named); False registers only the named ones, as on a real node (a consortium's
    registries each register their own: ``deploy --no-programmes``)."""


@dataclass(frozen=True)
class Holders:
    """Who ends up holding each role (addresses, checksummed), and the programmes left out."""

    admin: str
    compliance: str
    pauser: str
    program_admins: dict[str, str]
    unregistered: tuple[str, ...]


def role_holders(admin: str, roles: Roles, *, on_local_chain: bool) -> Holders:
    """Who gets which role when ``admin`` deploys, or a ``ConfigurationError`` naming what is
    wrong (see the module docstring). Reads nothing and sends nothing."""
    admin = str(Web3.to_checksum_address(admin))
    named: dict[str, str | None] = {
        flag: str(Web3.to_checksum_address(value)) if value is not None else None
        for flag, value in (("--compliance", roles.compliance), ("--pauser", roles.pauser))
    }
    unknown = sorted(set(roles.program_admins) - set(STANDARD_PROGRAMMES))
    if unknown:
        raise ConfigurationError(
            f"--program-admin {unknown[0]}: not a standard programme (one of "
            f"{', '.join(STANDARD_PROGRAMMES)}); register others after deploying with "
            "`carbon-ledger programme register CODE --admin ADDR`"
        )
    program_admins: dict[str, str] = {
        code: str(Web3.to_checksum_address(roles.program_admins[code]))
        for code in STANDARD_PROGRAMMES
        if code in roles.program_admins
    }
    if on_local_chain and roles.standard_programmes:
        return Holders(
            admin=admin,
            compliance=named["--compliance"] or admin,
            pauser=named["--pauser"] or admin,
            program_admins={code: program_admins.get(code, admin) for code in STANDARD_PROGRAMMES},
            unregistered=(),
        )
    if on_local_chain:
        return Holders(
            admin=admin,
            compliance=named["--compliance"] or admin,
            pauser=named["--pauser"] or admin,
            program_admins=program_admins,
            unregistered=tuple(c for c in STANDARD_PROGRAMMES if c not in program_admins),
        )
    for flag, value in named.items():
        if value is None:
            raise ConfigurationError(
                f"{flag} ADDR is required on a real node: compliance and pauser are separate "
                "keys from the admin's (only the local dev chain runs on one key)"
            )
        if value == admin:
            raise ConfigurationError(
                f"{flag} {value} is the admin's own account (the deploying key): on a real node "
                "compliance, pauser and admin are separate keys"
            )
    compliance, pauser = named["--compliance"], named["--pauser"]
    assert compliance is not None and pauser is not None
    if compliance == pauser:
        raise ConfigurationError(
            f"--compliance and --pauser are the same account {compliance}: on a real node "
            "they are separate keys"
        )
    return Holders(
        admin=admin,
        compliance=compliance,
        pauser=pauser,
        program_admins=program_admins,
        unregistered=tuple(c for c in STANDARD_PROGRAMMES if c not in program_admins),
    )


def parse_program_admin(text: str) -> tuple[str, str]:
    """``VCS=0xADDR`` as (code, checksummed address), or a ``ValueError`` naming the problem."""
    code, sep, address = text.partition("=")
    code = code.strip()
    if not sep or not code:
        raise ValueError(f"{text!r} is not CODE=0xADDR (say VCS=0x...)")
    if not Web3.is_address(address.strip()):
        raise ValueError(f"{text!r}: {address!r} is not an address (0x and 40 hex digits)")
    return code, str(Web3.to_checksum_address(address.strip()))


def deploy_into(
    data_dir: Path,
    w3: Web3,
    *,
    on_local_chain: bool,
    admin_delay: int,
    force: bool,
    roles: Roles | None = None,
    operator: LocalAccount | None = None,
    say: Callable[[str], None] = print,
) -> Deployment:
    """The data folder's deployment on ``w3``: the one ``D/deployment.json`` names, checked
    against the chain, or (none there, or ``force``) a new one, signed by ``operator``
    (default: ``chain.connect.operator_account``), its roles given as ``roles`` says (see the
    module docstring), and saved."""
    path = data_dir / "deployment.json"
    if path.exists() and not force:
        existing = Deployment.load(path)
        existing.check(w3)
        say(
            f"already deployed at {existing.address} (chain {existing.chain_id}); --force deploys anew"
        )
        return existing
    signer = operator or operator_account(local_chain=on_local_chain)
    holders = role_holders(signer.address, roles or Roles(), on_local_chain=on_local_chain)
    sender = TxSender(w3, signer, ledger_abi())
    deployment = deploy_ledger(sender, admin_delay=admin_delay)
    ledger = LedgerClient.for_deployment(w3, deployment, sender)
    ledger.grant_role(ledger.role("COMPLIANCE_ROLE"), holders.compliance)
    ledger.grant_role(ledger.role("PAUSER_ROLE"), holders.pauser)
    # Pools are the ledger's own products: the operator creates them until a consortium hands
    # the role on (docs/CONSORTIUM.md, "Pools").
    ledger.grant_role(ledger.role("POOL_ADMIN_ROLE"), holders.admin)
    for code, admin in holders.program_admins.items():
        register_programme(ledger, code, admin=admin)
    deployment.save(path)
    say(f"deployed CarbonLedger at {deployment.address} on chain {deployment.chain_id}")
    say(f"block {deployment.deploy_block}; wrote {path}")
    say(
        f"admin {holders.admin} (also pool admin), compliance {holders.compliance}, "
        f"pauser {holders.pauser}"
    )
    for code, admin in holders.program_admins.items():
        policy = (
            ""
            if admin == holders.admin or identity(code).is_open
            else (f"; its admin sets its identity policy: carbon-ledger programme policy {code}")
        )
        say(f"programme {code}: admin {admin}{policy}")
    if holders.unregistered:
        say(
            f"not registered (no --program-admin named): {', '.join(holders.unregistered)}; "
            "register each with its registry's admin key later: "
            "carbon-ledger programme register CODE --admin ADDR"
        )
    return deployment
