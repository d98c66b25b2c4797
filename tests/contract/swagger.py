"""Harbor's own API description as a test oracle: is this answer one Harbor could give?

The description is Harbor's ``api/v2.0/swagger.yaml`` (Swagger 2.0), read in place from
``$REGKIT_HARBOR_SWAGGER`` or ``<repo>/../shared/harbor/swagger-v2.15.2.yaml``; it is
never copied into the repository. :meth:`HarborDescription.problems` finds the operation
for a request (method, and path matched against the templates under ``basePath``) and
checks the answer:

- **status**: one the operation declares (or ``default``). A few statuses real Harbor
  sends but its description omits are accepted, each with its source in
  :data:`UNDECLARED_BUT_SENT`; and 422 on any operation, which go-swagger's parameter
  validation sends before Harbor's handler runs (``page_size`` over 100, a missing ``q``).
- **body**: against the response schema, with ``jsonschema``'s Draft 4 validator (Swagger
  2.0 schemas are a Draft 4 dialect; ``$ref`` resolves inside the document; ``date-time``
  is checked as RFC 3339).
- **headers**: those declared for the status must be present (``X-Total-Count`` an
  integer, ``Location``, ``X-Request-Id``); ``Link`` is optional but, when there, must be
  Harbor's format and agree with ``X-Total-Count``, ``page`` and ``page_size``.
- **content type**: one the operation ``produces`` for a success body.

Where the description is wrong for every real Harbor, :data:`DESCRIPTION_FIXES` corrects
it, with the evidence (so far: ``ExtraAttrs`` values are strings as well as objects), and
:data:`DECLARED_BUT_NOT_SENT` lists declared headers Harbor's code never sets (``Location``
on ``createTag``).

**Nulls.** Harbor is written in Go, and Go's JSON encoder writes a nil slice, map or
pointer as ``null``. The description marks only some of these ``x-nullable``. So ``null``
is accepted exactly where Go can produce it: properties marked ``x-nullable`` /
``x-isnullable``, and properties whose type is an array, an object, or a ``$ref`` to a
definition (``"references": null``, ``"tags": null`` on an artifact are real Harbor
answers). A string, integer or boolean property without ``x-nullable`` is a Go value
type and may not be ``null``.

**Strict mode** (for the practice lab, which must not teach anything real Harbor would
not do) adds Harbor's own behaviour from its sources: no property the description does
not declare (``additionalProperties: false`` wherever properties are listed; Harbor's
go-swagger models marshal only declared fields), ``X-Request-Id`` on every answer (its
request-id middleware), error bodies always ``{"errors": [{code, message}, ...]}`` with
both strings, an empty body when the status declares no schema, ``Location`` relative
under ``basePath``, and several ``Link`` entries joined with ``" , "``.

Example:
    >>> description = load_description()  # doctest: +SKIP
    >>> description.operation("GET", "/api/v2.0/projects/demo").operation_id  # doctest: +SKIP
    'getProject'
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import requests
import yaml

from regkit.harbor.urls import link_page, parse_link_header

__all__ = [
    "DEFAULT_PATH",
    "ENV_VAR",
    "HarborDescription",
    "Operation",
    "DECLARED_BUT_NOT_SENT",
    "DESCRIPTION_FIXES",
    "FORMATS",
    "UNDECLARED_BUT_SENT",
    "description_path",
    "load_description",
]

ENV_VAR = "REGKIT_HARBOR_SWAGGER"
DEFAULT_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "harbor" / "swagger-v2.15.2.yaml"

# (operationId, status): why real Harbor sends this status although the description
# does not declare it. Paths are in goharbor/harbor's src/.
UNDECLARED_BUT_SENT: dict[tuple[str, int], str] = {
    ("getProject", 403): "server/v2.0/handler/base.go RequireProjectAccess: a non-admin gets 403 "
                         "for a private or missing project",
    ("getProject", 404): "server/v2.0/handler/project.go GetProject: an admin gets 404 for a "
                         "missing project",
    ("headProject", 401): "the security middleware: HEAD /projects needs a login",
    ("createProject", 403): "handler/project.go CreateProject: 'Only system admin can create "
                            "project' when creation is restricted",
    ("getCurrentUserInfo", 412): "handler/user.go GetCurrentUserInfo: 'get current user not "
                                 "available for security context: robot'",
}
# Where the description contradicts every real Harbor, the correction applied before
# validating, with the evidence. Keyed by definition name.
DESCRIPTION_FIXES: dict[str, tuple[dict[str, Any], str]] = {
    "ExtraAttrs": (
        {"type": "object", "additionalProperties": {}},
        "declared as a map of objects, but Harbor copies the image config's properties into "
        "it as they are: strings (architecture, os, author, created) next to the config "
        "object (controller/artifact/processor/base/manifest.go, AbstractMetadata)",
    ),
}

# (operationId, status, header): declared, but Harbor deliberately never sends it.
DECLARED_BUT_NOT_SENT: dict[tuple[str, int, str], str] = {
    ("createTag", 201, "Location"): "server/v2.0/handler/artifact.go CreateTag: 'as we provide "
                                    "no API for get the single tag, ignore setting the "
                                    "location header here'",
}

# go-swagger validates parameters before any handler and answers 422 UNPROCESSABLE_ENTITY.
VALIDATION_STATUS = 422

# Formats checked here rather than by jsonschema's optional extras, so the check is the
# same on every machine: RFC 3339 times (as go-swagger's strfmt.DateTime writes them, and
# Harbor's zero time 0001-01-01T00:00:00.000Z) and the integer ranges of int32/int64.
FORMATS = jsonschema.FormatChecker(formats=())
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC3339.fullmatch(value))


@FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def description_path() -> Path:
    """Where the description is read from: ``$REGKIT_HARBOR_SWAGGER``, else the shared copy.

    Returns:
        The path (it may not exist).
    """
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else DEFAULT_PATH


@functools.lru_cache(maxsize=4)
def load_description(path: Path | None = None) -> HarborDescription:
    """Read and index the description (cached per path).

    Args:
        path: the YAML file; :func:`description_path` when None.

    Returns:
        The indexed description.

    Raises:
        FileNotFoundError: the file is missing.
    """
    path = path or description_path()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return HarborDescription(yaml.load(handle, Loader=loader))


@dataclass(frozen=True)
class Operation:
    """One operation of the description.

    Attributes:
        method: ``GET``, ``HEAD``...
        template: the path template under ``basePath`` (``/projects/{project_name_or_id}``).
        operation_id: the swagger ``operationId``.
        spec: the operation object as written.
        produces: the media types a success body may have.
    """

    method: str
    template: str
    operation_id: str
    spec: Mapping[str, Any]
    produces: tuple[str, ...]


class HarborDescription:
    """An indexed Swagger 2.0 document that checks HTTP answers against itself.

    Args:
        document: the parsed YAML.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.base_path = str(document.get("basePath", "")).rstrip("/")
        self._default_produces = tuple(document.get("produces") or ("application/json",))
        self._operations: list[tuple[list[str], Operation]] = []
        for template, item in document["paths"].items():
            for method, spec in item.items():
                if method == "parameters":
                    continue
                op = Operation(method.upper(), template, spec.get("operationId", ""), spec,
                               tuple(spec.get("produces") or self._default_produces))
                self._operations.append((template.strip("/").split("/"), op))
        self._schemas: dict[tuple[bool, str], dict[str, Any]] = {}

    # -- finding operations ------------------------------------------------------------

    def operation(self, method: str, path: str) -> Operation:
        """The operation a request went to.

        Args:
            method: the HTTP method.
            path: the request path as sent (percent-encoded, with ``basePath``).

        Returns:
            The operation; when several templates match, the one with most literal segments.

        Raises:
            LookupError: the path is outside ``basePath`` or matches no operation.
        """
        if not path.startswith(self.base_path + "/"):
            raise LookupError(f"{path} is not under {self.base_path}")
        segments = path[len(self.base_path):].strip("/").split("/")
        best: tuple[int, Operation] | None = None
        for template, op in self._operations:
            if op.method != method.upper() or len(template) != len(segments):
                continue
            literal = 0
            for want, got in zip(template, segments):
                if want.startswith("{") and want.endswith("}"):
                    if not got:
                        break
                elif want == got:
                    literal += 1
                else:
                    break
            else:
                if best is None or literal > best[0]:
                    best = (literal, op)
        if best is None:
            raise LookupError(f"no operation for {method} {path}")
        return best[1]

    # -- checking answers --------------------------------------------------------------

    def problems(self, response: requests.Response, *, strict: bool = False) -> list[str]:
        """Every way ``response`` departs from the description (empty when it conforms).

        Args:
            response: an answer, with ``response.request`` set (as ``requests`` does).
            strict: also check Harbor's behaviour beyond the description (module docstring).

        Returns:
            One sentence per problem, each naming the operation.
        """
        request = response.request
        method = (request.method or "GET").upper()
        path = urlsplit(request.url or "").path
        try:
            op = self.operation(method, path)
        except LookupError as err:
            return [str(err)]
        label = f"{op.operation_id} ({method} {path}) -> {response.status_code}"
        declared = self._response_object(op, response.status_code)
        if declared is None:
            return [f"{label}: status {response.status_code} is not declared "
                    f"(declared: {', '.join(sorted(op.spec.get('responses', {})))})"]
        found = self._header_problems(op, declared, response, strict)
        found += self._body_problems(op, declared, response, method, strict)
        return [f"{label}: {p}" for p in found]

    def _response_object(self, op: Operation, status: int) -> dict[str, Any] | None:
        responses = op.spec.get("responses", {})
        found = responses.get(str(status)) or responses.get("default")
        if found is None and ((op.operation_id, status) in UNDECLARED_BUT_SENT
                              or status == VALIDATION_STATUS):
            found = self.document.get("responses", {}).get(str(status))
        if found is None:
            return None
        return self._resolve(found)

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise LookupError(f"external $ref not supported: {ref}")
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        return dict(node) if isinstance(node, Mapping) else node

    def _header_problems(self, op: Operation, declared: Mapping[str, Any],
                         response: requests.Response, strict: bool) -> list[str]:
        found: list[str] = []
        headers = response.headers
        wanted = dict(declared.get("headers") or {})
        if strict:
            wanted.setdefault("X-Request-Id", {"type": "string"})
        for name, spec in wanted.items():
            if name == "Link" or (op.operation_id, response.status_code, name) in DECLARED_BUT_NOT_SENT:
                continue  # Link: present only when there is another page; checked below
            value = headers.get(name)
            if value is None:
                found.append(f"declared header {name} is missing")
            elif spec.get("type") == "integer" and not re.fullmatch(r"\d+", value.strip()):
                found.append(f"header {name} should be an integer, got {value!r}")
        if "Link" in wanted or "Link" in headers:
            found += self._link_problems(response, strict)
        location = headers.get("Location")
        if strict and location is not None and response.status_code == 201:
            if not location.startswith(self.base_path + "/"):
                found.append(f"Location {location!r} should be a path under {self.base_path}")
        return found

    def _link_problems(self, response: requests.Response, strict: bool) -> list[str]:
        found: list[str] = []
        value = response.headers.get("Link")
        links = parse_link_header(value)
        if value is not None:
            if not links:
                found.append(f"Link {value!r} is not in <url>; rel=\"...\" form")
            if strict and len(links) > 1 and '" , <' not in value:
                found.append(f"Link entries should be joined with ' , ' as Harbor does: {value!r}")
            for link in links.values():
                if strict and not link.url.startswith(self.base_path + "/"):
                    found.append(f"Link URL {link.url!r} should be relative, under {self.base_path}")
        total_text = response.headers.get("X-Total-Count", "")
        if not total_text.strip().isdigit():
            return found
        total = int(total_text)
        query = parse_qs(urlsplit(response.request.url or "").query)
        page = int(query.get("page", ["1"])[0])
        size = int(query.get("page_size", ["10"])[0])
        if size <= 0:
            return found
        want_next = page * size < total
        if want_next != ("next" in links):
            found.append(f"with X-Total-Count {total}, page {page}, page_size {size}, a "
                         f"rel=\"next\" link should be {'present' if want_next else 'absent'}")
        if page == 1 and "prev" in links:
            found.append("page 1 has a rel=\"prev\" link")
        if page > 1 and (page - 1) * size < total and "prev" not in links:
            found.append(f"page {page} lacks a rel=\"prev\" link")
        for rel, expected in (("next", page + 1), ("prev", page - 1)):
            if rel in links:
                target = link_page(links[rel])
                if target is None or target[0] != expected or target[1] not in (None, size):
                    found.append(f"rel=\"{rel}\" link {links[rel].url!r} should point to page "
                                 f"{expected} with page_size {size}")
        return found

    def _body_problems(self, op: Operation, declared: Mapping[str, Any],
                       response: requests.Response, method: str, strict: bool) -> list[str]:
        if method == "HEAD":
            return [] if not response.content else ["a HEAD answer has a body"]
        schema = declared.get("schema")
        body = response.content
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        error = response.status_code >= 400
        if schema is None:
            if strict and error:
                schema = {"$ref": "#/definitions/Errors"}
            elif strict and body.strip():
                return [f"no body is declared, but one came: {body[:120]!r}"]
            else:
                return []
        resolved = self._resolve(schema)
        if resolved.get("type") == "file":
            return [] if body else ["the declared file body is empty"]
        found: list[str] = []
        if not error and op.produces and media not in op.produces:
            found.append(f"Content-Type {media!r} is not one the operation produces "
                         f"({', '.join(op.produces)})")
        if strict and error and media != "application/json":
            found.append(f"an error body should be application/json, not {media!r}")
        if media == "application/json" or error:
            try:
                instance = json.loads(body)
            except ValueError:
                return found + [f"the body is not JSON: {body[:120]!r}"]
        elif resolved.get("type") == "string":
            instance = response.text
        else:
            return found + [f"a {media!r} body cannot be checked against a JSON schema"]
        validator = jsonschema.Draft4Validator(self._draft4(schema, strict),
                                               format_checker=FORMATS)
        for failure in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            failure = _innermost(failure)
            where = "/".join(str(p) for p in failure.absolute_path) or "(body)"
            found.append(f"body {where}: {failure.message}")
        if strict and error:
            found += _harbor_error_shape(instance)
        return found

    # -- Swagger 2.0 schema -> Draft 4 -------------------------------------------------

    def _draft4(self, schema: Mapping[str, Any], strict: bool) -> dict[str, Any]:
        key = (strict, json.dumps(schema, sort_keys=True))
        if key not in self._schemas:
            definitions = {name: _convert(DESCRIPTION_FIXES.get(name, (body, ""))[0], strict)
                           for name, body in self.document.get("definitions", {}).items()}
            self._schemas[key] = {**_convert(schema, strict), "definitions": definitions}
        return self._schemas[key]


