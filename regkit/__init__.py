"""regkit: the helper package behind the "Self-hosting our registry" course.

``import regkit`` is cheap: docker-py, requests and ipywidgets load only when the
part that needs them is first used. The names below are resolved on first access.

Example:
    >>> import regkit
    >>> regkit.parse_reference("busybox").normalized
    'docker.io/library/busybox:latest'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module that defines it; loaded on first attribute access (PEP 562).
_LAZY = {
    "RegkitError": "regkit.errors",
    "ImageReference": "regkit.reference",
    "parse_reference": "regkit.reference",
    "registry_variable": "regkit.reference",
    "RegistrySettings": "regkit.settings",
    "Secret": "regkit.settings",
    "Engine": "regkit.engine",
    "Harbor": "regkit.harbor",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'regkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
