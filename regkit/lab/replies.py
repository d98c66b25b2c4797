"""How Harbor's API answers: error bodies, times, pagination headers and the ``q`` syntax.

Everything here is shaped after Harbor's own code so clients written against the lab meet
the same answers on a real Harbor:

* errors are ``{"errors": [{"code": "NOT_FOUND", "message": "..."}]}``, the code deciding
  the status (``HarborError``);
* times are ``2024-01-02T03:04:05.678Z``, and "never" is ``0001-01-01T00:00:00.000Z``;
* lists carry ``X-Total-Count`` and, when there is a previous or next page, a relative
  ``Link`` header whose entries are joined by `` , ``;
* ``page_size`` above 100 is a 422 with go-swagger's validation message.

Example:
    >>> fmt_time(0)
    '0001-01-01T00:00:00.000Z'
    >>> link_header("/api/v2.0/projects", "", total=25, page=2, page_size=10).split(" , ")
    ['</api/v2.0/projects?page=1&page_size=10>; rel="prev"', \
'</api/v2.0/projects?page=3&page_size=10>; rel="next"']
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Sequence
from urllib.parse import parse_qsl, unquote_plus, urlencode

__all__ = [
    "HarborError",
    "Paging",
    "QueryFilter",
    "ZERO_TIME",
    "error_body",
    "fmt_time",
    "link_header",
    "parse_paging",
    "parse_q",
    "sort_rows",
]

ZERO_TIME = "0001-01-01T00:00:00.000Z"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10

_STATUS = {
    "BAD_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "DENIED": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "PRECONDITION": 412,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "UNPROCESSABLE_ENTITY": 422,
    "TOO_MANY_REQUEST": 429,
    "UNKNOWN": 500,
}


class HarborError(Exception):
    """An API error answered as Harbor does.

    Args:
        code: Harbor's error code (``NOT_FOUND``, ``UNAUTHORIZED``...); it sets the status.
        message: the message, already in Harbor's words (often ``what: cause``).

    Example:
        >>> err = HarborError("NOT_FOUND", "project demo not found")
        >>> err.status, err.body()["errors"][0]["message"]
        (404, 'project demo not found')
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """The HTTP status Harbor maps this code to."""
        return _STATUS.get(self.code, 500)

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"errors": [{"code", "message"}]}``."""
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    """Harbor's error envelope for one error.

    Args:
        code: the error code.
        message: the message.

    Returns:
        ``{"errors": [{"code": code, "message": message}]}``.

    Example:
        >>> error_body("NOT_FOUND", "gone")["errors"][0]["code"]
        'NOT_FOUND'
    """
    return {"errors": [{"code": code, "message": message}]}


def fmt_time(seconds: float | None) -> str:
    """Format Unix seconds as Harbor does (millisecond precision, UTC, ``Z``).

    Args:
        seconds: Unix time; 0 or None means "never".

    Returns:
        The timestamp, or Harbor's zero time for "never".

    Example:
        >>> fmt_time(1704164645.678)
        '2024-01-02T03:04:05.678Z'
    """
    if not seconds:
        return ZERO_TIME
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Paging(NamedTuple):
    """One page of a list: ``page`` from 1, ``page_size`` 0 meaning "no limit".

    Example:
        >>> Paging(page=2, page_size=2).slice([1, 2, 3, 4, 5])
        [3, 4]
    """

    page: int
    page_size: int

    def slice(self, rows: Sequence[Any]) -> list[Any]:
        """The rows of this page."""
        if self.page_size <= 0:
            return list(rows)
        start = (self.page - 1) * self.page_size
        return list(rows[start:start + self.page_size])


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise HarborError("UNPROCESSABLE_ENTITY",
                          f"validation failure list:\n{name} in query must be of type int64: "
                          f"\"{raw}\"") from None


def parse_paging(query: Mapping[str, str]) -> Paging:
    """Read ``page`` and ``page_size`` as go-swagger validates them for Harbor.

    Args:
        query: the request's query parameters.

    Returns:
        The paging (page 1 and size 10 by default; a page below 1 counts as 1).

    Raises:
        HarborError: 422 for a size above 100 or a non-integer value, with Harbor's message.

    Example:
        >>> parse_paging({"page": "3", "page_size": "100"})
        Paging(page=3, page_size=100)
    """
    page_size = _int_param(query, "page_size", DEFAULT_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        raise HarborError("UNPROCESSABLE_ENTITY",
                          "validation failure list:\n"
                          "page_size in query should be less than or equal to 100")
    page = _int_param(query, "page", 1)
    return Paging(page=max(page, 1), page_size=max(page_size, 0))


def link_header(path: str, raw_query: str, *, total: int, page: int,
                page_size: int) -> str | None:
    """The ``Link`` header Harbor sends (``handler/base.go Links``), or None.

    The URL is the request's own relative path and query with ``page`` and ``page_size``
    replaced; like Go's ``url.Values.Encode`` the keys are sorted, and like Harbor the
    query is then unescaped.

    Args:
        path: the raw request path (``/api/v2.0/projects``).
        raw_query: the raw query string.
        total: how many items the whole list has.
        page: the current page.
        page_size: the current page size (0: no pages, no header).

    Returns:
        ``<url>; rel="prev" , <url>; rel="next"`` (either part may be absent), or None.

    Example:
        >>> link_header("/api/v2.0/projects", "name=x", total=3, page=1, page_size=2)
        '</api/v2.0/projects?name=x&page=2&page_size=2>; rel="next"'
    """
    if page_size <= 0:
        return None
    params = parse_qsl(raw_query, keep_blank_values=True)

    def url(number: int) -> str:
        kept = [(k, v) for k, v in params if k not in ("page", "page_size")]
        kept += [("page", str(number)), ("page_size", str(page_size))]
        kept.sort(key=lambda kv: kv[0])
        return f"{path}?{unquote_plus(urlencode(kept))}"

    links = []
    if page > 1 and (page - 1) * page_size < total:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if page * page_size < total:
        links.append(f'<{url(page + 1)}>; rel="next"')
    return " , ".join(links) or None


class QueryFilter(NamedTuple):
    """One ``q`` condition: ``key=value`` (exact), ``key=~value`` (fuzzy) or ``{a b}`` (any).

    Attributes:
        key: the field name.
        kind: ``"exact"``, ``"fuzzy"``, ``"any"`` or ``"range"``.
        values: the value(s), quotes removed.

    Example:
        >>> QueryFilter("name", "fuzzy", ("lib",)).matches("library")
        True
    """

    key: str
    kind: str
    values: tuple[str, ...]

    def matches(self, value: Any) -> bool:
        """True if a record's field ``value`` satisfies this condition."""
        text = _text(value)
        if self.kind == "fuzzy":
            return self.values[0].lower() in text.lower()
        if self.kind == "any":
            return text in self.values
        if self.kind == "range":
            low, high = self.values
            return (not low or text >= low) and (not high or text <= high)
        return text == self.values[0]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_q(q: str | None) -> list[QueryFilter]:
    """Parse Harbor's ``q`` (``k=v,k2=~v2,k3={a b},k4=[min~max]``).

    Args:
        q: the raw parameter, or None.

    Returns:
        The conditions, in order. ``(a b)`` (all-of) lists are read like ``{a b}``.

    Raises:
        HarborError: 400 for a condition without ``=``.

    Example:
        >>> [(f.key, f.kind) for f in parse_q("name=~lib,public=true")]
        [('name', 'fuzzy'), ('public', 'exact')]
    """
    if not q:
        return []
    filters = []
    for part in re.split(r",(?![^{(\[]*[})\]])", q):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise HarborError("BAD_REQUEST", f"invalid query string: {q}")
        key, value = key.strip(), value.strip()
        if value.startswith("~"):
            filters.append(QueryFilter(key, "fuzzy", (_unquote(value[1:]),)))
        elif value[:1] in "{(" and value[-1:] in "})":
            items = tuple(_unquote(v) for v in value[1:-1].split() if v)
            filters.append(QueryFilter(key, "any", items))
        elif value.startswith("[") and value.endswith("]") and "~" in value:
            low, _, high = value[1:-1].partition("~")
            filters.append(QueryFilter(key, "range", (_unquote(low), _unquote(high))))
        else:
            filters.append(QueryFilter(key, "exact", (_unquote(value),)))
    return filters