def _convert(schema: Any, strict: bool) -> Any:
    """Rewrite one Swagger 2.0 schema into Draft 4, with Go's nulls and strict objects."""
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-") or key in ("example", "readOnly", "discriminator", "title",
                                           "description"):
            continue
        if key == "type" and value == "file":
            continue
        if key == "properties":
            out[key] = {name: _nullable(prop, strict) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert(value, strict)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(v, strict) for v in value]
        else:
            out[key] = value
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _nullable(prop: Mapping[str, Any], strict: bool) -> Any:
    converted = _convert(prop, strict)
    go_nil = ("$ref" in prop or prop.get("type") in ("array", "object")
              or prop.get("x-nullable") is True or prop.get("x-isnullable") is True)
    if prop.get("x-nullable") is False or not go_nil:
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


def _innermost(failure: jsonschema.ValidationError) -> jsonschema.ValidationError:
    # An anyOf failure hides the useful message: skip the "null" branch _nullable adds
    # and report the deepest error of what is left.
    while failure.context:
        branches = [e for e in failure.context
                    if not (e.validator == "type" and e.validator_value == "null")]
        if not branches:
            break
        failure = max(branches, key=lambda e: len(e.absolute_path))
    return failure


def _harbor_error_shape(body: Any) -> list[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return ["an error body should be {\"errors\": [{\"code\", \"message\"}, ...]} with at "
                f"least one entry, got {json.dumps(body)[:120]}"]
    return [f"errors[{i}] should have string code and message, got {json.dumps(e)[:120]}"
            for i, e in enumerate(errors)
            if not (isinstance(e, dict) and isinstance(e.get("code"), str)
                    and isinstance(e.get("message"), str))]
