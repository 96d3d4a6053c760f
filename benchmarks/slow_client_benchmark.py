"""Slow-client benchmark: how fast slowloris connections are cut and what normal clients see meanwhile.

    python benchmarks/slow_client_benchmark.py [--model-path DIR] [--slow 100] [--requests 200]
        [--workers 2] [--header-timeout S] [--body-timeout S] [--max-connections N]

Starts ``python -m model_code.serve`` on 127.0.0.1 (server defaults unless a flag is given), then:

1. ``--requests`` normal single-text requests, one fresh connection each, with nothing else open:
   latency p50 / p99 / max;
2. opens ``--slow`` slow connections, half dripping a request head one byte per 0.2 s (slowloris),
   half sending headers and then dripping a 10 kB body at the same rate; while they are open, the
   same normal requests again (latency, statuses) and the server's RSS; then how long each slow
   connection lived before the server cut it, and with which answer;
3. two floods of idle connections, 1.5 times ``--max-connections`` per worker and twice it plus
   100: how many the server closed unread within 1 s, what normal requests get meanwhile, and what
   they get once the flood is gone.

Without ``--model-path`` it trains the default model on ../shared/data/sst2/train.tsv (like
``load_benchmark.py``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from load_benchmark import REPO, free_port, review_texts, train_default_model, tree_rss_mb, wait_ready

sys.path.insert(0, str(REPO))
from model_code.server.settings import SETTINGS_BY_NAME
from tests.serving.slow_clients import REQUEST_LINE, SLOW_HEAD_DRIP, SlowClient, drip_all

DEFAULT_MAX_CONNECTIONS = int(SETTINGS_BY_NAME["max_connections"].default or 0)


def normal_requests(port: int, texts: list[str], count: int) -> tuple[list[float], dict[int, int]]:
    """Latencies (ms) and status counts of ``count`` single-text requests, one connection each."""
    latencies, statuses = [], {}
    for index in range(count):
        body = json.dumps({"text": texts[index % len(texts)]})
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
            status = connection.getresponse().status
        except OSError:
            status = 0
        finally:
            connection.close()
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    return latencies, statuses


def latency_text(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms, max {ordered[-1]:.2f} ms"


def cut_text(clients: list[SlowClient]) -> str:
    ended = sorted(client.ended_after_s for client in clients if client.ended_after_s is not None)
    statuses: dict[str, int] = {}
    for client in clients:
        key = str(client.status) if client.status is not None else "closed without answer"
        statuses[key] = statuses.get(key, 0) + 1
    if not ended:
        return f"none of {len(clients)} cut"
    return (
        f"{len(ended)}/{len(clients)} cut after min {ended[0]:.2f} s, "
        f"median {statistics.median(ended):.2f} s, max {ended[-1]:.2f} s; answers {statuses}"
    )


def drip_in_child(port: int, slow: int, results: Connection) -> None:
    """The slow clients, in their own process so they take no GIL time from the normal client."""
    heads = [SlowClient(opening=REQUEST_LINE, drip=SLOW_HEAD_DRIP) for _ in range(slow // 2)]
    body_head = REQUEST_LINE + b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
    bodies = [SlowClient(opening=body_head, drip=b'"' + b"a" * 9998 + b'"') for _ in range(slow - len(heads))]
    for client in heads + bodies:
        client.open(port)
    results.send("open")
    drip_all(heads + bodies, interval_s=0.2, timeout_s=120.0)
    for client in heads + bodies:
        client.close()
    results.send((cut_text(heads), cut_text(bodies)))


def slow_phase(port: int, pid: int, texts: list[str], args: argparse.Namespace) -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    dripper = multiprocessing.get_context("fork").Process(
        target=drip_in_child, args=(port, args.slow, sender)
    )
    dripper.start()
    try:
        assert receiver.recv() == "open"
        time.sleep(0.5)
        print(f"RSS with {args.slow} slow connections open: {tree_rss_mb(pid):.0f} MB")
        latencies, statuses = normal_requests(port, texts, args.requests)
        print(f"normal requests while they are open: {latency_text(latencies)}; statuses {statuses}")
        heads, bodies = receiver.recv()
    finally:
        dripper.join()
    print(f"slowloris heads: {heads}")
    print(f"slow bodies:     {bodies}")


def flood(port: int, count: int, texts: list[str]) -> None:
    """Open ``count`` idle connections; report how many the server closed unread and what requests get."""
    connections = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    try:
        time.sleep(1.0)
        refused = 0
        for connection in connections:
            connection.setblocking(False)
            try:
                refused += connection.recv(1) == b""
            except BlockingIOError:
                pass
            except ConnectionResetError:
                refused += 1
        _, statuses = normal_requests(port, texts, 20)
        print(
            f"{count} idle connections: {refused} closed unread within 1 s; "
            f"20 requests meanwhile: {statuses} (0: connection closed)"
        )
    finally:
        for connection in connections:
            connection.close()
    time.sleep(0.5)
    _, statuses = normal_requests(port, texts, 20)
    print(f"20 requests once they are closed: {statuses}")


def flood_phase(port: int, texts: list[str], args: argparse.Namespace) -> None:
    cap = args.max_connections * args.workers
    flood(port, cap + cap // 2, texts)  # over the cap, under twice it: 503
    flood(port, 2 * cap + 100, texts)  # over twice the cap: new sockets closed unread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-path", type=Path, default=None)
    parser.add_argument("--slow", type=int, default=100, help="slow connections (half heads, half bodies)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--header-timeout", type=float, default=None)
    parser.add_argument("--body-timeout", type=float, default=None)
    parser.add_argument("--max-connections", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        model_path = args.model_path or train_default_model(Path(scratch))
        port = free_port()
        command = [sys.executable, "-m", "model_code.serve", "--model-path", str(model_path)]
        command += ["--port", str(port), "--workers", str(args.workers)]
        server_flags = {
            "--header-timeout": args.header_timeout,
            "--body-timeout": args.body_timeout,
            "--max-connections": args.max_connections,
        }
        for flag, value in server_flags.items():
            if value is not None:
                command += [flag, str(value)]
        args.max_connections = args.max_connections or DEFAULT_MAX_CONNECTIONS
        log = Path(scratch) / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=REPO, stdout=output, stderr=output, start_new_session=True
            )
        try:
            wait_ready(port, process)
            texts = review_texts()
            normal_requests(port, texts, 50)  # warm-up
            print(f"RSS idle: {tree_rss_mb(process.pid):.0f} MB")
            latencies, statuses = normal_requests(port, texts, args.requests)
            print(f"normal requests alone: {latency_text(latencies)}; statuses {statuses}")
            slow_phase(port, process.pid, texts, args)
            flood_phase(port, texts, args)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
