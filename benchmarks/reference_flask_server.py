"""The reference the load benchmark compares against: the classic scikit-learn container style.

Flask under gunicorn with sync workers, calling the fitted pipeline's ``predict_proba`` per request
(``REFERENCE_PREDICT=pipeline``, the default). ``REFERENCE_PREDICT=fast`` keeps this HTTP stack but
calls our ``SentimentPredictor.predict_one``, which separates the HTTP stack's share of the gain
from the fast predict path's share.

    REFERENCE_MODEL_PATH=DIR gunicorn -w 2 -b 127.0.0.1:8081 \
        'benchmarks.reference_flask_server:create_app()'

Benchmark-only: its dependencies are in benchmarks/requirements.txt, never in the image.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import joblib
from flask import Flask, Response, request

from model_code.predictor import SentimentPredictor

LABELS = ("negative", "positive")


def create_app() -> Flask:
    model_dir = Path(os.environ["REFERENCE_MODEL_PATH"])
    mode = os.environ.get("REFERENCE_PREDICT", "pipeline")
    pipeline = joblib.load(model_dir / "model.joblib")
    predictor = SentimentPredictor.load(model_dir)
    version = predictor.model_version
    app = Flask(__name__)

    def score(texts: list[str]) -> list[dict[str, object]]:
        if mode == "fast" and len(texts) == 1:
            return [predictor.predict_one(texts[0])]
        results = []
        for positive in pipeline.predict_proba(texts)[:, 1]:
            label = int(positive >= 0.5)
            results.append(
                {"label": LABELS[label], "probability": float(positive if label else 1 - positive)}
            )
        return results

    @app.get("/ping")
    def ping() -> Response:
        return Response("{}", status=200, mimetype="application/json")

    @app.post("/invocations")
    def invocations() -> Response:
        payload = request.get_json(force=True)
        single = isinstance(payload, str) or (isinstance(payload, dict) and "text" in payload)
        if isinstance(payload, dict):
            payload = payload.get("text", payload.get("texts"))
        texts = [payload] if isinstance(payload, str) else payload
        predictions = [{**p, "model_version": version} for p in score(texts)]
        return Response(json.dumps(predictions[0] if single else predictions), mimetype="application/json")

    return app
