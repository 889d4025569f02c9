"""carbon-ledger HTTP bridge API (FastAPI). Its routers land with the API issue; the package
exists now so the layout, packaging and type checks already cover it."""
