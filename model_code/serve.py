"""Serve the model over HTTP with SageMaker's container contract (``GET /ping``, ``POST /invocations``).

    python -m model_code.serve --model-path DIR [--port 8080] [--host 127.0.0.1] [--workers N]

Without ``--model-path`` the model is read from ``$OPT_ML_ROOT/model`` (``/opt/ml/model`` in
SageMaker); the image's ``serve`` entry point is this command with ``--host 0.0.0.0``. Request and
answer formats: ``model_code/server/codecs.py``; limits and their environment variables:
``model_code/server/settings.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model_code import container_paths
from model_code.artifacts import ModelLoadError
from model_code.server.runner import run
from model_code.server.settings import SettingsError, build_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model_code.serve", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model-path",
        type=Path,
        default=None,
        help="model directory (default: $OPT_ML_ROOT/model or /opt/ml/model)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; the image uses 0.0.0.0)"
    )
    parser.add_argument("--port", type=int, default=None, help="default $SAGEMAKER_BIND_TO_PORT or 8080")
    parser.add_argument(
        "--workers", type=int, default=None, help="default $SAGEMAKER_MODEL_SERVER_WORKERS or CPUs"
    )
    parser.add_argument(
        "--max-payload-mb", type=float, default=None, help="default $SAGEMAKER_MAX_PAYLOAD_IN_MB or 6"
    )
    parser.add_argument("--max-texts", type=int, default=None, help="texts per request (default 10000)")
    parser.add_argument(
        "--max-text-chars", type=int, default=None, help="longer texts are cut (default 20000)"
    )
    parser.add_argument(
        "--graceful-timeout", type=float, default=None, help="seconds to drain on SIGTERM (default 30)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = build_settings(
            model_dir=args.model_path or container_paths.model_dir(),
            host=args.host,
            port=args.port,
            workers=args.workers,
            max_payload_mb=args.max_payload_mb,
            max_texts=args.max_texts,
            max_text_chars=args.max_text_chars,
            graceful_timeout_s=args.graceful_timeout,
        )
        return run(settings)
    except (SettingsError, ModelLoadError) as error:
        print(f"serve: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the address is taken or not ours to bind
        print(
            f"serve: error: cannot listen on {args.host}:{args.port or 'default port'}: {error}",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
