"""The issuer keys the importer acts with, and their provisioning on a local chain.

The importer bridges as the registry: the programme's issuer account, which is also the
custody account its credits are bridged into. Its key lives in an eth-account keystore file
``D/keystores/issuer-<PROGRAM>.json`` (password from ``CARBON_LEDGER_KEYSTORE_PASSWORD``; on the
data folder's own local chain, and in the demo, the empty password is the default).

- On the local chain (and in the demo) the operator provisions a programme on first use:
  registers it if missing, creates the keystore, grants the key the programme's issuer role,
  allowlists it, and funds it with ETH when the chain charges gas. Each step is checked first,
  so provisioning twice, or after an interruption, does only what is missing.
- With ``--rpc`` nothing is provisioned: the key comes from ``CARBON_LEDGER_ISSUER_KEY`` or the
  keystore, and must already hold the issuer role and be allowlisted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.client import LedgerClient
from chain.errors import ConfigurationError
from chain.importer.plan import Custody
from chain.programmes import register_programme

ISSUER_KEY_ENV = "CARBON_LEDGER_ISSUER_KEY"
KEYSTORE_PASSWORD_ENV = "CARBON_LEDGER_KEYSTORE_PASSWORD"
FUNDING = Web3.to_wei(10, "ether")
"""What an issuer account is topped up to hold when the chain charges gas."""
FUNDING_THRESHOLD = Web3.to_wei(2, "ether")
"""Below this balance the operator tops the issuer up (a full multicall group needs ~1 ETH of
gas allowance at the importer's 100 gwei fee cap)."""
_LIGHT_SCRYPT = 2**14  # the empty password protects nothing; don't spend a second on it


def keystore_path(data_dir: Path, program: str, role: str = "issuer") -> Path:
    return data_dir / "keystores" / f"{role}-{program}.json"


def _password(local: bool) -> str:
    password = os.environ.get(KEYSTORE_PASSWORD_ENV)
    if password is None:
        if not local:
            raise ConfigurationError(
                f"set {KEYSTORE_PASSWORD_ENV} to unlock issuer keystores for --rpc"
            )
        return ""
    return password


def load_keystore(path: Path, password: str) -> LocalAccount:
    try:
        data = json.loads(path.read_text())
        account: LocalAccount = Account.from_key(Account.decrypt(data, password))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"cannot unlock the keystore {path}: {exc}") from exc
    return account


def create_keystore(path: Path, password: str, key: bytes | None = None) -> LocalAccount:
    """A new issuer key (or ``key``) in a keystore file, written atomically, mode 0600."""
    account: LocalAccount = Account.from_key(key) if key is not None else Account.create()
    kdf_n = _LIGHT_SCRYPT if password == "" else None
    document = Account.encrypt(account.key, password, kdf="scrypt", iterations=kdf_n)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(document, out)
    tmp.replace(path)
    return account


@dataclass
class IssuerKeys:
    """Where issuer keys come from for one data folder (see the module docstring)."""

    data_dir: Path
    local: bool

    def find(self, program: str) -> LocalAccount | None:
        """The programme's issuer key, or ``None`` if there is none."""
        if key := os.environ.get(ISSUER_KEY_ENV):
            try:
                account: LocalAccount = Account.from_key(key)
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(f"{ISSUER_KEY_ENV} is not a valid private key") from exc
            return account
        path = keystore_path(self.data_dir, program)
        if not path.exists():
            return None
        return load_keystore(path, _password(self.local))

    def ensure(self, program: str) -> LocalAccount:
        """The key, created in a new keystore if the folder has none (local chain only)."""
        found = self.find(program)
        if found is not None:
            return found
        if not self.local:
            raise ConfigurationError(
                f"no issuer key for {program}: set {ISSUER_KEY_ENV} or create "
                f"{keystore_path(self.data_dir, program)}"
            )
        return create_keystore(keystore_path(self.data_dir, program), _password(True))

    def ensure_buffer(self, program: str) -> LocalAccount:
        """The key of the programme's buffer account on the local chain (``buffer-<P>.json``),
        created if the folder has none: it receives the buffer share of issuances; the
        programme admin reverses from it (it never needs to sign)."""
        path = keystore_path(self.data_dir, program, "buffer")
        if path.exists():
            return load_keystore(path, _password(self.local))
        return create_keystore(path, _password(True))


def provision_buffer(admin: LedgerClient, program_id: int, account: str) -> str:
    """On a chain the operator runs: make the programme's buffer account ``account`` (unless it
    has one), allowlisted to receive credits. Returns the buffer account."""
    buffer = admin.buffer_account(program_id)
    if buffer is None:
        admin.set_program_buffer(program_id, account)
        buffer = account.lower()
    if not admin.account_status(buffer).allowed:
        admin.set_account(buffer)
    return Web3.to_checksum_address(buffer)


def buffer_of(client: LedgerClient, program_id: int) -> str | None:
    """With ``--rpc``: the programme's buffer account if it can receive credits, else ``None``
    (its buffer blocks are then rejected, naming why)."""
    buffer = client.buffer_account(program_id)
    if buffer is None:
        return None
    status = client.account_status(buffer)
    return Web3.to_checksum_address(buffer) if status.allowed and not status.frozen else None


def charges_gas(w3: Web3) -> bool:
    block = w3.eth.get_block("latest")
    return int(block.get("baseFeePerGas", 0) or 0) > 0 or int(w3.eth.gas_price) > 0


def provision(admin: LedgerClient, program: str, issuer: str) -> int:
    """On a chain the operator runs: make ``issuer`` a working issuer of ``program`` (registered,
    role, allowlisted, funded), doing only the missing steps. Returns the programme id."""
    program_id = admin.program_id(program)
    if program_id == 0:
        program_id = register_programme(admin, program)
    if not admin.has_role(admin.issuer_role(program_id), issuer):
        admin.grant_issuer(program_id, issuer)
    if not admin.account_status(issuer).allowed:
        admin.set_account(issuer)
    w3 = admin.w3
    if charges_gas(w3) and w3.eth.get_balance(Web3.to_checksum_address(issuer)) < FUNDING_THRESHOLD:
        assert admin.sender is not None
        admin.sender.wait(admin.sender.send_eth(issuer, FUNDING))
    return program_id


def check_issuer(client: LedgerClient, program: str, issuer: str) -> Custody | str:
    """With ``--rpc``: the custody of ``program`` if ``issuer`` can act for it, else why not."""
    program_id = client.program_id(program)
    if program_id == 0:
        return f"programme {program} is not registered on this ledger"
    if not client.has_role(client.issuer_role(program_id), issuer):
        return f"the issuer key {issuer} does not hold the {program} issuer role"
    status = client.account_status(issuer)
    if not status.allowed or status.frozen:
        state = "frozen" if status.frozen else "not allowlisted"
        return f"the {program} custody account {issuer} is {state}"
    return Custody(program_id, Web3.to_checksum_address(issuer))
