"""``python -m ops_cli.smoke_test``: is a deployed model server answering, correctly and fast enough?

Sends known texts (``ops_cli/smoke_cases.json``: texts with an unambiguous sentiment and the label
any acceptable model gives them) in every format the server accepts (JSON batch, single JSON text,
JSON Lines, CSV), and checks every answer: HTTP 200, the content type asked for, one prediction per
text, the expected labels, probabilities of the label in [0.5, 1], a model version; and that the
median latency of each format stays within the budget. Targets: a SageMaker endpoint (``--env`` or
``--endpoint``, through boto3) or any server speaking the container contract (``--url``).

Exit codes: 0 every check passed; 1 a check failed or the server is not reachable (the last line on
stderr names what failed); 2 bad usage or an unreadable cases file. The deploy workflow and the CDK
pipeline both run it after deploying staging, before anyone is asked to approve prod.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_contracts import naming
from ops_cli.smoke_formats import FORMATS, AnswerError, Format
from ops_cli.smoke_transport import Answer, HttpTransport, SageMakerTransport, Transport, TransportError

DEFAULT_CASES = Path(__file__).with_name("smoke_cases.json")
LABELS = ("positive", "negative")
EXIT_FAILED = 1
EXIT_USAGE = 2


class CasesError(ValueError):
    """The cases file is missing or malformed."""


@dataclass(frozen=True)
class Case:
    text: str
    label: str


@dataclass
class FormatResult:
    format: Format
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    model_versions: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(path: Path) -> list[Case]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CasesError(f"cannot read cases file {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CasesError(f"cases file {path} is not JSON: {error}") from None
    items = document.get("cases") if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise CasesError(f'cases file {path} must hold {{"cases": [{{"text": ..., "label": ...}}, ...]}}')
    cases = []
    for number, item in enumerate(items):
        text, label = (item.get("text"), item.get("label")) if isinstance(item, dict) else (None, None)
        if not isinstance(text, str) or not text.strip() or label not in LABELS:
            raise CasesError(
                f"cases file {path}: cases[{number}] needs a non-blank 'text' and a 'label' of {LABELS}"
            )
        cases.append(Case(text, label))
    if {case.label for case in cases} != set(LABELS):
        raise CasesError(f"cases file {path} must have cases of both labels, or a constant model passes")
    return cases


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def check_answer(fmt: Format, cases: Sequence[Case], answer: Answer) -> list[str]:
    """What is wrong with one answer (empty when it is right)."""
    if answer.status != 200:
        return [f"answered HTTP {answer.status}: {answer.body[:200].decode('utf-8', 'replace')!r}"]
    if _media_type(answer.content_type) != fmt.accept:
        return [f"answered Content-Type {answer.content_type!r}, asked for {fmt.accept!r}"]
    try:
        predictions = fmt.decode(answer.body)
    except AnswerError as error:
        return [str(error)]
    if len(predictions) != len(cases):
        return [f"{len(predictions)} predictions for {len(cases)} texts"]
    problems = []
    for case, prediction in zip(cases, predictions, strict=True):
        quoted = repr(case.text if len(case.text) <= 50 else case.text[:47] + "...")
        if prediction.label != case.label:
            problems.append(
                f"{quoted}: expected {case.label}, got {prediction.label!r} (p={prediction.probability:.2f})"
            )
        elif not 0.5 <= prediction.probability <= 1.0:
            problems.append(
                f"{quoted}: probability of its label {prediction.probability} is outside [0.5, 1]"
            )
        if not prediction.model_version:
            problems.append(f"{quoted}: empty model_version")
    return problems


def run_format(
    transport: Transport, fmt: Format, cases: Sequence[Case], repeat: int, budget_ms: float
) -> FormatResult:
    """Send the cases ``repeat`` times in one format; stop at the first wrong answer."""
    result = FormatResult(fmt)
    batches = [[case] for case in cases] if fmt.single else [list(cases)]
    for _ in range(repeat):
        for batch in batches:
            try:
                answer = transport.invoke(fmt.encode([c.text for c in batch]), fmt.content_type, fmt.accept)
            except TransportError as error:
                result.failures.append(str(error))
                return result
            result.latencies_ms.append(answer.seconds * 1000)
            result.failures.extend(check_answer(fmt, batch, answer))
            if result.failures:
                return result
            result.model_versions.update(p.model_version for p in fmt.decode(answer.body))
    median = statistics.median(result.latencies_ms)
    if median > budget_ms:
        result.failures.append(
            f"median latency {median:.0f} ms is over the {budget_ms:g} ms budget "
            f"(slowest {max(result.latencies_ms):.0f} ms over {len(result.latencies_ms)} requests)"
        )
    return result


def run(transport: Transport, cases: Sequence[Case], repeat: int, budget_ms: float, warmup: int) -> int:
    """Every check against one target; prints one line per format and returns the exit code."""
    try:
        transport.ready()
    except TransportError as error:
        print(f"smoke test failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    json_batch = FORMATS[0]
    for _ in range(warmup):  # first requests pay for lazy loading and connection set-up: not timed
        try:
            transport.invoke(json_batch.encode([c.text for c in cases]), json_batch.content_type, "*/*")
        except TransportError:
            break  # the checks below report it
    results = [run_format(transport, fmt, cases, repeat, budget_ms) for fmt in FORMATS]
    for result in results:
        name = f"{result.format.name} ({result.format.content_type})"
        if result.passed:
            median_ms = statistics.median(result.latencies_ms)
            print(
                f"ok    {name}: {len(cases)}/{len(cases)} labels right, "
                f"median {median_ms:.0f} ms over {len(result.latencies_ms)} requests"
            )
        else:
            print(f"FAIL  {name}:")
            for failure in result.failures:
                print(f"        {failure}")
    versions = set().union(*(result.model_versions for result in results))
    failed = [result for result in results if not result.passed]
    if failed:
        summary = "; ".join(f"{r.format.name}: {r.failures[0]}" for r in failed)
        print(f"smoke test failed against {transport.description}: {summary}", file=sys.stderr)
        return EXIT_FAILED
    if len(versions) > 1:
        print(
            f"smoke test failed against {transport.description}: answers came from several model versions "
            f"{sorted(versions)}; is a deployment still rolling out?",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"smoke test passed against {transport.description}: model version {', '.join(sorted(versions))}")
    return 0


def _sagemaker_transport(endpoint: str, region: str | None, role_arn: str | None) -> SageMakerTransport:
    import boto3  # noqa: PLC0415 - only the cloud target needs boto3
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    session: Any = boto3.Session(region_name=region)
    if role_arn:  # cross-account: the endpoint lives in another account than the caller
        try:
            credentials = session.client("sts").assume_role(
                RoleArn=role_arn, RoleSessionName="mlops-sentiment-smoke-test"
            )["Credentials"]
        except (BotoCoreError, ClientError) as error:
            raise TransportError(f"cannot assume {role_arn}: {error}") from None
        session = boto3.Session(
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    return SageMakerTransport(endpoint, session.client("sagemaker"), session.client("sagemaker-runtime"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops_cli.smoke_test", description=__doc__.splitlines()[0].split(": ", 1)[1]
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", help="the environment's endpoint (its deterministic name)")
    target.add_argument("--endpoint", help="a SageMaker endpoint name")
    target.add_argument("--url", help="a server speaking the container contract, e.g. http://127.0.0.1:8080")
    parser.add_argument("--region", help="AWS region of the endpoint (default: your AWS configuration)")
    parser.add_argument("--role-arn", help="assume this role first (an endpoint in another account)")
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="JSON file of texts and labels")
    parser.add_argument(
        "--latency-budget-ms", type=float, default=1500.0, help="highest median latency per format"
    )
    parser.add_argument("--repeat", type=int, default=3, help="times each format is sent")
    parser.add_argument("--warmup", type=int, default=1, help="untimed requests before the checks")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0 or args.latency_budget_ms <= 0 or args.timeout <= 0:
        parser.error("--repeat must be >= 1, --warmup >= 0, --latency-budget-ms and --timeout > 0")
    try:
        cases = load_cases(args.cases)
    except CasesError as error:
        print(f"smoke test cannot start: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        transport: Transport
        if args.url:
            transport = HttpTransport(args.url, timeout_s=args.timeout)
        else:
            endpoint = args.endpoint or naming.endpoint_name(args.env)
            transport = _sagemaker_transport(endpoint, args.region, args.role_arn)
    except TransportError as error:
        print(f"smoke test cannot start: {error}", file=sys.stderr)
        return EXIT_USAGE if args.url else EXIT_FAILED
    return run(transport, cases, args.repeat, args.latency_budget_ms, args.warmup)


if __name__ == "__main__":
    sys.exit(main())
