"""Serve the model over HTTP with SageMaker's container contract (``GET /ping``, ``POST /invocations``).

    python -m model_code.serve --model-path DIR [--port 8080] [--host 127.0.0.1] [--workers N]

Without ``--model-path`` the model is read from ``$OPT_ML_ROOT/model`` (``/opt/ml/model`` in
SageMaker); the image's ``serve`` entry point is this command with ``--host 0.0.0.0``. Request and
answer formats: ``model_code/server/codecs.py``; limits, timeouts and their environment variables:
``--help`` (from ``model_code/server/settings.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model_code import container_paths
from model_code.artifacts import ModelLoadError
from model_code.server.runner import run
from model_code.server.settings import SETTINGS, SettingsError, build_settings
from model_code.server.workers import WorkerCrashLoopError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m model_code.serve",
        description=__doc__.split("\n")[0],
        epilog="Each numeric option can also be set by the environment variable in brackets; "
        "a flag wins over its variable. A bad value stops the server with a one-line error. "
        "Beyond the limits: a slow request gets 408 and its connection closes; a request that "
        "arrives while its worker holds more than --max-connections connections gets 503.",
    )
    parser.add_argument(
        "--model-path",
        type=Path,
        default=None,
        help="model directory (default: $OPT_ML_ROOT/model or /opt/ml/model)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; the image uses 0.0.0.0)"
    )
    for setting in SETTINGS:
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            type=setting.kind,
            default=None,
            metavar=setting.metavar,
            help=f"{setting.help} [{setting.env}, default {setting.default_text}]",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = build_settings(
            model_dir=args.model_path or container_paths.model_dir(),
            host=args.host,
            **{setting.name: getattr(args, setting.name) for setting in SETTINGS},
        )
        return run(settings)
    except (SettingsError, ModelLoadError, WorkerCrashLoopError) as error:
        print(f"serve: error: {error}", file=sys.stderr)
        return 1 if isinstance(error, WorkerCrashLoopError) else 2
    except OSError as error:  # the address is taken or not ours to bind
        print(
            f"serve: error: cannot listen on {args.host}:{args.port or 'default port'}: {error}",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
