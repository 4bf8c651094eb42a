"""``python -m scalper_backend.local``: the same as ``scalper local``."""

import sys

from .cli import main

sys.exit(main())
