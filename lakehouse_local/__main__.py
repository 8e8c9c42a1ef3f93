"""``python -m lakehouse_local``: the ``lakehouse`` console script without installing it."""

from __future__ import annotations

import sys

from lakehouse_local.cli import main

sys.exit(main())
