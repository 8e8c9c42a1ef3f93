"""``python -m data_generators``."""

from __future__ import annotations

import sys

from data_generators.cli import main

sys.exit(main())
