"""How the smoke test reaches a model server: plain HTTP (a local ``serve``) or a SageMaker endpoint.

Both answer ``invoke(body, content_type, accept)`` with an ``Answer`` holding the status, the answer's
content type, its body and the wall-clock time the call took, so the checks are the same for both.
A call that cannot be made at all raises ``TransportError`` with a one-line message.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit


class TransportError(RuntimeError):
    """The server could not be reached or the call failed before an answer came back."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    seconds: float


class Transport(Protocol):
    description: str

    def ready(self) -> None:
        """Raise TransportError unless the server says it can take requests."""

    def invoke(self, body: bytes, content_type: str, accept: str) -> Answer: ...


class HttpTransport:
    """SageMaker's container contract over HTTP: ``GET /ping`` and ``POST /invocations``."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"--url must look like http://127.0.0.1:8080 (got {url!r})")
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._base_path = parts.path.rstrip("/")
        self._timeout_s = timeout_s
        self.description = url

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        connection_class = (
            http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(self._host, self._port, timeout=self._timeout_s)
        started = time.perf_counter()
        try:
            connection.request(method, self._base_path + path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except TimeoutError:
            raise TransportError(
                f"{method} {self.description}{path}: no answer within {self._timeout_s:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            raise TransportError(f"{method} {self.description}{path}: {error}") from None
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        return Answer(response.status, response.getheader("Content-Type", ""), payload, seconds)

    def ready(self) -> None:
        answer = self._request("GET", "/ping", None, {})
        if answer.status != 200:
            raise TransportError(f"GET {self.description}/ping answered {answer.status}, expected 200")

    def invoke(self, body: bytes, content_type: str, accept: str) -> Answer:
        headers = {"Content-Type": content_type, "Accept": accept}
        return self._request("POST", "/invocations", body, headers)


class SageMakerTransport:
    """``sagemaker-runtime`` ``InvokeEndpoint``; readiness is ``DescribeEndpoint`` saying InService."""

    def __init__(self, endpoint_name: str, sagemaker: Any, runtime: Any) -> None:
        self._endpoint = endpoint_name
        self._sagemaker = sagemaker
        self._runtime = runtime
        self.description = f"endpoint {endpoint_name}"

    def ready(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - cloud calls only

        try:
            status = self._sagemaker.describe_endpoint(EndpointName=self._endpoint)["EndpointStatus"]
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", str(error))
            raise TransportError(f"{self.description}: {message}") from None
        except BotoCoreError as error:
            raise TransportError(f"{self.description}: {error}") from None
        if status != "InService":
            raise TransportError(f"{self.description} is {status}, not InService")

    def invoke(self, body: bytes, content_type: str, accept: str) -> Answer:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - cloud calls only

        started = time.perf_counter()
        try:
            response = self._runtime.invoke_endpoint(
                EndpointName=self._endpoint, ContentType=content_type, Accept=accept, Body=body
            )
            payload = response["Body"].read()
        except ClientError as error:
            # A ModelError carries the container's own status and message: report them as an answer.
            details = error.response
            status = int(details.get("OriginalStatusCode") or 0)
            message = details.get("OriginalMessage") or details.get("Error", {}).get("Message", str(error))
            if status:
                return Answer(status, "", str(message).encode("utf-8"), time.perf_counter() - started)
            raise TransportError(f"{self.description}: {message}".replace("\n", " ")) from None
        except BotoCoreError as error:
            raise TransportError(f"{self.description}: {error}") from None
        seconds = time.perf_counter() - started
        return Answer(200, response.get("ContentType", ""), payload, seconds)