def sort_rows(rows: Iterable[Mapping[str, Any]], sort: str | None,
              fields: Mapping[str, Callable[[Mapping[str, Any]], Any]]) -> list[Any]:
    """Order rows by Harbor's ``sort=a,-b``; unknown keys are ignored, as Harbor does.

    Args:
        rows: the rows in their default order.
        sort: the raw ``sort`` parameter, or None.
        fields: the sortable keys and how to read each from a row.

    Returns:
        The rows, sorted (stable, so the default order breaks ties).

    Example:
        >>> sort_rows([{"n": 2}, {"n": 1}], "n", {"n": lambda r: r["n"]})
        [{'n': 1}, {'n': 2}]
    """
    result = list(rows)
    if not sort:
        return result
    for key in reversed([k.strip() for k in sort.split(",") if k.strip()]):
        descending = key.startswith("-")
        getter = fields.get(key.lstrip("-"))
        if getter is not None:
            result.sort(key=getter, reverse=descending)
    return result


def dumps(payload: Any) -> str:
    """JSON as the lab sends it (compact, UTF-8 kept).

    Args:
        payload: anything ``json`` can encode.

    Returns:
        The JSON text.

    Example:
        >>> dumps({"a": [1, "é"]})
        '{"a":[1,"é"]}'
    """
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
