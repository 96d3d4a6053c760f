"""Content types of the model server (requests and answers) and of the files the pipeline writes."""

from __future__ import annotations

JSON = "application/json"
JSON_LINES = "application/jsonlines"
CSV = "text/csv"
# What the endpoint accepts and answers, in the order registered on model packages.
INFERENCE_TYPES = (JSON, JSON_LINES, CSV)
