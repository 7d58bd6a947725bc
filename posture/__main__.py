"""``python -m posture``: see :mod:`posture.cli`."""

import sys

from .cli import main

sys.exit(main())
