"""From a pushed manifest to the artifact record Harbor shows.

When a manifest is pushed, Harbor reads it (and, for an image, its config blob) to know
the artifact's type, media types, total size and a few image attributes (``extra_attrs``:
architecture, os, created, author, config). The lab does the same with these pure
functions, so they can be tested without a registry.

Example:
    >>> body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\\
    ...     b'"config":{"mediaType":"application/vnd.oci.image.config.v1+json",'\\
    ...     b'"digest":"sha256:aa","size":10},"layers":[{"digest":"sha256:bb","size":90}]}'
    >>> info = read_manifest(body, "")
    >>> info.config_digest, info.payload_size
    ('sha256:aa', 100)
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple, Sequence

__all__ = [
    "INDEX_TYPES",
    "MANIFEST_ACCEPT",
    "ManifestError",
    "ManifestInfo",
    "artifact_fields",
    "read_manifest",
]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
IMAGE_MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
MANIFEST_ACCEPT = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

# Config (or artifactType) media types -> Harbor's artifact type.
_TYPES = {
    "application/vnd.docker.container.image.v1+json": "IMAGE",
    "application/vnd.oci.image.config.v1+json": "IMAGE",
    "application/vnd.cncf.helm.config.v1+json": "CHART",
    "application/vnd.cnab.manifest.v1": "CNAB",
    "application/vnd.wasm.config.v1+json": "WASM",
    "application/vnd.module.wasm.config.v1+json": "WASM",
    "application/vnd.goharbor.harbor.sbom.v1": "SBOM",
    "application/vnd.cncf.model.config.v1+json": "CNAI",
}
# The image config fields Harbor copies into extra_attrs.
_IMAGE_ATTRS = ("architecture", "os", "created", "author", "config")


class ManifestError(ValueError):
    """The body is not a manifest the lab can read (not JSON, or not an object)."""


class ManifestInfo(NamedTuple):
    """What a manifest says about itself.

    Attributes:
        media_type: the manifest's media type (its ``mediaType``, else the Content-Type).
        config_digest: the config blob's digest (image manifests), else None.
        config_media_type: the config blob's media type, else ``""``.
        payload_size: the config plus layer sizes (manifests) or children sizes (indexes).
        artifact_type: the OCI ``artifactType``, if any.
        annotations: the manifest's annotations.
        children: for an index, ``[{"digest", "platform", "annotations", "urls"}]``.

    Example:
        >>> read_manifest(b'{"layers": [{"size": 3}]}', "").payload_size
        3
    """

    media_type: str
    config_digest: str | None
    config_media_type: str
    payload_size: int
    artifact_type: str = ""
    annotations: Mapping[str, str] = MappingProxyType({})
    children: Sequence[Mapping[str, Any]] = ()

    @property
    def is_index(self) -> bool:
        """True for an image index or manifest list."""
        return self.media_type in INDEX_TYPES


def _size(descriptor: Any) -> int:
    if isinstance(descriptor, dict):
        try:
            return int(descriptor.get("size") or 0)
        except (TypeError, ValueError):
            return 0
    return 0


def read_manifest(body: bytes, content_type: str) -> ManifestInfo:
    """Read a manifest's own description of itself.

    Args:
        body: the manifest bytes as pushed.
        content_type: the ``Content-Type`` it was pushed with (used when the body has no
            ``mediaType``, as OCI allows).

    Returns:
        What the lab needs to record the artifact.

    Raises:
        ManifestError: the body is not a JSON object.

    Example:
        >>> read_manifest(b'{"manifests": []}', "").is_index
        True
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise ManifestError(f"manifest is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise ManifestError("manifest is not a JSON object")
    media_type = str(data.get("mediaType") or content_type.split(";")[0].strip())
    if not media_type:
        media_type = OCI_INDEX if "manifests" in data else OCI_MANIFEST
    annotations = {str(k): str(v) for k, v in (data.get("annotations") or {}).items()}
    artifact_type = str(data.get("artifactType") or "")
    if media_type in INDEX_TYPES or "manifests" in data:
        children = []
        for child in data.get("manifests") or []:
            if not isinstance(child, dict) or "digest" not in child:
                continue
            children.append({
                "digest": str(child["digest"]),
                "platform": child.get("platform") or {},
                "annotations": child.get("annotations") or {},
                "urls": child.get("urls") or [],
                "size": _size(child),
            })
        return ManifestInfo(
            media_type=media_type, config_digest=None, config_media_type="",
            payload_size=sum(c["size"] for c in children), artifact_type=artifact_type,
            annotations=annotations, children=children)
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    layers = data.get("layers") if isinstance(data.get("layers"), list) else []
    return ManifestInfo(
        media_type=media_type,
        config_digest=str(config["digest"]) if config.get("digest") else None,
        config_media_type=str(config.get("mediaType") or ""),
        payload_size=_size(config) + sum(_size(layer) for layer in layers),
        artifact_type=artifact_type, annotations=annotations)


def artifact_fields(info: ManifestInfo, manifest_size: int,
                    config: dict[str, Any] | None) -> dict[str, Any]:
    """The artifact record Harbor keeps for a manifest.

    Args:
        info: from :func:`read_manifest`.
        manifest_size: the manifest's length in bytes.
        config: the decoded config blob for an image, or None.

    Returns:
        ``kind`` (IMAGE, CHART, ..., UNKNOWN), ``media_type`` (the config's media type, or
        the manifest's for an index), ``manifest_media_type``, ``artifact_type``, ``size``
        (manifest + config + layers), ``extra_attrs``, ``annotations`` and ``references``
        (an index's children with their platforms).

    Example:
        >>> info = read_manifest(b'{"config": {"mediaType": '
        ...     b'"application/vnd.oci.image.config.v1+json", "size": 5}}', "")
        >>> artifact_fields(info, 40, {"os": "linux"})["kind"]
        'IMAGE'
    """
    if info.is_index:
        kind = _TYPES.get(info.artifact_type, "IMAGE")
        media_type = info.media_type
    else:
        kind = _TYPES.get(info.artifact_type or info.config_media_type, "UNKNOWN")
        media_type = info.config_media_type or info.media_type
    extra: dict[str, Any] = {}
    if kind == "IMAGE" and config is not None:
        extra = {key: config.get(key, "" if key != "config" else {}) for key in _IMAGE_ATTRS}
        if not isinstance(extra["config"], dict):
            extra["config"] = {}
    references = []
    for child in info.children:
        reference: dict[str, Any] = {"child_digest": child["digest"]}
        platform = child["platform"]
        if isinstance(platform, dict) and platform:
            reference["platform"] = {k: v for k, v in platform.items()
                                     if k in ("architecture", "os", "variant", "os.version",
                                              "os.features")}
        if child["annotations"]:
            reference["annotations"] = {str(k): str(v) for k, v in child["annotations"].items()}
        if child["urls"]:
            reference["urls"] = [str(u) for u in child["urls"]]
        references.append(reference)
    return {
        "kind": kind,
        "media_type": media_type,
        "manifest_media_type": info.media_type,
        "artifact_type": info.artifact_type,
        "size": manifest_size + info.payload_size,
        "extra_attrs": extra,
        "annotations": dict(info.annotations),
        "references": references,
    }
