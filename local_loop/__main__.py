"""``python -m local_loop [--cdk-out DIR] [--env NAME]``: the platform's loop on this machine (make demo)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from config.environments import ENVIRONMENTS
from local_loop.cloudformation import TemplateError, captures_traffic, load_stage
from local_loop.lambdas import REPO_ROOT
from local_loop.run import LoopState, StepError, run_steps
from local_loop.standin import moto_server


def default_environment(cdk_out: Path) -> str:
    """The first configured environment whose endpoint captures traffic: the loop's second half
    serves A/B variants with data capture, which a serverless endpoint (dev by default) has neither of."""
    for environment in ENVIRONMENTS:
        if captures_traffic(load_stage(cdk_out, environment.name)):
            return environment.name
    raise TemplateError("no synthesized environment has an endpoint with data capture")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_loop", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cdk-out", type=Path, default=REPO_ROOT / "cdk.out", help="synthesized app (make synth)"
    )
    parser.add_argument(
        "--env",
        choices=[environment.name for environment in ENVIRONMENTS],
        help="which synthesized environment to stand up (default: the first whose endpoint captures "
        "traffic, staging with the shipped configuration)",
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="local-loop-") as workdir, moto_server() as url:
        state = LoopState(
            environment_name="", cdk_out=options.cdk_out, workdir=Path(workdir), endpoint_url=url
        )
        try:
            state.environment_name = options.env or default_environment(options.cdk_out)
            where = options.cdk_out.resolve()
            where = where.relative_to(Path.cwd()) if where.is_relative_to(Path.cwd()) else where
            print(f"local loop: environment {state.environment_name} from {where}", flush=True)
            run_steps(state, sys.stdout)
        except (StepError, TemplateError) as error:
            print(f"local loop: error: {error}", file=sys.stderr)
            return 1
        finally:
            state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
