"""carbon-ledger chain layer: compile, deploy, typed client, indexer."""
