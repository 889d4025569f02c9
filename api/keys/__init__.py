"""API keys: create (with a custodial account for issuers and holders), list, revoke."""

from api.keys.routes import router

__all__ = ["router"]
