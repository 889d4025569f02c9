"""The SQL query store: a mirror of the ledger's chain state, built by ``chain.indexer``."""
