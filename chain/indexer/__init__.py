"""The indexer: mirrors the ledger's event log into the SQL query store (see core.py)."""
