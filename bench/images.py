"""Images with fresh random layers, built offline, so no push ever meets a known layer.

A push that finds a layer already in the registry (or in the Engine's record of what it
pushed there) skips it ("Layer already exists"), which would measure nothing. Every image
made here has new random content, ``FROM scratch``, one ``COPY`` per layer.

Example:
    >>> with fresh_image(engine, "127.0.0.1:5000/bench/push", layers=3, size=1 << 20) as ref:  # doctest: +SKIP
    ...     engine.push(ref)
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from regkit.engine import Engine

__all__ = ["fresh_image"]

_counter = 0


@contextmanager
def fresh_image(engine: Engine, name: str, *, layers: int, size: int) -> Iterator[str]:
    """Build an image of ``layers`` new random layers of ``size`` bytes, then remove it.

    Args:
        engine: where to build.
        name: the repository to name it (``host:port/project/name``); a unique tag is added.
        layers: how many layers.
        size: bytes of random content per layer.

    Yields:
        ``name:tag`` of the image, present on the Engine until the block ends.
    """
    global _counter
    _counter += 1
    tag = f"r{os.getpid()}-{_counter}"
    reference = f"{name}:{tag}"
    with tempfile.TemporaryDirectory(prefix="rk-bench-image-") as context:
        root = Path(context)
        lines = ["FROM scratch"]
        for index in range(layers):
            (root / f"layer{index}").write_bytes(os.urandom(size))
            lines.append(f"COPY layer{index} /layer{index}")
        (root / "Dockerfile").write_text("\n".join(lines) + "\n")
        engine.build(root, reference)
    try:
        yield reference
    finally:
        engine.client.remove_image(reference, force=True)
