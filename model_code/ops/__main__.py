"""``python -m model_code.ops``."""

import sys

from model_code.ops.cli import main

sys.exit(main())
