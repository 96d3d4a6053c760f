"""``python -m ops_cli``."""

import sys

from ops_cli.cli import main

sys.exit(main())
