"""Request and response models of ``/v1/keys``: what an admin sends, and what anyone sees.

``KeyCreated`` is the only model that carries a secret, and only in the 201 that creates it;
``KeyPublic`` (listings, revocation) never does.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api.roles import PROGRAM_PATTERN, PROGRAM_ROLES, Role


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    program: str | None = Field(
        default=None,
        validate_default=True,
        pattern=PROGRAM_PATTERN,
        description="issuer and program_admin keys: the code of a programme registered on the "
        "ledger (VCS, GS, ACR, ...)",
        examples=["ACR"],
    )
    label: str = Field(default="", max_length=200, description="a note for people")

    @field_validator("program")
    @classmethod
    def _program_for_programme_roles(cls, program: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role in PROGRAM_ROLES and program is None:
            raise ValueError(f"{role} keys need their programme")
        if role is not None and role not in PROGRAM_ROLES and program is not None:
            raise ValueError(
                f"only issuer and program_admin keys have a programme, not {role} keys"
            )
        return program


class KeyCreated(BaseModel):
    """The 201 of ``POST /v1/keys``: the secret, shown this once."""

    id: str
    key: str = Field(description="the bearer secret; it is stored only hashed")
    role: Role
    scope: str
    program: str | None = None
    address: str | None = Field(
        description="the custodial account an issuer, program_admin or holder key acts as"
    )


class KeyPublic(BaseModel):
    id: str
    role: Role
    scope: str
    program: str | None
    address: str | None
    label: str
    created_at: dt.datetime
    created_by: str | None
    revoked_at: dt.datetime | None
    state: Literal["active", "revoked"]


class KeyList(BaseModel):
    keys: list[KeyPublic]
