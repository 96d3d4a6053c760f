"""Bad input to /invocations gets a 4xx with a JSON error, never a 5xx, a traceback or a dead worker."""

from __future__ import annotations

import json
import socket

import pytest

# Slow: starts a real server. One xdist group, so the session server is started once, not per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serving-shared-server")]

BAD_REQUESTS = [
    # (id, body, content type, accept, status)
    ("empty body", b"", "application/json", None, 400),
    ("whitespace body", b"  \n ", "application/json", None, 400),
    ("invalid json", b'{"text": ', "application/json", None, 400),
    ("non-utf8 json", b'"caf\xe9"', "application/json", None, 400),
    ("non-utf8 csv", b"caf\xe9\n", "text/csv", None, 400),
    ("non-utf8 jsonlines", b'"ok"\n"caf\xe9"\n', "application/jsonlines", None, 400),
    ("number", b"42", "application/json", None, 400),
    ("null", b"null", "application/json", None, 400),
    ("text not a string", b'{"text": 5}', "application/json", None, 400),
    ("texts not a list", b'{"texts": "abc"}', "application/json", None, 400),
    ("list with a number", b'["fine", 3]', "application/json", None, 400),
    ("list with an object", b'["fine", {"a": 1}]', "application/json", None, 400),
    ("empty list", b"[]", "application/json", None, 400),
    ("empty texts", b'{"texts": []}', "application/json", None, 400),
    ("empty string", b'""', "application/json", None, 400),
    ("blank text in a list", b'["fine", "   "]', "application/json", None, 400),
    ("unknown key", b'{"txt": "typo"}', "application/json", None, 400),
    ("extra key", b'{"text": "a", "id": 1}', "application/json", None, 400),
    ("jsonlines bad line", b'"ok"\n{broken\n', "application/jsonlines", None, 400),
    ("jsonlines blank line inside", b'"ok"\n\n"ok"\n', "application/jsonlines", None, 400),
    ("jsonlines wrong type", b'"ok"\n[1]\n', "application/jsonlines", None, 400),
    ("csv two fields", b"good,bad\n", "text/csv", None, 400),
    ("csv blank line inside", b"good\n\nbad\n", "text/csv", None, 400),
    ("csv unterminated quote", b'"good\n', "text/csv", None, 400),
    # Sized from the server's limits when the test runs (see ``body_for``).
    ("too many texts json", "TOO_MANY_JSON", "application/json", None, 413),
    ("too many texts csv", "TOO_MANY_CSV", "text/csv", None, 413),
    ("body over the limit", "OVER_LIMIT", "application/json", None, 413),
    ("unsupported content type", b"x", "application/xml", None, 415),
    ("form content type", b"text=x", "application/x-www-form-urlencoded", None, 415),
    ("non-utf8 charset", b'"x"', "application/json; charset=latin-1", None, 415),
    ("unacceptable accept", b'"x"', "application/json", "image/png", 406),
    ("accept refused by q=0", b'"x"', "application/json", "application/json;q=0", 406),
]


def body_for(body: bytes | str, limits) -> bytes:
    if body == "TOO_MANY_JSON":
        return json.dumps(["t"] * (limits.max_texts + 1)).encode()
    if body == "TOO_MANY_CSV":
        return b"t\n" * (limits.max_texts + 1)
    if body == "OVER_LIMIT":
        return b'"' + b"a" * limits.max_payload_bytes + b'"'
    assert isinstance(body, bytes)
    return body


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS],
)
def test_bad_input_is_a_4xx_with_a_json_error_and_the_worker_survives(
    server, serving_limits, *, body: bytes | str, content_type: str, accept: str | None, status: int
) -> None:
    answer = server.invoke(body_for(body, serving_limits), content_type=content_type, accept=accept)
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()
    assert isinstance(error, dict)
    assert set(error) == {"error"}
    assert error["error"]
    assert "Traceback" not in error["error"]
    assert server.request("GET", "/ping").status == 200


def test_chunked_body_over_the_limit_is_413(server, serving_limits) -> None:
    """No Content-Length to check up front: the limit must hold while the body streams in."""
    chunk = b"a" * 4096
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            for _ in range(serving_limits.max_payload_bytes // len(chunk) + 2):
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the whole body is sent
        status_line = connection.makefile("rb").readline()
    assert status_line.split()[1] == b"413"
    assert server.request("GET", "/ping").status == 200


def test_a_stalled_client_does_not_block_ping(server) -> None:
    """A client that sends half a request and stops must not hold up health checks on any worker."""
    stalled = []
    try:
        for _ in range(4):  # more stalled connections than workers
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            connection.sendall(b'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"hal')
            stalled.append(connection)
        for _ in range(4):
            assert server.request("GET", "/ping").status == 200
    finally:
        for connection in stalled:
            connection.close()
