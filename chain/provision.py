"""Putting a ledger on a connected node: deploy it (unless the data folder's deployment is
already this chain's), register the standard programmes (or those given), grant the operator its roles and
write ``D/deployment.json``. ``carbon-ledger deploy`` and ``serve --dev`` both come here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from web3 import Web3

from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import operator_account
from chain.deployment import Deployment, deploy_ledger
from chain.programmes import STANDARD_PROGRAMMES, register_programme
from chain.transactions import TxSender


def deploy_into(
    data_dir: Path,
    w3: Web3,
    *,
    on_local_chain: bool,
    admin_delay: int,
    force: bool,
    programmes: Sequence[str] = STANDARD_PROGRAMMES,
    say: Callable[[str], None] = print,
) -> Deployment:
    """The data folder's deployment on ``w3``: the one ``D/deployment.json`` names, checked
    against the chain, or (none there, or ``force``) a new one, provisioned and saved."""
    path = data_dir / "deployment.json"
    if path.exists() and not force:
        existing = Deployment.load(path)
        existing.check(w3)
        say(
            f"already deployed at {existing.address} (chain {existing.chain_id}); --force deploys anew"
        )
        return existing
    operator = TxSender(w3, operator_account(local_chain=on_local_chain), ledger_abi())
    deployment = deploy_ledger(operator, admin_delay=admin_delay)
    ledger = LedgerClient.for_deployment(w3, deployment, operator)
    for role in ("COMPLIANCE_ROLE", "PAUSER_ROLE"):
        ledger.grant_role(ledger.role(role), operator.address)
    for code in programmes:
        register_programme(ledger, code)
    deployment.save(path)
    say(f"deployed CarbonLedger at {deployment.address} on chain {deployment.chain_id}")
    say(
        f"block {deployment.deploy_block}, programmes {', '.join(programmes) or 'none'}; "
        f"wrote {path}"
    )
    return deployment
