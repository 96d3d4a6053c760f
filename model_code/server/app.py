"""The ASGI application: ``GET /ping`` and ``POST /invocations``, nothing else.

Written against the bare ASGI interface because the whole request path is a handful of branches;
a framework's routing, request objects and middleware would cost more than the model's fast
single-text path (see benchmarks/README.md, "Serving").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

import orjson

from model_code.server.codecs import encode_predictions, parse_body, request_media_type, response_media_type
from model_code.server.errors import HttpError
from model_code.server.settings import RequestLimits

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger(__name__)

# Texts scored per step on the event loop. The default model costs ~20 us per text in a batch, so
# a step is about a millisecond; between steps the loop serves whatever else is queued on this
# worker (single texts, /ping), so a big batch delays them by one step, not by the whole batch.
# (A worker thread did not help: prediction holds the GIL, and the loop then waits for the
# interpreter's 5 ms switch interval instead of one step.)
BATCH_STEP = 64
_JSON_HEADERS = [(b"content-type", b"application/json")]


class Predictor(Protocol):
    """What the app needs from ``model_code.predictor.SentimentPredictor``."""

    model_version: str

    def predict(self, texts: list[str]) -> list[dict[str, Any]]: ...

    def predict_one(self, text: str) -> dict[str, Any]: ...


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _respond_error(
    send: Send, status: int, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    await _respond(send, status, orjson.dumps({"error": message}), [*_JSON_HEADERS, *extra])


class InferenceApp:
    """One per worker process, holding the model that worker loaded."""

    def __init__(self, predictor: Predictor, limits: RequestLimits) -> None:
        self._predictor = predictor
        self._limits = limits
        self._model_version = predictor.model_version
        self._ping_body = orjson.dumps({"status": "healthy", "model_version": predictor.model_version})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/invocations":
            if method != "POST":
                await _respond_error(
                    send, 405, f"{method} not allowed on /invocations", ((b"allow", b"POST"),)
                )
                return
            try:
                await self._invocations(scope, receive, send)
            except HttpError as error:
                await _respond_error(send, error.status, error.message)
            except Exception:  # the client must never see a traceback; the log keeps it
                logger.exception("unexpected error in /invocations")
                await _respond_error(send, 500, "internal error")
        elif path == "/ping":
            if method in ("GET", "HEAD"):
                await _respond(send, 200, self._ping_body, _JSON_HEADERS)
            else:
                await _respond_error(send, 405, f"{method} not allowed on /ping", ((b"allow", b"GET, HEAD"),))
        else:
            await _respond_error(send, 404, f"no route {path}; use GET /ping or POST /invocations")

    async def _read_body(self, content_length: int | None, receive: Receive) -> bytes | None:
        """The whole body, or None if the client went away; 413 as soon as it exceeds the limit."""
        limit = self._limits.max_body_bytes
        if content_length is not None and content_length > limit:
            raise HttpError(413, f"body of {content_length} bytes is over the limit of {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HttpError(413, f"body is over the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = accept = None
        content_length: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"content-length" and value.isdigit():
                content_length = int(value)
        # Header problems are answered before the body is read or the model is touched.
        request_type = request_media_type(content_type)
        answer_type = response_media_type(accept)
        body = await self._read_body(content_length, receive)
        if body is None:
            return
        request = parse_body(request_type, body, self._limits)
        predictions = await self._predict(request.texts)
        for prediction in predictions:
            prediction["model_version"] = self._model_version
        encoded = encode_predictions(predictions, request.single, answer_type)
        await _respond(send, 200, encoded, [(b"content-type", answer_type.encode())])

    async def _predict(self, texts: list[str]) -> list[dict[str, Any]]:
        if len(texts) == 1:
            return [self._predictor.predict_one(texts[0])]
        if len(texts) <= BATCH_STEP:
            return self._predictor.predict(texts)
        predictions: list[dict[str, Any]] = []
        for start in range(0, len(texts), BATCH_STEP):
            if start:
                await asyncio.sleep(0)  # let queued requests on this worker run between steps
            predictions.extend(self._predictor.predict(texts[start : start + BATCH_STEP]))
        return predictions
