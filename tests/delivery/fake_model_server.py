"""A model server that misbehaves on purpose, for the smoke test's failure paths.

``python tests/delivery/fake_model_server.py --port P --mode MODE --cases FILE [--delay S]`` speaks
the container contract (GET /ping, POST /invocations in JSON, JSON Lines and CSV) and answers:

- ``right``: the expected label of every known text (from the cases file), after ``--delay`` seconds;
  with a delay this is a correct but slow server;
- ``wrong-labels``: the opposite label of every text;
- ``error``: HTTP 500 with a JSON error;
- ``garbage``: HTTP 200 with a body that is not JSON;
- ``not-ready``: /ping answers 503.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FLIP = {"positive": "negative", "negative": "positive"}


def parse(content_type: str, body: str) -> tuple[list[str], bool]:
    if content_type.startswith("text/csv"):
        return [row[0] for row in csv.reader(io.StringIO(body))], False
    if "jsonlines" in content_type:
        return [json.loads(line) for line in body.splitlines() if line.strip()], False
    value = json.loads(body)
    if isinstance(value, dict) and "text" in value:
        return [value["text"]], True
    return list(value["texts"] if isinstance(value, dict) else value), False


def encode(predictions: list[dict], accept: str, single: bool) -> tuple[str, bytes]:
    if accept == "text/csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            (p["label"], p["probability"], p["model_version"]) for p in predictions
        )
        return accept, out.getvalue().encode()
    if accept == "application/jsonlines":
        return accept, "".join(json.dumps(p) + "\n" for p in predictions).encode()
    return "application/json", json.dumps(predictions[0] if single else predictions).encode()


def make_handler(mode: str, labels: dict[str, str], delay_s: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            status = 503 if mode == "not-ready" else 200
            self._send(status, "application/json", b"{}")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            time.sleep(delay_s)
            if mode == "error":
                self._send(500, "application/json", b'{"error": "model exploded"}')
                return
            if mode == "garbage":
                self._send(200, self.headers.get("Accept", "application/json"), b"<html>oops</html>")
                return
            texts, single = parse(self.headers.get("Content-Type", "application/json"), body)
            predictions = []
            for text in texts:
                label = labels.get(text, "positive")
                if mode == "wrong-labels":
                    label = FLIP[label]
                predictions.append({"label": label, "probability": 0.9, "model_version": "fake-1"})
            accept = self.headers.get("Accept", "application/json")
            self._send(200, *encode(predictions, accept, single))

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["right", "wrong-labels", "error", "garbage", "not-ready"])
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    cases = json.loads(args.cases.read_text())["cases"]
    labels = {case["text"]: case["label"] for case in cases}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.mode, labels, args.delay))
    server.serve_forever()


if __name__ == "__main__":
    main()
