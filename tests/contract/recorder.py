"""Capture every answer a Harbor client reads, to check each one against Harbor's description.

A :class:`ResponseRecorder` is a ``requests`` response hook: pass it to
``Harbor(settings, hooks=[recorder])`` (or ``HarborAPI``) and every answer the client
reads, errors included, lands in ``recorder.responses``. Nothing in the client changes.

Example:
    >>> recorder = ResponseRecorder()
    >>> harbor = Harbor(settings, hooks=[recorder])  # doctest: +SKIP
    >>> harbor.ping(); len(recorder.responses)  # doctest: +SKIP
    1
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from tests.contract.swagger import HarborDescription

__all__ = ["ResponseRecorder"]


class ResponseRecorder:
    """A response hook that keeps every answer, in order."""

    def __init__(self) -> None:
        self.responses: list[requests.Response] = []

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep ``response`` (called by ``requests`` for every answer)."""
        self.responses.append(response)

    def requests_to(self, method: str, path: str) -> list[requests.Response]:
        """The answers to ``method`` requests on exactly ``path`` (query ignored)."""
        return [r for r in self.responses
                if r.request.method == method and urlsplit(r.request.url).path == path]

    def operation_ids(self, description: HarborDescription) -> set[str]:
        """The swagger operationIds of every recorded request."""
        found = set()
        for response in self.responses:
            try:
                found.add(description.operation(response.request.method,
                                                 urlsplit(response.request.url).path).operation_id)
            except LookupError:
                continue
        return found

    def problems(self, description: HarborDescription, *, strict: bool = True) -> list[str]:
        """Every problem of every recorded answer (empty when all conform)."""
        return [p for r in self.responses for p in description.problems(r, strict=strict)]
