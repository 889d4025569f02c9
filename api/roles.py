"""The API keys' roles and scopes, as words: a leaf module, so the modules that check keys
(``api.auth``) and those that provision their accounts (``api.custody``) share it without
importing each other."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["admin", "issuer", "program_admin", "holder", "compliance", "auditor"]
ROLES: tuple[Role, ...] = get_args(Role)
PROGRAM_PATTERN = r"^[A-Z][A-Z0-9]{0,15}$"
"""A programme code as scopes name it (``issuer:VCS``, ``program-admin:VCS``)."""
PROGRAM_ROLES: tuple[Role, ...] = ("issuer", "program_admin")
"""Roles scoped to one programme."""
CUSTODIAL_ROLES: tuple[Role, ...] = ("issuer", "program_admin", "holder")
"""Roles whose keys act as a custodial account the API holds (``api.custody``)."""
