"""A small registry client for the lab tests: push and pull over the OCI distribution API.

It speaks to the lab exactly as Docker does (challenge, token from ``/service/token``,
upload, manifest), so tests that only need an image in the lab need no Docker Engine.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import requests

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def token(url: str, scope: str | None, auth: tuple[str, str] | None) -> requests.Response:
    """Ask the lab's token service for ``scope`` (None: no scope, as docker login does)."""
    params = {"service": "harbor-registry"}
    if scope:
        params["scope"] = scope
    return requests.get(f"{url}/service/token", params=params, auth=auth, timeout=30)


@dataclass
class Pushed:
    """What :func:`push_image` pushed."""

    digest: str
    manifest: bytes
    config_digest: str
    size: int


class RegistryClient:
    """A session on the lab's ``/v2/`` with a bearer token for one repository."""

    def __init__(self, url: str, repository: str, auth: tuple[str, str] | None,
                 actions: str = "pull,push") -> None:
        self.url = url
        self.repository = repository
        reply = token(url, f"repository:{repository}:{actions}", auth)
        reply.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + reply.json()["token"]

    def put_blob(self, data: bytes) -> str:
        """Upload one blob (monolithic PUT after POST); return its digest."""
        digest = _digest(data)
        start = self.session.post(f"{self.url}/v2/{self.repository}/blobs/uploads/", timeout=30)
        if start.status_code != 202:
            raise AssertionError(f"upload refused: {start.status_code} {start.text}")
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        separator = "&" if "?" in location else "?"
        done = self.session.put(f"{location}{separator}digest={digest}", data=data,
                                headers={"Content-Type": "application/octet-stream"},
                                timeout=60)
        if done.status_code != 201:
            raise AssertionError(f"blob PUT failed: {done.status_code} {done.text}")
        return digest

    def put_manifest(self, reference: str, manifest: bytes,
                     media_type: str = DOCKER_MANIFEST) -> requests.Response:
        """PUT a manifest under a tag or digest."""
        return self.session.put(f"{self.url}/v2/{self.repository}/manifests/{reference}",
                                data=manifest, headers={"Content-Type": media_type}, timeout=30)

    def get_manifest(self, reference: str, method: str = "GET") -> requests.Response:
        """GET (a pull, counted) or HEAD a manifest."""
        return self.session.request(
            method, f"{self.url}/v2/{self.repository}/manifests/{reference}",
            headers={"Accept": DOCKER_MANIFEST}, timeout=30)


def push_image(url: str, repository: str, tag: str, auth: tuple[str, str] | None,
               content: bytes = b"hello from regkit") -> Pushed:
    """Push a one-layer image (config + layer + manifest) under ``tag``.

    Args:
        url: the lab's base URL.
        repository: ``project/name``.
        tag: the tag to push.
        auth: basic credentials for the token service.
        content: the layer's bytes (distinct content gives a distinct image).

    Returns:
        The manifest digest and bytes.
    """
    client = RegistryClient(url, repository, auth)
    layer_digest = client.put_blob(content)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "author": "regkit tests", "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "regkit tests"}],
    }).encode()
    config_digest = client.put_blob(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": LAYER, "digest": layer_digest, "size": len(content)}],
    }).encode()
    reply = client.put_manifest(tag, manifest)
    if reply.status_code != 201:
        raise AssertionError(f"manifest PUT failed: {reply.status_code} {reply.text}")
    return Pushed(digest=reply.headers["Docker-Content-Digest"], manifest=manifest,
                  config_digest=config_digest, size=len(manifest) + len(config) + len(content))
