"""Custodial accounts: the key pairs the API signs with for issuer and holder keys.

Each account's private key lives only in an eth-account (scrypt) keystore,
``D/keystores/custody/<address>.json``, encrypted with ``CARBON_LEDGER_KEYSTORE_PASSWORD``, and is
decrypted on first use. ``provision`` makes a new account usable on-chain with the operator's
transactions, through the same submission pipeline as everything else (so the operator's
nonces have one owner): the programme is registered if it is not yet, the account gets the
programme's issuer role (issuer keys), is allowlisted, and is funded when the chain charges gas.
Each step is checked first, so provisioning is safe to repeat.
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

from api.submission import calls
from api.submission.actions import Plain
from api.submission.model import Settled, Submission
from api.submission.node import Node
from api.submission.pipeline import Pipeline
from chain.domain import program_code
from chain.errors import ConfigurationError, TransactionError
from chain.importer.keys import load_keystore
from chain.programmes import identity
from chain.transactions.signer import RawSigner

FUNDING = Web3.to_wei(10, "ether")
"""What a custodial account is topped up to when the chain charges gas."""
FUNDING_THRESHOLD = Web3.to_wei(2, "ether")
FUNDING_CHECK_S = 30.0
"""How often an account's balance is looked at before its transactions (where gas costs)."""


class Custody:
    def __init__(
        self, data_dir: Path, password: str, operator: LocalAccount, chain_id: int, *, scrypt_n: int
    ) -> None:
        self.folder = Path(data_dir) / "keystores" / "custody"
        self._password = password
        self._scrypt_n = scrypt_n
        self.operator = operator
        self.chain_id = chain_id
        self._accounts: dict[str, LocalAccount] = {operator.address.lower(): operator}
        self._signers: dict[str, RawSigner] = {}
        self._lock = threading.Lock()
        self._funding_checked: dict[str, float] = {}

    @property
    def operator_address(self) -> str:
        return self.operator.address.lower()

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

    def provision(
        self, pipeline: Pipeline, role: str, program: str | None, address: str, timeout: float
    ) -> list[Settled]:
        """The operator's transactions that make ``address`` a working custodial account."""
        node, ledger = pipeline.node, pipeline.contract
        operator = self.operator_address
        done: list[Settled] = []

        def run(*actions: Plain) -> None:
            subs = [pipeline.submit_action(operator, a) for a in actions]
            for settled in pipeline.wait(subs, timeout):
                if settled.state != "confirmed":
                    raise TransactionError(
                        f"provisioning {address} failed: {settled.body.get('detail')}"
                    )
                done.append(settled)

        def plain(name: str, *args: object, what: str) -> Plain:
            data = calls.calldata(name, *args)
            gas = calls.with_margin(node.estimate_gas(operator, ledger, data))
            return Plain(ledger, data, gas, what=what)

        steps: list[Plain] = []
        if role == "issuer":
            assert program is not None
            program_id = program_id_of(node, ledger, program)
            if program_id == 0:
                # The operator becomes the programme's admin; its identity policy comes with it
                # (chain.programmes), so no issuer can bridge into a parallel namespace.
                register = plain(
                    "registerProgram",
                    program_code(program),
                    Web3.to_checksum_address(operator),
                    what=f"register {program}",
                )
                run(register)
                program_id = program_id_of(node, ledger, program)
                policy = identity(program)
                if not policy.is_open:
                    fixed = sorted(policy.fixed_namespaces or ())
                    run(
                        plain(
                            "setProgramPolicy",
                            program_id,
                            policy.fixed_namespaces is not None,
                            policy.numeric_project_ids,
                            what=f"{program} identity policy",
                        ),
                        *(
                            plain("setNamespaces", program_id, chunk, True, what="namespaces")
                            for chunk in (fixed[i : i + 64] for i in range(0, len(fixed), 64))
                        ),
                    )
            role_id = calls.result(
                "issuerRole", node.call(ledger, calls.calldata("issuerRole", program_id))
            )[0]
            checksum = Web3.to_checksum_address(address)
            (has,) = calls.result(
                "hasRole", node.call(ledger, calls.calldata("hasRole", role_id, checksum))
            )
            if not has:
                steps.append(plain("grantRole", role_id, checksum, what=f"issuer of {program}"))
        (status,) = calls.result(
            "accountStatus",
            node.call(ledger, calls.calldata("accountStatus", Web3.to_checksum_address(address))),
        )
        if not status[0]:
            steps.append(
                plain(
                    "setAccount", Web3.to_checksum_address(address), True, False, what="allowlist"
                )
            )
        if charges_gas(node) and node.balance(address) < FUNDING_THRESHOLD:
            steps.append(Plain(address, b"", calls.TRANSFER_ETH_GAS, FUNDING, what="fund"))
        if steps:
            run(*steps)
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


def charges_gas(node: Node) -> bool:
    return node.latest()[2] > 0
