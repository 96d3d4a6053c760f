"""The single exception the request path raises for a client's mistake.

The app turns it into ``{"error": message}`` with its status; anything else that escapes becomes a
generic 500 without details, so a traceback never reaches a client.
"""

from __future__ import annotations


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
