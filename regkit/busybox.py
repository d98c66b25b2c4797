"""A busybox image for the course, even where Docker Hub cannot be reached.

The slides push ``busybox``; behind a firewall (or in CI) it cannot be pulled. This module
builds the same kind of image offline from the host's static busybox binary
(Debian: ``busybox-static``), ``FROM scratch``, and labels it so ``docker inspect`` shows
it was built here.

Example:
    >>> from regkit.engine import Engine
    >>> ensure_busybox(Engine())  # doctest: +SKIP
    'sha256:62dc4511...'
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from regkit.errors import BuildError, RegkitError

if TYPE_CHECKING:
    from regkit.engine import Engine

__all__ = ["ensure_busybox", "find_static_busybox", "is_static_elf", "OFFLINE_LABEL"]

OFFLINE_LABEL = "io.regkit.built-offline"
_CANDIDATES = ("/usr/bin/busybox", "/bin/busybox")
_INSTALL_HINT = "install a static busybox: `sudo apt-get install busybox-static` (Debian/Ubuntu)"
_PT_INTERP = 3
_DOCKERFILE = """\
# Built offline by regkit from the host's static busybox binary ({source}).
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL {label}="true" \\
      io.regkit.busybox-version={version} \\
      org.opencontainers.image.title="busybox" \\
      org.opencontainers.image.description="busybox built offline by regkit (FROM scratch)"
CMD ["sh"]
"""


def is_static_elf(path: str | os.PathLike[str]) -> bool:
    """Whether a file is an ELF executable that needs no dynamic loader.

    A dynamically linked program has a ``PT_INTERP`` program header naming its loader
    (``/lib64/ld-linux-x86-64.so.2``); ``FROM scratch`` has no loader, so only a binary
    without one can run there.

    Args:
        path: the file to inspect.

    Returns:
        True for an ELF file without ``PT_INTERP``; False for a dynamic ELF, a script,
        or anything unreadable.

    Example:
        >>> is_static_elf("/usr/bin/busybox")  # doctest: +SKIP
        True
    """
    try:
        with open(path, "rb") as handle:
            ident = handle.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return False
            is64 = ident[4] == 2
            order = "<" if ident[5] == 1 else ">"
            if is64:
                header = handle.read(48)
                phoff, = struct.unpack_from(order + "Q", header, 16)
                phentsize, phnum = struct.unpack_from(order + "HH", header, 38)
            else:
                header = handle.read(36)
                phoff, = struct.unpack_from(order + "I", header, 12)
                phentsize, phnum = struct.unpack_from(order + "HH", header, 26)
            for index in range(phnum):
                handle.seek(phoff + index * phentsize)
                (p_type,) = struct.unpack(order + "I", handle.read(4))
                if p_type == _PT_INTERP:
                    return False
            return True
    except (OSError, struct.error):
        return False


def find_static_busybox(binary: str | os.PathLike[str] | None = None) -> Path:
    """Find a busybox binary that can run in a ``FROM scratch`` image.

    Args:
        binary: a path to use instead of searching ``/usr/bin/busybox``, ``/bin/busybox``
            and ``busybox`` on PATH.

    Returns:
        The binary's path.

    Raises:
        BuildError: none found, or the one found is dynamically linked (Debian's
            ``busybox`` package; ``busybox-static`` is the one that works).

    Example:
        >>> find_static_busybox()  # doctest: +SKIP
        PosixPath('/usr/bin/busybox')
    """
    if binary is not None:
        candidates = [Path(binary)]
    else:
        on_path = shutil.which("busybox")
        candidates = [Path(p) for p in (*_CANDIDATES, on_path) if p]
    found = [path for path in candidates if path.is_file()]
    if not found:
        raise BuildError(
            "no busybox binary to build the busybox image from "
            f"(looked at {', '.join(str(p) for p in candidates) or 'PATH'})",
            operation="docker build -t busybox:latest <offline context>",
            hint=_INSTALL_HINT,
        )
    for path in found:
        if is_static_elf(path):
            return path
    raise BuildError(
        f"{found[0]} is dynamically linked, so it cannot run in an image built FROM scratch",
        operation="docker build -t busybox:latest <offline context>",
        hint=_INSTALL_HINT + "; it replaces the dynamic `busybox` package",
    )


def _version(binary: Path) -> str:
    """``1.35.0`` from busybox's banner, or ``unknown``."""
    try:
        banner = subprocess.run(
            [str(binary)], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    words = banner.split()
    for word in words:
        if word.startswith("v") and word[1:2].isdigit():
            return word[1:]
    return "unknown"


def ensure_busybox(
    engine: Engine,
    tag: str = "busybox:latest",
    *,
    binary: str | os.PathLike[str] | None = None,
) -> str:
    """Make sure ``tag`` names a busybox image on the Engine.

    In order: the image is already there (done); else pull it (offline, the Engine fails
    at once on Docker Hub's name); else build it offline from a static busybox binary
    in a temporary context, labelled ``io.regkit.built-offline=true``.

    Args:
        engine: the Engine to use.
        tag: the image name to ensure.
        binary: the static busybox to copy in (default: searched, see
            :func:`find_static_busybox`).

    Returns:
        The image id (``sha256:...``).

    Raises:
        BuildError: the pull failed and no static busybox binary is available, or the
            build failed (``log`` holds the build output).
        EngineUnavailable: no Engine answers.

    Example:
        >>> ensure_busybox(Engine())  # doctest: +SKIP
        'sha256:62dc4511...'
    """
    image_id = engine.image_id(tag)
    if image_id:
        return image_id
    try:
        engine.pull(tag)
    except RegkitError:
        pass  # expected offline; the build below is the fallback
    else:
        image_id = engine.image_id(tag)
        if image_id:
            return image_id
    source = find_static_busybox(binary)
    with tempfile.TemporaryDirectory(prefix="regkit-busybox-") as context:
        shutil.copy2(source, Path(context) / "busybox")
        (Path(context) / "Dockerfile").write_text(
            _DOCKERFILE.format(source=source, label=OFFLINE_LABEL, version=_version(source))
        )
        return engine.build(context, tag).image_id
