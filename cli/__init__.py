"""``carbon-ledger``: the command line, the one layer above both ``chain/`` and ``api/``.

Argument parsing and the command handlers live here and nowhere else; what a command does is
a function of ``chain/`` (connect, deploy, import, index, verify, the demo) or of ``api/``
(``serve``), so nothing below imports this package (``tests/test_layers.py``).
"""
