"""``python -m local_loop [--cdk-out DIR] [--env dev]``: the platform's loop on this machine (make demo)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from local_loop.cloudformation import TemplateError
from local_loop.lambdas import REPO_ROOT
from local_loop.run import LoopState, StepError, run_steps
from local_loop.standin import moto_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_loop", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cdk-out", type=Path, default=REPO_ROOT / "cdk.out", help="synthesized app (make synth)"
    )
    parser.add_argument("--env", default="dev", help="which synthesized environment to stand up")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="local-loop-") as workdir, moto_server() as url:
        state = LoopState(
            environment_name=options.env, cdk_out=options.cdk_out, workdir=Path(workdir), endpoint_url=url
        )
        try:
            run_steps(state, sys.stdout)
        except (StepError, TemplateError) as error:
            print(f"local loop: error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
