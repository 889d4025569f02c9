"""carbon-ledger's bridge API (FastAPI): routers per resource under ``reads/``, ``writes/`` and
``keys/``, the pages and certificates, and the submission pipeline behind the writes
(docs/API.md; ``carbon-ledger serve`` runs it)."""
