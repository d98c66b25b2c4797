"""What the course made on a registry, written down so ``regkit course reset`` undoes just that.

Every course function that pushes or creates something (:func:`regkit.course.push`,
``ensure_pushed``, ``build_and_push_stack``, ``ensure_stack``, ``create_robot``,
``create_project``) appends one line per thing it made to the *course record*, a JSON
Lines file:

.. code-block:: json

    {"kind": "tag", "registry": "http://127.0.0.1:8080", "project": "library",
     "repository": "busybox", "tag": "latest", "digest": "sha256:...", "time": "..."}

Kinds: ``tag`` (an image pushed under a tag: the digest says which image), ``repository``
(the push created the repository), ``robot`` (its id and name), ``project`` (its id). No
secret is ever written: no password, no robot secret, no token.

The file is ``$REGKIT_COURSE_RECORD``, else ``~/.local/share/regkit/course-record.jsonl``
(next to the practice lab's data). Writes take an exclusive ``flock``, so two kernels
recording at once do not interleave lines. A record that cannot be written never stops a
lesson: the failure is logged (``regkit.course`` logger) and the lesson goes on; ``reset``
will then not know about that one push.

Example:
    >>> import tempfile, os
    >>> record = CourseRecord(os.path.join(tempfile.mkdtemp(), "record.jsonl"))
    >>> record.add(Made("tag", "http://127.0.0.1:8080", "library", repository="busybox",
    ...                 tag="latest", digest="sha256:" + "a" * 64))
    >>> [m.describe() for m in record.entries()]
    ['library/busybox:latest@sha256:aaaaaaaaaaaa']
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "RECORD_ENV", "CourseRecord", "Made", "forget", "note", "record_path"]

RECORD_ENV = "REGKIT_COURSE_RECORD"
KINDS = ("tag", "repository", "robot", "project")

log = logging.getLogger("regkit.course")


def record_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the course record lives.

    Args:
        environ: the variables to read; ``os.environ`` when None.

    Returns:
        ``$REGKIT_COURSE_RECORD`` when set, else ``~/.local/share/regkit/course-record.jsonl``.

    Example:
        >>> str(record_path({"REGKIT_COURSE_RECORD": "/tmp/r.jsonl"}))
        '/tmp/r.jsonl'
    """
    env = os.environ if environ is None else environ
    configured = env.get(RECORD_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".local" / "share" / "regkit" / "course-record.jsonl"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Made:
    """One thing the course made on a registry.

    Attributes:
        kind: ``tag``, ``repository``, ``robot`` or ``project``.
        registry: the registry's base URL (``http://127.0.0.1:8080``), as the settings
            name it; reset only touches entries of the registry it is pointed at.
        project: the Harbor project.
        repository: the repository inside the project (``tag`` and ``repository``).
        tag: the tag pushed (``tag``).
        digest: the manifest digest the tag named when the course pushed it (``tag``).
        robot_id: Harbor's id of the robot (``robot``).
        robot_name: its full name, ``robot$project+name`` (``robot``).
        project_id: Harbor's id of the project (``project``).
        time: when it was made (UTC, ISO 8601); not part of :meth:`key`.

    Raises:
        ValueError: an unknown ``kind``.

    Example:
        >>> Made("robot", "http://h", "library", robot_id=3, robot_name="robot$library+ci").describe()
        'robot$library+ci (id 3)'
    """

    kind: str
    registry: str
    project: str
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None
    robot_id: int | None = None
    robot_name: str | None = None
    project_id: int | None = None
    time: str = field(default_factory=_now, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}: one of {', '.join(KINDS)}")
        object.__setattr__(self, "registry", self.registry.rstrip("/"))

    def key(self) -> tuple[Any, ...]:
        """What identifies the entry (everything but the time): equal keys are one thing."""
        return (self.kind, self.registry, self.project, self.repository, self.tag,
                self.digest, self.robot_id, self.robot_name, self.project_id)

    def describe(self) -> str:
        """The thing as a person names it: ``library/busybox:latest@sha256:0123456789ab``."""
        if self.kind == "tag":
            short = (self.digest or "")[:19]
            return f"{self.project}/{self.repository}:{self.tag}@{short}"
        if self.kind == "repository":
            return f"{self.project}/{self.repository}"
        if self.kind == "robot":
            return f"{self.robot_name} (id {self.robot_id})"
        return f"project {self.project}"

    def to_json(self) -> str:
        """One JSON line, leaving out empty fields."""
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None},
                          sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Made:
        """Read one line written by :meth:`to_json`.

        Raises:
            ValueError: not JSON, or not an entry (unknown kind, missing field).
        """
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        try:
            return cls(**known)
        except TypeError as err:
            raise ValueError(str(err)) from None


