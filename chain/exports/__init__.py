"""Open-data exports read from the query store (chain/store): CADT v2 tables, OffsetsDB
tables, and an account's holdings and retirements, as CSV that other systems read as is.

``cadt`` and ``offsetsdb`` build the tables; ``account`` an account's two CSVs; ``csvsafe``
writes any of them with spreadsheet formula injection neutralised. docs/EXPORTS.md gives the
field mappings and the published field lists they follow. Both the CLI (``carbon-ledger
export``) and the API (``/v1/exports/...``, ``/v1/accounts/{address}/*.csv``) call these.
"""
