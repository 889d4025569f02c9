"""Importing registry exports: ``carbon-ledger import`` (docs/IMPORT.md).

A registry's public export, in its published column layout, is read row by row into serial
blocks (``readers``, with the layouts in ``layouts``, declared in the vocabulary of ``layout``,
and ``_derive`` for registries that write no serial range in one column: Cercarbono,
Isometric); each block is planned against the ledger's current state (``state``, ``plan``):
bridged into the registry's custody, with the registry's retirements and cancellations
mirrored at once, or found already present; the plan is executed in a fixed, crash-safe order
(``run``) with the programmes' issuer keys (``keys``); the outcome of every row and the tonnes
per status are reported (``report``), and a file can be reconciled with the ledger row by row
(``reconcile``). ``core.import_exports`` ties it together::

    from chain.importer.core import ImportTarget, import_exports
    report = import_exports(target, "gs", [(FileKind.ISSUANCES, path)], verify=True)
"""
