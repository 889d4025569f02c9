"""``python -m cli``: the ``carbon-ledger`` command without its console script."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
