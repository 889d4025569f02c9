"""``python -m cli``: the ``carbon-ledger`` command without its console script."""

import sys

from cli.main import main

sys.exit(main())
