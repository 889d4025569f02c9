"""``deployment.json``: which chain and contract a data folder belongs to, and deploying it.

The record pins the chain id, the genesis block hash, the contract address and deploy block,
and the hash of the artifact that was deployed. Everything that reads the chain for a data
folder checks it first (``Deployment.check``), so a store is never built from the wrong chain.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.exceptions import BlockNotFound

from chain.artifacts import Artifact, ledger_abi, load_artifact, runtime_code_matches
from chain.errors import ConfigurationError, DeploymentMismatch
from chain.transactions import TxSender

ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_ADMIN_DELAY = 2 * 24 * 3600
"""Two-step admin hand-over delay (seconds) unless the deployer chooses another."""


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    genesis_hash: str
    address: str
    deploy_block: int
    deploy_block_hash: str
    deploy_tx: str
    artifact_hash: str
    admin: str
    governance: str
    """Address of the ledger's governance module (``LedgerGovernance``), which it delegates to."""
    contract: str = "CarbonLedger"
    predecessor: str | None = None
    """The sealed ledger this one succeeds (``None`` for a first ledger)."""
    predecessor_head: str | None = None
    """The predecessor's final audit head, which this ledger's genesis head folds in."""
    predecessor_deployment: dict[str, Any] | None = None
    """The predecessor's own record (``carbon-ledger ledger succeed`` keeps it here), so that
    ``audit verify`` can walk its trail too; it nests its own predecessor's, if any."""

    @property
    def predecessor_record(self) -> Deployment | None:
        """The predecessor's record, if this one keeps it."""
        if self.predecessor_deployment is None:
            return None
        data = self.predecessor_deployment
        return Deployment(**{k: data[k] for k in self.__dataclass_fields__ if k in data})

    @property
    def audit_genesis(self) -> bytes:
        """The audit head this ledger's trail starts from (``chain.audit.genesis``)."""
        from chain.audit import genesis

        head = bytes.fromhex(self.predecessor_head[2:]) if self.predecessor_head else None
        return genesis(self.chain_id, self.address, head)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            data: Any = json.loads(path.read_bytes())
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"{path} does not exist: run `carbon-ledger deploy` first"
            ) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigurationError(f"{path} holds a JSON {type(data).__name__}, not an object")
        optional = ("contract", "predecessor", "predecessor_head", "predecessor_deployment")
        missing = [f for f in cls.__dataclass_fields__ if f not in data and f not in optional]
        if missing:
            raise ConfigurationError(f"{path} lacks {', '.join(missing)}")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def save(self, path: Path) -> None:
        """Write atomically, so a crash never leaves half a record."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".deployment.")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(asdict(self), fh, indent=2, sort_keys=True)
                fh.write("\n")
            tmp.chmod(0o644)  # a public record, not a secret (mkstemp creates it 0600)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def check(self, w3: Web3) -> None:
        """Refuse a node whose chain id, genesis, deploy block or code differs from this record."""
        chain_id = w3.eth.chain_id
        if chain_id != self.chain_id:
            raise DeploymentMismatch(
                f"chain id is {chain_id}, deployment.json says {self.chain_id}"
            )
        genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
        if genesis != self.genesis_hash:
            raise DeploymentMismatch(
                f"genesis block is {genesis}, deployment.json says {self.genesis_hash}"
            )
        # Dev chains share a deterministic genesis; the deploy block tells two of them apart.
        try:
            deployed_in = "0x" + bytes(w3.eth.get_block(self.deploy_block)["hash"]).hex()
        except BlockNotFound as exc:
            raise DeploymentMismatch(f"this chain has no block {self.deploy_block}") from exc
        if deployed_in != self.deploy_block_hash:
            raise DeploymentMismatch(
                f"block {self.deploy_block} is {deployed_in}, "
                f"deployment.json says {self.deploy_block_hash}"
            )
        code = bytes(w3.eth.get_code(Web3.to_checksum_address(self.address)))
        if not code:
            raise DeploymentMismatch(f"no contract at {self.address} on this chain")
        artifact = load_artifact(self.contract)
        if artifact.artifact_hash != self.artifact_hash or not runtime_code_matches(artifact, code):
            raise DeploymentMismatch(
                f"contract at {self.address} is not the {self.contract} artifact this code ships "
                f"(deployed {self.artifact_hash}, shipped {artifact.artifact_hash})"
            )
        self._check_governance(w3)

    def _check_governance(self, w3: Web3) -> None:
        """The ledger delegates to the recorded module, and each module of the chain
        (governance -> pools -> pool rules) is the shipped code."""
        ledger = w3.eth.contract(address=Web3.to_checksum_address(self.address), abi=ledger_abi())
        delegate = str(ledger.functions.governance().call())
        if delegate.lower() != self.governance.lower():
            raise DeploymentMismatch(
                f"the ledger delegates to {delegate}, deployment.json says {self.governance}"
            )
        _check_module(w3, "LedgerGovernance", self.governance)
        # Called at the ledger, `pools()` and `poolRules()` are answered by the modules
        # themselves (they read their own immutables), so they name the chain as deployed.
        pools = str(ledger.functions.pools().call())
        _check_module(w3, "LedgerPools", pools)
        _check_module(w3, "LedgerPoolRules", str(ledger.functions.poolRules().call()))


def deploy_ledger(
    sender: TxSender,
    *,
    admin: str | None = None,
    admin_delay: int = DEFAULT_ADMIN_DELAY,
    predecessor: str | None = None,
) -> Deployment:
    """Deploy CarbonLedger with ``admin`` (default: the sender) as first default admin: its
    modules first, each delegating to the one before (LedgerPoolRules, LedgerPools,
    LedgerGovernance), then the ledger that delegates to governance. With ``predecessor`` (a
    sealed ledger's address) the new ledger succeeds it: its audit chain starts from the
    predecessor's final head (docs/AUDIT.md, "Migration")."""
    w3 = sender.w3
    rules = _create(sender, load_artifact("LedgerPoolRules"))
    pools = _create(sender, load_artifact("LedgerPools"), rules)
    governance = _create(sender, load_artifact("LedgerGovernance"), pools)
    artifact = load_artifact("CarbonLedger")
    admin = Web3.to_checksum_address(admin or sender.address)
    before = Web3.to_checksum_address(predecessor) if predecessor else ZERO_ADDRESS
    predecessor_head = None
    if predecessor:
        old = w3.eth.contract(address=Web3.to_checksum_address(predecessor), abi=ledger_abi())
        predecessor_head = "0x" + bytes(old.functions.finalState().call()[2]).hex()
    receipt = sender.transact(
        w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor(
            governance, admin_delay, admin, before
        )  # type: ignore[arg-type]
    )
    address = receipt["contractAddress"]
    if address is None:
        raise DeploymentMismatch("deployment receipt has no contract address")
    return Deployment(
        chain_id=w3.eth.chain_id,
        genesis_hash="0x" + bytes(w3.eth.get_block(0)["hash"]).hex(),
        address=address,
        deploy_block=receipt["blockNumber"],
        deploy_block_hash="0x" + bytes(receipt["blockHash"]).hex(),
        deploy_tx="0x" + bytes(receipt["transactionHash"]).hex(),
        artifact_hash=artifact.artifact_hash,
        admin=admin,
        governance=governance,
        predecessor=before if predecessor else None,
        predecessor_head=predecessor_head,
    )


def _check_module(w3: Web3, name: str, address: str) -> None:
    code = bytes(w3.eth.get_code(Web3.to_checksum_address(address)))
    if not runtime_code_matches(load_artifact(name), code):
        raise DeploymentMismatch(
            f"the module at {address} is not the {name} artifact this code ships"
        )


def _create(sender: TxSender, artifact: Artifact, *args: Any) -> str:
    factory = sender.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = sender.transact(factory.constructor(*args))  # type: ignore[arg-type]
    address = receipt["contractAddress"]
    if address is None:
        raise DeploymentMismatch(f"deploying {artifact.name}: the receipt has no contract address")
    return str(address)