class CourseRecord:
    """The record file: append entries, read them back, forget the settled ones.

    Args:
        path: the file; :func:`record_path` when None.

    Edge cases:
        A missing file reads as empty. A line that is not an entry (a hand edit, a
        truncated write) is skipped with a warning in the log, and kept by :meth:`forget`
        so nothing is lost silently. Duplicate entries (the same push made twice) read once.

    Example:
        >>> CourseRecord("/nonexistent/record.jsonl").entries()
        []
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else record_path()

    def __repr__(self) -> str:
        return f"CourseRecord({str(self.path)!r})"

    @contextlib.contextmanager
    def _locked(self, mode: str) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, mode, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, *made: Made) -> None:
        """Append entries (one line each), leaving out those the file already holds.

        A lesson run again pushes the same image again: the record keeps one line for it.

        Args:
            *made: what was made.

        Raises:
            OSError: the file cannot be written (course functions catch it: see
                :func:`note`).
        """
        if not made:
            return
        with self._locked("a+") as handle:
            handle.seek(0)
            known = set()
            for line in handle.read().splitlines():
                try:
                    known.add(Made.from_json(line).key())
                except ValueError:
                    continue
            new = [m for m in dict.fromkeys(made) if m.key() not in known]
            handle.write("".join(m.to_json() + "\n" for m in new))
            handle.flush()

    def _lines(self) -> list[str]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return handle.read().splitlines()
        except FileNotFoundError:
            return []

    def entries(self) -> list[Made]:
        """Every entry, once each, in the order first written.

        Returns:
            The entries.
        """
        seen: dict[tuple[Any, ...], Made] = {}
        for number, line in enumerate(self._lines(), 1):
            if not line.strip():
                continue
            try:
                made = Made.from_json(line)
            except ValueError as err:
                log.warning("%s line %d is not a course record entry (%s): skipped",
                            self.path, number, err)
                continue
            seen.setdefault(made.key(), made)
        return list(seen.values())

    def forget(self, which: Callable[[Made], bool] | Iterable[Made]) -> int:
        """Remove entries from the file, rewritten in place under the lock.

        In place rather than through a new file, so that writers waiting for the lock
        append to the file that stays.

        Args:
            which: a test each entry is given (True removes it), or the entries to remove
                (compared by :meth:`Made.key`).

        Returns:
            How many lines were removed.
        """
        if not callable(which):
            keys = {m.key() for m in which}

            def which(made: Made) -> bool:
                return made.key() in keys

        if not self.path.exists():
            return 0
        with self._locked("r+") as handle:
            kept, removed = [], 0
            for line in handle.read().splitlines():
                try:
                    drop = bool(line.strip()) and which(Made.from_json(line))
                except ValueError:
                    drop = False
                if drop:
                    removed += 1
                elif line.strip():
                    kept.append(line)
            if removed:
                handle.seek(0)
                handle.write("".join(line + "\n" for line in kept))
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
        return removed


def note(*made: Made, record: CourseRecord | None = None) -> None:
    """Append to the course record, never failing: a lesson goes on if the file cannot be written.

    Args:
        *made: what was made.
        record: the record; the default one (:func:`record_path`) when None.

    Example:
        >>> note()  # nothing to write, nothing written
    """
    if not made:
        return
    target = record or CourseRecord()
    try:
        target.add(*made)
    except OSError as err:
        log.warning("could not write the course record %s (%s): `regkit course reset` will "
                    "not know about %s", target.path, err, ", ".join(m.describe() for m in made))


def forget(which: Callable[[Made], bool], *, record: CourseRecord | None = None) -> None:
    """Remove entries from the course record, never failing (see :func:`note`).

    Args:
        which: True for the entries to remove.
        record: the record; the default one when None.

    Example:
        >>> forget(lambda made: False)
    """
    target = record or CourseRecord()
    try:
        target.forget(which)
    except OSError as err:
        log.warning("could not update the course record %s (%s)", target.path, err)
