"""The one seam between this function and the drift score (``model_code`` drift modules).

Everything the handler needs from the model side goes through here: decoding a capture line into
(text, P(positive)) pairs, and a bounded per-variant window that turns into a drift report
(``score``, ``drifted``, ``requests``, ``features``, ``reason``). The image copies exactly the
model_code modules imported below (see the Dockerfile).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from model_code.capture_records import CapturedPrediction, MalformedCaptureError, decode_record
from model_code.drift_features import FeatureWindow, request_features
from model_code.drift_score import DriftReference, drift_report

__all__ = ["CapturedPrediction", "MalformedCaptureError", "VariantWindow", "decode_record"]


class VariantWindow:
    """Requests of one variant in one run, scored against that variant's model baseline."""

    def __init__(self, baseline: Mapping[str, Any], max_sample: int, seed: int = 0) -> None:
        # Parsed whole here, once: a baseline the score cannot use (no drift reference, from an older
        # train) fails now, where the caller reports it for this variant, not halfway through the run.
        self._reference = DriftReference.from_baseline(baseline)
        self._vocabulary = self._reference.vocabulary
        self._window = FeatureWindow(max_sample=max_sample, seed=seed)

    @property
    def requests(self) -> int:
        return self._window.requests

    def add(self, prediction: CapturedPrediction) -> None:
        self._window.add(request_features(self._vocabulary, prediction.text, prediction.positive_probability))

    def feature_values(self) -> dict[str, float]:
        """One number per feature for the dashboard: the window's mean, and the predicted-positive rate."""
        if not self._window.requests:
            return {}
        values = {name: float(value) for name, value in self._window.means().items() if math.isfinite(value)}
        values["predicted_positive_rate"] = self._window.predicted_positive / self._window.requests
        return values

    def report(self, min_requests: int, threshold: float) -> dict[str, Any]:
        """The drift report; windows under ``min_requests`` are not scored (``reason`` says so)."""
        if self._window.requests < min_requests:
            return {
                "score": None,
                "drifted": False,
                "requests": self._window.requests,
                "threshold": threshold,
                "reason": f"too few requests to judge: {self._window.requests} < {min_requests}; not scored",
            }
        report = dict(drift_report(self._reference, self._window))
        score = report.get("score")
        report["threshold"] = threshold
        report["drifted"] = score is not None and float(score) > threshold
        return report
