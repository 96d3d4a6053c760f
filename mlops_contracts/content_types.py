"""Content types of the model server (requests and answers) and of the files the pipeline writes."""

from __future__ import annotations

JSON = "application/json"
JSON_LINES = "application/jsonlines"
CSV = "text/csv"
TAR = "application/x-tar"  # model.tar.gz given to a training job as the champion channel
# What the endpoint accepts and answers, in the order registered on model packages.
INFERENCE_TYPES = (JSON, JSON_LINES, CSV)
