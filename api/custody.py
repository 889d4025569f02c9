"""Custodial accounts: the key pairs the API signs with for issuer, programme-admin and holder
keys.

Each account's private key lives only in an eth-account (scrypt) keystore,
``D/keystores/custody/<address>.json``, encrypted with ``CARBON_LEDGER_KEYSTORE_PASSWORD``, and is
decrypted on first use. ``provision`` makes a new account usable on-chain with the operator's
transactions, through the same submission pipeline as everything else (so the operator's
nonces have one owner): the account gets the programme's issuer role (issuer keys) or admin role
(program_admin keys), is allowlisted (keys that hold credits), and is funded when the chain
charges gas. The operator grants a programme's roles only as an admin of that programme; it
never registers a programme (a registry's programme is governed by the registry's own key).
Each step is checked first, so provisioning is safe to repeat.

Allowlisting, like a batch freeze, is compliance's (``COMPLIANCE_ROLE``): the API signs it with
its **compliance key** (``CARBON_LEDGER_COMPLIANCE_KEY``; on the local dev chain, where the
operator holds every role, the operator's). A server without one, or whose key lacks the role,
refuses those actions (``compliance``) before anything is written.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from api.problems import Problem
from api.roles import PROGRAM_ROLES
from api.submission import calls
from api.submission.actions import Plain
from api.submission.model import Settled, Submission
from api.submission.node import Node
from api.submission.pipeline import Pipeline
from chain.domain import program_code
from chain.errors import ConfigurationError, TransactionError
from chain.importer.keys import load_keystore
from chain.transactions.signer import RawSigner

FUNDING = Web3.to_wei(10, "ether")
"""What a custodial account is topped up to when the chain charges gas."""
FUNDING_THRESHOLD = Web3.to_wei(2, "ether")
FUNDING_CHECK_S = 30.0
"""How often an account's balance is looked at before its transactions (where gas costs)."""


