"""Server settings, from flags (``carbon-ledger serve``) and ``CARBON_LEDGER_*`` environment.

Secrets are ``SecretStr`` so they never appear in a repr, a log line or an error.
``Settings.check`` refuses a production start without the secrets it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.errors import ConfigurationError
from chain.verify import DEFAULT_MAX_LAG_BLOCKS


class Settings(BaseSettings):
    """Everything ``serve`` needs; flags override the environment."""

    model_config = SettingsConfigDict(env_prefix="CARBON_LEDGER_", extra="ignore")

    data_dir: Path = Path(".carbon-ledger")
    rpc: str | None = None
    """Node URL; ``None`` means the data folder's local chain."""
    db: str | None = None
    """Store URL; ``None`` means the data folder's SQLite store."""
    host: str = "127.0.0.1"
    port: int = 8000
    dev: bool = False
    """Local chain and SQLite, deploying on first start, and a development admin key if none."""

    admin_key: SecretStr | None = None
    """The bootstrap admin API key (``CARBON_LEDGER_ADMIN_KEY``)."""
    keystore_password: SecretStr | None = None
    """Encrypts custodial accounts' keystores (``CARBON_LEDGER_KEYSTORE_PASSWORD``)."""
    keystore_scrypt_n: int = Field(default=2**18, ge=2, description="scrypt cost of new keystores")
    """eth-account's default: about a second per keystore written or first unlocked."""
    operator_key: SecretStr | None = None
    """The operator's private key (``CARBON_LEDGER_OPERATOR_KEY``): provisions custodial
    accounts. ``--dev`` falls back to the local chain's development key."""
    compliance_key: SecretStr | None = None
    """The compliance account's private key (``CARBON_LEDGER_COMPLIANCE_KEY``): signs batch
    freezes and allowlists custodial accounts; it must hold ``COMPLIANCE_ROLE``. Unset, the
    server refuses those (503) on a real node; on the local chain the operator signs them."""

    public_reads: bool = True
    """Reads of batches, serials, retirements, certificates and the trail need no key."""
    rate_limit_per_minute: int = 600
    """Requests per key (or per client address when anonymous) per minute."""
    max_body_bytes: int = 64 * 1024
    confirm_timeout_s: float = 30.0
    """How long a POST waits for its transaction before answering 202 with a status URL."""
    confirmations: int = 0
    """Blocks the indexer beside the API treats as not yet final."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "text"
    """``json``: one JSON object per log line (``api/logs.py``), for log shippers."""
    ready_lag_blocks: int = 2
    """``/readyz`` is 503 while the indexer is further than this behind head."""
    audit_max_lag_blocks: int = Field(default=DEFAULT_MAX_LAG_BLOCKS, ge=0)
    """``GET /v1/audit/verify`` fails a store further than this behind the chain head (taken
    as stopped), as ``audit verify --max-lag-blocks`` does; less is lag, verified as ok."""
    read_workers: int = Field(default=1, ge=0, le=64)
    """Processes serving the store's read routes beside the main one (``api/readers``);
    0 serves everything in the main process."""

    def check(self) -> None:
        """Refuse to run outside ``--dev`` with a missing or default secret."""
        if self.dev:
            return
        for name in ("admin_key", "keystore_password", "operator_key"):
            value = getattr(self, name)
            if value is None or not value.get_secret_value().strip():
                env = f"CARBON_LEDGER_{name.upper()}"
                raise ConfigurationError(f"{env} must be set (only --dev may run without it)")
            if value.get_secret_value() in _DEV_SECRETS:
                raise ConfigurationError(f"CARBON_LEDGER_{name.upper()} is a development default")


DEV_ADMIN_KEY = "dev-admin-key"
DEV_KEYSTORE_PASSWORD = "dev-keystore-password"
_DEV_SECRETS = frozenset({DEV_ADMIN_KEY, DEV_KEYSTORE_PASSWORD, "", "changeme", "admin"})
