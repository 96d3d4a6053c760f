"""Big batches are scored in steps on the worker's event loop: right answers, and no stall for singles.

A one-worker server with the default text cap gets a batch far bigger than one step
(``app.BATCH_STEP``); while it is being scored, a single text sent on a second connection must be
answered first (it waits for one step, not for the whole batch).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from model_code.predictor import SentimentPredictor
from model_code.server.app import BATCH_STEP

TEXTS = [
    "This product is amazing! I love it.",
    "Terrible, it broke after a day. Awful.",
    "Not bad at all, I would buy it again.",
    "The movie was not good, but the actors were fine.",
]


def _post(
    port: int, payload: object, finished: dict[str, float], name: str, out: dict[str, tuple[int, Any]]
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps(payload).encode()
        connection.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        out[name] = (answer.status, json.loads(answer.read()))
        finished[name] = time.monotonic()
    finally:
        connection.close()


def test_a_big_batch_matches_the_predictor_and_a_single_text_is_answered_before_it(
    serving_model_dir: Path, launch_server, serving_env, port_finder
) -> None:
    from tests.serving.conftest import stop_server

    predictor = SentimentPredictor.load(serving_model_dir)
    batch = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(8000)]
    assert len(batch) > 20 * BATCH_STEP
    port = port_finder()
    command = [sys.executable, "-m", "model_code.serve", "--model-path", str(serving_model_dir)]
    server = launch_server([*command, "--port", str(port), "--workers", "1"], port, serving_env())
    try:
        finished: dict[str, float] = {}
        out: dict[str, tuple[int, Any]] = {}
        big = threading.Thread(target=_post, args=(port, batch, finished, "batch", out))
        big.start()
        time.sleep(0.05)  # the batch is on the worker (being read or scored) before the single is sent
        _post(port, {"text": TEXTS[0]}, finished, "single", out)
        big.join(timeout=60)
    finally:
        stop_server(server)

    status, answers = out["batch"]
    assert status == 200
    expected = predictor.predict(batch)
    assert [a["label"] for a in answers] == [e["label"] for e in expected]
    assert all(
        abs(a["probability"] - e["probability"]) < 1e-9 for a, e in zip(answers, expected, strict=True)
    )
    single_status, single = out["single"]
    assert single_status == 200 and single["label"] == predictor.predict_one(TEXTS[0])["label"]
    assert finished["single"] < finished["batch"], "the single text waited for the whole batch"