class Custody:
    def __init__(
        self,
        data_dir: Path,
        password: str,
        operator: LocalAccount,
        chain_id: int,
        *,
        scrypt_n: int,
        compliance: LocalAccount | None = None,
    ) -> None:
        self.folder = Path(data_dir) / "keystores" / "custody"
        self._password = password
        self._scrypt_n = scrypt_n
        self.operator = operator
        self.compliance_account = compliance
        """Signs compliance actions (allowlisting, batch freezes); ``None``: this server has
        no compliance key."""
        self.chain_id = chain_id
        self._accounts: dict[str, LocalAccount] = {operator.address.lower(): operator}
        if compliance is not None:
            self._accounts[compliance.address.lower()] = compliance
        self._signers: dict[str, RawSigner] = {}
        self._lock = threading.Lock()
        self._funding_checked: dict[str, float] = {}

    @property
    def operator_address(self) -> str:
        return self.operator.address.lower()

    def compliance(self, pipeline: Pipeline) -> str:
        """The address that signs compliance actions, once it is clear it can: this server
        has a compliance key (else 503 ``no-compliance-key``) and the key holds
        ``COMPLIANCE_ROLE`` on the ledger (else 409 ``compliance-key-lacks-role``). A
        read-only check, made before anything is written."""
        account = self.compliance_account
        if account is None:
            raise Problem(
                503,
                "no-compliance-key",
                "No compliance key",
                "this server has no compliance key, so it cannot allowlist accounts or freeze "
                "batches: set CARBON_LEDGER_COMPLIANCE_KEY to the private key of the account "
                "holding COMPLIANCE_ROLE (named at deploy: carbon-ledger deploy --compliance)",
            )
        address = account.address.lower()
        node, ledger = pipeline.node, pipeline.contract
        role = bytes(
            calls.result("COMPLIANCE_ROLE", node.call(ledger, calls.calldata("COMPLIANCE_ROLE")))[0]
        )
        if not _has_role(node, ledger, role, address):
            raise Problem(
                409,
                "compliance-key-lacks-role",
                "The API's compliance key lacks its role",
                f"the API's compliance key {address} does not hold COMPLIANCE_ROLE on the "
                "ledger: the ledger admin grants it (carbon-ledger account ... or grantRole), "
                "or set CARBON_LEDGER_COMPLIANCE_KEY to the key that holds it",
                account=address,
            )
        return address

    def path(self, address: str) -> Path:
        return self.folder / f"{address.lower()}.json"

    def create(self) -> LocalAccount:
        """A new key pair in its own keystore (written atomically, mode 0600)."""
        account: LocalAccount = Account.create()
        document = Account.encrypt(
            account.key, self._password, kdf="scrypt", iterations=self._scrypt_n
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(account.address)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(document, out)
        tmp.replace(path)
        with self._lock:
            self._accounts[account.address.lower()] = account
        return account

    def holds(self, address: str) -> bool:
        return address.lower() in self._accounts or self.path(address).exists()

    def account(self, address: str) -> LocalAccount:
        address = address.lower()
        with self._lock:
            found = self._accounts.get(address)
        if found is not None:
            return found
        path = self.path(address)
        if not path.exists():
            raise ConfigurationError(f"no custodial keystore for {address} in {self.folder}")
        account = load_keystore(path, self._password)
        with self._lock:
            self._accounts[address] = account
        return account

    def signer(self, address: str) -> RawSigner:
        address = address.lower()
        with self._lock:
            signer = self._signers.get(address)
        if signer is None:
            signer = RawSigner(self.account(address), self.chain_id)
            with self._lock:
                self._signers[address] = signer
        return signer

    def forget(self, address: str) -> None:
        """Drop a keystore that was never put to use (provisioning failed)."""
        with self._lock:
            self._accounts.pop(address.lower(), None)
            self._signers.pop(address.lower(), None)
        self.path(address).unlink(missing_ok=True)

    # ------------------------------------------------------------ on-chain provisioning

    def programme(self, pipeline: Pipeline, role: str, program: str | None) -> int:
        """The id of the programme a key of ``role`` is for (0 for keys of no programme), once
        it is clear the operator can provision it: a read-only check, made before anything is
        written, so a refusal leaves no keystore and no key behind."""
        if role not in PROGRAM_ROLES:
            return 0
        assert program is not None
        node, ledger = pipeline.node, pipeline.contract
        program_id = program_id_of(node, ledger, program)
        if program_id == 0:
            # Registering it here would make the operator the programme's admin: a registry's
            # programme is governed by the registry's own key, so it is registered on purpose.
            raise Problem(
                422,
                "unknown-programme",
                "Programme not registered",
                f"programme {program} is not registered on the ledger: register the programme "
                f"first (the ledger admin registers it with the registry's admin key), then "
                f"create {role} keys for it",
                errors=[{"field": "program", "message": f"{program} is not registered"}],
            )
        admin_role = _role(node, ledger, "programAdminRole", program_id)
        if not _has_role(node, ledger, admin_role, self.operator_address):
            raise Problem(
                409,
                "operator-not-programme-admin",
                "The API cannot provision this programme",
                f"the API's operator account {self.operator_address} is not an admin of "
                f"programme {program}, so it cannot grant {role} rights in it: the registry's "
                f"own admin must grant programAdminRole({program_id}) to the operator first",
                program=program,
            )
        return program_id

    def provision(
        self, pipeline: Pipeline, role: str, program: str | None, address: str, timeout: float
    ) -> list[Settled]:
        """The operator's transactions that make ``address`` a working custodial account: the
        programme's issuer or admin role (issuer and program_admin keys; the programme must be
        registered and administered by the operator, ``programme``), allowlisting (keys that
        hold credits), and funding when the chain charges gas. Each step is checked first, so
        provisioning is safe to repeat."""
        node, ledger = pipeline.node, pipeline.contract
        operator = self.operator_address
        done: list[Settled] = []

        def plain(name: str, *args: object, what: str, sender: str = operator) -> Plain:
            data = calls.calldata(name, *args)
            gas = calls.with_margin(node.estimate_gas(sender, ledger, data))
            return Plain(ledger, data, gas, what=what)

        steps: list[tuple[str, Plain]] = []
        checksum = Web3.to_checksum_address(address)
        program_id = self.programme(pipeline, role, program)
        if program_id:
            role_of = "programAdminRole" if role == "program_admin" else "issuerRole"
            role_id = _role(node, ledger, role_of, program_id)
            if not _has_role(node, ledger, role_id, address):
                granted = plain("grantRole", role_id, checksum, what=f"{role} of {program}")
                steps.append((operator, granted))
        if role != "program_admin":  # a programme's admin governs; it holds no credits
            (status,) = calls.result(
                "accountStatus", node.call(ledger, calls.calldata("accountStatus", checksum))
            )
            if not status[0]:
                compliance = self.compliance(pipeline)
                allow = plain(
                    "setAccount", checksum, True, False, what="allowlist", sender=compliance
                )
                steps.append((compliance, allow))
        if charges_gas(node) and node.balance(address) < FUNDING_THRESHOLD:
            fund = Plain(address, b"", calls.TRANSFER_ETH_GAS, FUNDING, what="fund")
            steps.append((operator, fund))
        if steps:
            subs = [pipeline.submit_action(sender, a) for sender, a in steps]
            for settled in pipeline.wait(subs, timeout):
                if settled.state != "confirmed":
                    raise TransactionError(
                        f"provisioning {address} failed: {settled.body.get('detail')}"
                    )
                done.append(settled)
        self._funding_checked[address.lower()] = time.monotonic()
        return done

    def funding_due(self, address: str) -> bool:
        """Whether ``ensure_funded`` would look at the account now (no I/O)."""
        address = address.lower()
        last = self._funding_checked.get(address, 0.0)
        return address != self.operator_address and time.monotonic() - last >= FUNDING_CHECK_S

    def ensure_funded(self, pipeline: Pipeline, address: str, timeout: float) -> None:
        """Top ``address`` up when gas costs and its balance runs low (looked at now and then)."""
        address = address.lower()
        if not self.funding_due(address):
            return
        self._funding_checked[address] = time.monotonic()
        node = pipeline.node
        if charges_gas(node) and node.balance(address) < FUNDING_THRESHOLD:
            sub: Submission = pipeline.submit_action(
                self.operator_address,
                Plain(address, b"", calls.TRANSFER_ETH_GAS, FUNDING, what="fund"),
            )
            pipeline.wait([sub], timeout)


def program_id_of(node: Node, ledger: str, program: str) -> int:
    data = calls.calldata("programIdOf", program_code(program))
    return int(calls.result("programIdOf", node.call(ledger, data))[0])


def _role(node: Node, ledger: str, getter: str, program_id: int) -> bytes:
    """``issuerRole(id)`` or ``programAdminRole(id)``."""
    return bytes(calls.result(getter, node.call(ledger, calls.calldata(getter, program_id)))[0])


def _has_role(node: Node, ledger: str, role: bytes, account: str) -> bool:
    data = calls.calldata("hasRole", role, Web3.to_checksum_address(account))
    return bool(calls.result("hasRole", node.call(ledger, data))[0])


def charges_gas(node: Node) -> bool:
    return node.latest()[2] > 0
