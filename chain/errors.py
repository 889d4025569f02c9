"""Exception hierarchy for carbon-ledger: catch CarbonLedgerError for anything we raise."""


class CarbonLedgerError(Exception):
    """Base class of every error raised by carbon-ledger."""


class CompileError(CarbonLedgerError):
    """Solidity compilation failed (message names file, line and compiler message)."""
