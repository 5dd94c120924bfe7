"""Entry point for `python -m multistage`."""

import sys

from .cli import main

sys.exit(main())
