"""Call a deployed SageMaker endpoint through boto3's ``sagemaker-runtime`` ``invoke_endpoint``.

Sends a JSON list of texts (Content-Type application/json) and asks for application/jsonlines; a
plain JSON answer (a list, one object, or {"predictions": [...]}) is accepted too. Only the label
and probability (and model_version when present) are passed on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mlops_contracts import content_types

# Keeps each request far below SageMaker's ~6 MB payload limit for ordinary review lengths.
TEXTS_PER_REQUEST = 500


class EndpointError(RuntimeError):
    """The endpoint call failed or its answer was not what we expect; the message is one line."""


def _predictions_from_body(body: bytes, content_type: str) -> list[dict[str, Any]]:
    try:
        text = body.decode("utf-8")
        if "jsonlines" in content_type or "jsonl" in content_type:
            items: Any = [json.loads(line) for line in text.split("\n") if line.strip()]
        else:
            items = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EndpointError(
            f"endpoint answered with unreadable {content_type or 'content'}: {error}"
        ) from None
    if isinstance(items, dict):
        items = items.get("predictions", [items])
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and "label" in item and "probability" in item for item in items
    ):
        raise EndpointError("endpoint answer is not a list of {label, probability} objects")
    return [
        {key: item[key] for key in ("label", "probability", "model_version") if key in item} for item in items
    ]


def invoke(client: Any, endpoint_name: str, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Predictions for ``texts`` in order, sent in batches of TEXTS_PER_REQUEST."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only for endpoint calls

    predictions: list[dict[str, Any]] = []
    for start in range(0, len(texts), TEXTS_PER_REQUEST):
        batch = list(texts[start : start + TEXTS_PER_REQUEST])
        try:
            response = client.invoke_endpoint(
                EndpointName=endpoint_name,
                ContentType=content_types.JSON,
                Accept=content_types.JSON_LINES,
                Body=json.dumps(batch).encode("utf-8"),
            )
            body = response["Body"].read()
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", str(error))
            raise EndpointError(f"endpoint {endpoint_name}: {message}".replace("\n", " ")) from None
        except BotoCoreError as error:
            raise EndpointError(f"endpoint {endpoint_name}: {error}") from None
        answer = _predictions_from_body(body, response.get("ContentType", content_types.JSON_LINES))
        if len(answer) != len(batch):
            raise EndpointError(f"endpoint returned {len(answer)} predictions for {len(batch)} texts")
        predictions.extend(answer)
    return predictions
