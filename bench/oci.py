"""Many small repositories, made fast: tiny image manifests pushed over the OCI API.

``docker push`` three hundred times would take minutes; an image needs only a config blob
and a manifest. The config is uploaded once, mounted into every other repository
(``POST .../blobs/uploads/?mount=&from=``, one request), and each repository gets one
manifest ``PUT`` whose annotation names the repository, so the artifacts differ. All of
it goes through the lab's ``/v2/`` front, so the lab records each push as Harbor would.

Example:
    >>> populate(lab_settings, "bench", 300)  # doctest: +SKIP
    ['bench/r000', ...]
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from regkit.settings import RegistrySettings

__all__ = ["populate"]

_CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
_WORKERS = 4
_TIMEOUT = 30


def _config() -> bytes:
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "config": {"Cmd": ["sh"]}, "rootfs": {"type": "layers", "diff_ids": []}}
    return json.dumps(config, sort_keys=True).encode()


def _manifest(config: bytes, repository: str) -> bytes:
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": _MANIFEST_TYPE,
        "config": {"mediaType": _CONFIG_TYPE, "size": len(config),
                   "digest": "sha256:" + hashlib.sha256(config).hexdigest()},
        "layers": [],
        "annotations": {"org.opencontainers.image.title": repository},
    }, sort_keys=True).encode()


def _check(response: requests.Response, expected: int, what: str) -> None:
    if response.status_code != expected:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:300]}")


def populate(settings: RegistrySettings, project: str, count: int) -> list[str]:
    """Create ``project`` (if needed) with ``count`` repositories of one tagged image each.

    Args:
        settings: the lab (or Harbor) with an account that may create projects and push.
        project: the project to fill.
        count: how many repositories (``r000`` ...).

    Returns:
        The repository names, ``project/rNNN``.

    Raises:
        RuntimeError: the registry refused an upload.
    """
    from regkit.harbor import Harbor

    Harbor(settings).create_project(project, exist_ok=True)
    base = settings.base_url
    auth = (settings.username or "", settings.password.reveal() if settings.password else "")
    config = _config()
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    names = [f"{project}/r{index:03d}" for index in range(count)]
    if not names:
        return names
    with requests.Session() as session:
        session.auth = auth
        first = names[0]
        started = session.post(f"{base}/v2/{first}/blobs/uploads/", timeout=_TIMEOUT)
        _check(started, 202, "start the config upload")
        location = requests.compat.urljoin(base + "/", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        done = session.put(f"{location}{separator}digest={digest}", data=config,
                           headers={"Content-Type": "application/octet-stream"},
                           timeout=_TIMEOUT)
        _check(done, 201, "finish the config upload")

    def fill(chunk: list[str]) -> None:
        with requests.Session() as session:
            session.auth = auth
            for name in chunk:
                if name != first:
                    mounted = session.post(f"{base}/v2/{name}/blobs/uploads/",
                                           params={"mount": digest, "from": first},
                                           timeout=_TIMEOUT)
                    _check(mounted, 201, f"mount the config into {name}")
                put = session.put(f"{base}/v2/{name}/manifests/v1", data=_manifest(config, name),
                                  headers={"Content-Type": _MANIFEST_TYPE}, timeout=_TIMEOUT)
                _check(put, 201, f"push the manifest of {name}")

    chunks = [names[index::_WORKERS] for index in range(_WORKERS)]
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for future in [pool.submit(fill, chunk) for chunk in chunks if chunk]:
            future.result()
    return names
