"""The tag policy: why ``latest`` is a trap, tags derived from git, and rolling back.

The slide "Avoiding the ``latest`` tag" makes three points this module turns into code:

* when ``TAG`` is not set, ``${TAG-latest}`` quietly tags every image ``latest``, and
  nobody can tell later which code that was: :func:`check_tag` warns;
* a tag should name the code: a release tag, or the branch and commit: :func:`tag_from_git`;
* with meaningful tags, rolling back is re-pointing a moving name at a known-good image:
  :func:`rollback`.

Everything except :func:`rollback` (which drives the Engine) is pure standard library.

Example:
    >>> [w.code for w in check_tag("latest")]
    ['latest']
    >>> check_tag("v0.1")
    []
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from regkit.docker_cli import pull_command, push_command, tag_command
from regkit.errors import InvalidReference, NotFoundError, RegkitError, SettingsError
from regkit.reference import parse_reference, validate_tag

if TYPE_CHECKING:
    from regkit.engine import Engine
    from regkit.settings import RegistrySettings

__all__ = ["TagWarning", "RollbackResult", "check_tag", "tag_from_git", "sanitize_tag",
           "rollback"]

TAG_MAX = 128

LATEST_TRAP = (
    "'latest' is just the default name, not the newest build: nobody can tell which code it "
    "holds (the last commit? of which branch? the last release? whatever a teammate pushed "
    "last?), and when every push overwrites it there is no earlier tag to roll back to"
)
ADVICE = (
    "tag each build with something that names the code: a release (export TAG=v0.1), or the "
    "branch and commit (export TAG=$(git rev-parse --abbrev-ref HEAD)-$(git rev-parse --short "
    "HEAD)); regkit.tags.tag_from_git() computes it"
)

# Names that, like latest, move from one build to the next.
_MOVING = frozenset({
    "stable", "edge", "nightly", "dev", "develop", "main", "master", "trunk", "head", "tip",
    "current", "prod", "production", "staging", "test", "testing", "new", "final", "release",
    "beta", "alpha", "canary", "next", "snapshot", "unstable",
})
# An optional word in front (release-1.4, app_v2.0), then a version with optional suffix.
_VERSION = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*[-_])?v?\d+(?:\.\d+)*"
                      r"(?:[-_.][0-9A-Za-z][0-9A-Za-z._-]*)?", re.I)
_COMMIT = re.compile(r"[0-9a-f]{7,40}")
_BRANCH_COMMIT = re.compile(r".+-[0-9a-f]{7,40}(?:-dirty)?")
_DATE = re.compile(r"(?:19|20)\d{6}(?:[-_.T]?\d{4,6})?(?:[-_.].*)?")
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class TagWarning:
    """One problem with a tag, with the reason and what to do instead.

    Attributes:
        code: ``unset``, ``empty``, ``latest``, ``moving``, ``vague``, ``dirty`` or ``invalid``.
        message: what is wrong and why it matters.
        advice: what to use instead.

    Example:
        >>> print(TagWarning("latest", "TAG is 'latest'", "use v0.1"))
        TAG is 'latest'. Instead: use v0.1
    """

    code: str
    message: str
    advice: str

    def __str__(self) -> str:
        return f"{self.message}. Instead: {self.advice}"


def check_tag(tag: str | None, *, environ: Mapping[str, str] | None = None) -> list[TagWarning]:
    """Warn about a tag that will not tell anyone which code an image holds.

    Warnings, by ``code``:

    * ``unset``: ``tag`` is None and ``TAG`` is not in ``environ``: the compose file's
      ``${TAG-latest}`` gives every image ``latest``.
    * ``empty``: ``TAG`` is set but empty: ``${TAG-latest}`` keeps the empty value (``-`` only
      replaces an *unset* variable), so image names end in ``:`` and are refused.
    * ``latest``: the tag is ``latest`` (any case).
    * ``moving``: a name that moves like ``latest`` does (``stable``, ``dev``, ``prod``...).
    * ``vague``: valid, but names no version, commit, branch+commit or date (``mytag``).
    * ``dirty``: ends in ``-dirty``: built from uncommitted changes, fine for trying things,
      not for something others will run.
    * ``invalid``: breaks the tag grammar ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``.

    Meaningful (no warning): versions (``v0.1``, ``1.2.3-rc1``), commit hashes (7-40 hex),
    ``<branch>-<hash>`` (what :func:`tag_from_git` makes), dates (``20240501``).

    Args:
        tag: the tag to check; None means "use ``TAG`` from ``environ``", as the compose file
            does.
        environ: where ``TAG`` is read when ``tag`` is None; ``os.environ`` when None.

    Returns:
        The warnings, empty when the tag is fine.

    Example:
        >>> [w.code for w in check_tag(None, environ={})]
        ['unset']
        >>> check_tag(None, environ={"TAG": "main-1a2b3c4"})
        []
    """
    if tag is None:
        env = os.environ if environ is None else environ
        if "TAG" not in env:
            return [TagWarning("unset", "TAG is not set, so ${TAG-latest} in the compose file "
                                        f"tags every image 'latest'; {LATEST_TRAP}", ADVICE)]
        tag = env["TAG"]
        if tag == "":
            return [TagWarning("empty", "TAG is set but empty: ${TAG-latest} keeps the empty "
                                        "value ('-' only replaces an unset variable), so image "
                                        "names end in ':' and Docker refuses them", ADVICE)]
    try:
        validate_tag(tag)
    except RegkitError as err:
        return [TagWarning("invalid", err.message, (err.hint or "") + "; " + ADVICE)]
    lowered = tag.lower()
    if lowered == "latest":
        return [TagWarning("latest", f"the tag is 'latest': {LATEST_TRAP}", ADVICE)]
    if lowered in _MOVING:
        return [TagWarning("moving", f"{tag!r} moves from one build to the next, like 'latest' "
                                     "does: once pushed again, the previous image behind it is "
                                     "gone from that name and cannot be rolled back to", ADVICE)]
    warnings = []
    if lowered.endswith("-dirty"):
        warnings.append(TagWarning("dirty", f"{tag!r} marks a build from uncommitted changes: "
                                            "nobody can rebuild it from the repository",
                                   "commit, then tag again (tag_from_git drops -dirty on a "
                                   "clean tree)"))
    if not (_VERSION.fullmatch(tag) or _COMMIT.fullmatch(tag) or _BRANCH_COMMIT.fullmatch(tag)
            or _DATE.fullmatch(tag)):
        warnings.append(TagWarning("vague", f"{tag!r} names no version, commit, branch+commit "
                                            "or date, so it will not tell which code the image "
                                            "holds", ADVICE))
    return warnings


def sanitize_tag(text: str, *, suffix: str = "") -> str:
    """Turn a git ref name into a valid image tag, keeping ``suffix`` whole at the end.

    Characters outside ``[A-Za-z0-9_.-]`` become ``-`` (``feature/login`` ->
    ``feature-login``, ``v1.0+build`` -> ``v1.0-build``); leading ``.``/``-`` are dropped;
    the result is cut so that it plus ``suffix`` fit in 128 characters.

    Args:
        text: a branch or tag name.
        suffix: appended unchanged (``-1a2b3c4``, ``-dirty``); it must itself be valid tag
            characters.

    Returns:
        A tag matching ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``.

    Raises:
        SettingsError: nothing usable is left and there is no suffix to stand alone.

    Example:
        >>> sanitize_tag("feature/Login", suffix="-1a2b3c4")
        'feature-Login-1a2b3c4'
    """
    body = _TAG_CHARS.sub("-", text).lstrip(".-")
    body = body[: max(0, TAG_MAX - len(suffix))].rstrip(".-")
    tag = f"{body}{suffix}" if body else suffix.lstrip(".-")
    if not tag:
        raise SettingsError(f"cannot make a tag from {text!r}: no letters or digits in it",
                            hint="pass a tag explicitly, e.g. TAG=v0.1")
    return validate_tag(tag)


def _git(runner: Any, path: str | os.PathLike[str], *args: str) -> subprocess.CompletedProcess:
    command = ["git", "-C", str(path), *args]
    try:
        return runner.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as err:
        raise RegkitError("git is not installed, so the tag cannot be derived from the code",
                          operation=" ".join(command),
                          hint="install git (apt-get install git), or set TAG yourself, "
                               "e.g. export TAG=v0.1") from err


def tag_from_git(path: str | os.PathLike[str] = ".", *, runner: Any = subprocess) -> str:
    """A tag that names the code in a git checkout: the release tag, else branch and commit.

    * HEAD is tagged (``git describe --tags --exact-match``): that tag (``v0.1``).
    * Otherwise ``<branch>-<short hash>`` (``main-1a2b3c4``); a detached HEAD gives
      ``detached-<short hash>``.
    * ``-dirty`` is appended when tracked files have uncommitted changes (untracked files do
      not count, as with ``git describe --dirty``).
    * The result is made a valid tag with :func:`sanitize_tag` (``/`` and ``+`` become ``-``,
      128 characters at most, the hash and ``-dirty`` always kept).

    Args:
        path: a directory inside the checkout.
        runner: what runs git; anything with ``subprocess.run``'s signature (the module by
            default).

    Returns:
        The tag.

    Raises:
        RegkitError: git is not installed; ``path`` is not in a git checkout; the repository
            has no commit yet. Each says how to fix it.

    Example:
        >>> tag_from_git("/path/to/checkout")  # doctest: +SKIP
        'main-1a2b3c4'
    """
    inside = _git(runner, path, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise RegkitError(f"{path} is not inside a git checkout, so there is no commit to name",
                          operation=f"git -C {path} rev-parse --is-inside-work-tree",
                          server_message=inside.stderr.strip() or None,
                          hint="run it in the project's checkout (git clone ...), or set TAG "
                               "yourself, e.g. export TAG=v0.1")
    head = _git(runner, path, "rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        raise RegkitError(f"the repository at {path} has no commit yet",
                          operation=f"git -C {path} rev-parse --short HEAD",
                          server_message=head.stderr.strip() or None,
                          hint="commit first (git add -A && git commit -m 'first'), then tag")
    short = head.stdout.strip()
    # --untracked-files=no: files git does not track are not part of any commit either way.
    status = _git(runner, path, "status", "--porcelain", "--untracked-files=no")
    dirty = "-dirty" if status.stdout.strip() else ""
    exact = _git(runner, path, "describe", "--tags", "--exact-match", "HEAD")
    if exact.returncode == 0 and exact.stdout.strip():
        return sanitize_tag(exact.stdout.strip(), suffix=dirty)
    branch = _git(runner, path, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    if branch in ("", "HEAD"):
        branch = "detached"
    return sanitize_tag(branch, suffix=f"-{short}{dirty}")


@dataclass(frozen=True)
class RollbackResult:
    """What :func:`rollback` did.

    Attributes:
        source: the known-good image (``repo:good_tag``).
        target: the moving name now pointing at it (``repo:latest``).
        pushed: whether ``target`` was pushed.
        digest: the pushed manifest's digest (the good image's), None when not pushed.
        commands: the equivalent ``docker`` commands, in order.

    Example:
        >>> r = RollbackResult("r/w:v0.1", "r/w:latest", False, None, ("docker tag r/w:v0.1 "
        ...                    "r/w:latest",))
        >>> r.commands[0]
        'docker tag r/w:v0.1 r/w:latest'
    """

    source: str
    target: str
    pushed: bool
    digest: str | None
    commands: tuple[str, ...]


def rollback(engine: Engine, repository: str, good_tag: str, *, alias: str = "latest",
             settings: RegistrySettings | None = None, push: bool = True) -> RollbackResult:
    """Point ``alias`` back at a known-good tag: ``docker tag repo:good repo:alias``, then push.

    This is the rollback that meaningful tags make possible: ``v0.1`` still holds the image
    it always did, so re-tagging it as ``latest`` (or ``prod``) and pushing undoes a bad
    release. When the good image is not in the Engine it is pulled first.

    Args:
        engine: a ``regkit.engine.Engine`` (``tag``, ``pull``, ``push`` are used).
        repository: the image name without tag, e.g. ``127.0.0.1:8080/library/worker``.
        good_tag: the tag known to work, e.g. ``v0.1``.
        alias: the moving name to re-point (``latest`` by default).
        settings: ``RegistrySettings`` for the pull and push credentials, or None.
        push: False only re-tags locally.

    Returns:
        What was done, with the equivalent commands.

    Raises:
        InvalidReference: ``repository`` carries a tag or digest, or a tag breaks the grammar.
        NotFoundError: the good tag exists neither in the Engine nor in the registry.
        RegkitError: the Engine's error for the pull or push (authentication, denied...).

    Example:
        >>> rollback(Engine(), "127.0.0.1:8080/library/worker", "v0.1")  # doctest: +SKIP
        RollbackResult(source='127.0.0.1:8080/library/worker:v0.1', ...)
    """
    reference = parse_reference(repository)
    if reference.tag is not None or reference.digest is not None:
        bare = "/".join(filter(None, (reference.registry, reference.path)))
        raise InvalidReference(f"give the repository without tag or digest, not "
                               f"{repository!r}",
                               hint=f"e.g. rollback(engine, {bare!r}, {good_tag!r})")
    validate_tag(good_tag)
    validate_tag(alias)
    source, target = f"{repository}:{good_tag}", f"{repository}:{alias}"
    commands = []
    try:
        engine.tag(source, target)
    except NotFoundError:
        engine.pull(source, settings=settings)
        commands.append(pull_command(source))
        engine.tag(source, target)
    commands.append(tag_command(source, target))
    digest = None
    if push:
        digest = engine.push(target, settings=settings).digest
        commands.append(push_command(target))
    return RollbackResult(source, target, push, digest, tuple(commands))
