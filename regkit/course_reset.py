"""``regkit course reset``: undo what the course made on a registry, and nothing else.

The course record (:mod:`regkit.course_record`) lists what the course pushed and created.
A reset reads it, looks at the registry through Harbor's API, and plans one step per
thing still there *as the course left it*:

- an image the course pushed is deleted (``DELETE .../artifacts/<digest>``) when every tag
  on it is one the course pushed for that digest; when someone else also tagged it, only
  the course's tags are removed and the image stays;
- a tag the course pushed that now names another image is left alone (someone pushed
  over it): reported as skipped;
- a repository the course's push created is deleted when nothing else is left in it;
  one holding images the course did not push stays;
- a robot account is deleted when its id still carries the recorded name; a project
  when its id is the recorded one and it holds no repository once the steps above ran.

Steps run in that order (tags, images, repositories, robots, projects), so a project is
empty by the time it is deleted. Things already gone are reported and settled. Entries of
the record are removed once settled; an entry whose step failed (a 403, the registry
down) stays for the next reset. Entries for other registries are kept and counted.

Last, the Docker CLI's stored login for the registry, if any, is removed (``docker
logout``), so a demo starts logged out; regkit's own logins live in memory only.

Example:
    >>> from regkit.settings import RegistrySettings
    >>> report = reset_course(RegistrySettings("http://127.0.0.1:8080", username="admin",
    ...                       password="..."), dry_run=True)  # doctest: +SKIP
    Course record: /root/.local/share/regkit/course-record.jsonl (3 entries)
    Registry: http://127.0.0.1:8080, as admin
      would delete repository  library/ci-demo (the course created it; 1 image in it)
    ...
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from regkit.course_record import CourseRecord, Made
from regkit.errors import NotFoundError, ProjectNotFound, RegkitError

if TYPE_CHECKING:
    from regkit.engine import Engine
    from regkit.harbor import Harbor
    from regkit.settings import RegistrySettings

__all__ = ["Group", "ResetPlan", "ResetReport", "Step", "plan_reset", "reset_course"]

# The order steps run in: a project is deleted only once its repositories are.
_ORDER = {"delete tag": 1, "delete image": 2, "delete repository": 3, "delete robot": 4,
          "delete project": 5}


@dataclass
class Step:
    """One thing a reset does, or does not do and says why.

    Attributes:
        verb: ``delete tag``, ``delete image``, ``delete repository``, ``delete robot``,
            ``delete project``; or ``skip`` (left alone on purpose) and ``gone``
            (already removed), which do nothing.
        what: the thing, as a person names it.
        why: for ``skip`` and ``gone``, the reason.
        action: the call that does it (None for ``skip`` and ``gone``).
        subject: for ``delete repository``, the repository's full name.

    Example:
        >>> Step("skip", "library/app:latest", "it now names another image").line("plan")
        '  skip                      library/app:latest: it now names another image'
    """

    verb: str
    what: str
    why: str = ""
    action: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    subject: str = ""

    @property
    def acts(self) -> bool:
        """True for a step that changes the registry."""
        return self.action is not None

    def line(self, mode: str, error: RegkitError | None = None) -> str:
        """The step as one output line.

        Args:
            mode: ``plan`` (what would run), ``dry`` (``would ...``), ``done`` (it ran),
                ``failed`` (it ran and failed).
            error: the failure, for ``failed``.

        Returns:
            The line, indented by two spaces.
        """
        if not self.acts:
            label = "skip" if self.verb == "skip" else "already gone"
            return _line(label, f"{self.what}: {self.why}")
        if mode == "dry":
            return _line(f"would {self.verb}", self.what)
        if mode == "done":
            return _line(self.verb.replace("delete", "deleted", 1), self.what)
        if mode == "failed":
            message = error.message if error is not None else "failed"
            hint = f" ({error.hint})" if error is not None and error.hint else ""
            return _line(f"FAILED {self.verb}", f"{self.what}: {message}{hint}")
        return _line(self.verb, self.what)


def _line(label: str, text: str) -> str:
    return f"  {label:<24}  {text}"


@dataclass
class Group:
    """Record entries about one thing (a repository, a robot, a project) and their steps.

    The entries are settled (removed from the record) when every step of the group ran
    without failing, unless ``keep`` is set (the registry could not be asked).

    Attributes:
        entries: the record entries.
        steps: what to do about them.
        keep: leave the entries in the record even if nothing fails.
    """

    entries: list[Made]
    steps: list[Step] = field(default_factory=list)
    keep: bool = False


@dataclass
class ResetPlan:
    """What a reset would do on one registry.

    Attributes:
        registry: the registry's base URL.
        groups: one per thing the record names on this registry.
        other_registries: record entries for other registries, by URL (left alone).
        record: the record read.
    """

    registry: str
    groups: list[Group]
    other_registries: dict[str, int]
    record: CourseRecord

    @property
    def actions(self) -> list[Step]:
        """The steps that change the registry, in the order they run."""
        steps = [s for g in self.groups for s in g.steps if s.acts]
        return sorted(steps, key=lambda s: _ORDER[s.verb])

    @property
    def notes(self) -> list[Step]:
        """The steps that change nothing (skipped, already gone)."""
        return [s for g in self.groups for s in g.steps if not s.acts]


@dataclass
class ResetReport:
    """What a reset did.

    Attributes:
        plan: the plan it followed.
        done: steps that ran.
        failed: steps that failed, with their errors.
        settled: record entries removed.
        kept: record entries left (failed steps, other registries, unreadable state).
        login_stored: True when the Docker CLI keeps a login for the registry (before).
        logged_out: True when that stored login was removed.
        applied: False for a dry run or without ``yes``.
    """

    plan: ResetPlan
    done: list[Step] = field(default_factory=list)
    failed: list[tuple[Step, RegkitError]] = field(default_factory=list)
    settled: int = 0
    kept: int = 0
    login_stored: bool = False
    logged_out: bool = False
    applied: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    @property
    def pending(self) -> bool:
        """True when a reset with ``yes`` would change something this one did not."""
        return not self.applied and bool(self.plan.groups or self.login_stored)


def _gone(group: Group, what: str, why: str = "no longer on the registry") -> None:
    group.steps.append(Step("gone", what, why))


def _plan_repository(harbor: Harbor, project: str, repository: str,
                     entries: list[Made]) -> Group:
    group = Group(entries)
    name = f"{project}/{repository}"
    try:
        artifacts = harbor.artifacts(project, repository)
    except (NotFoundError, ProjectNotFound):
        _gone(group, name)
        return group
    created = any(e.kind == "repository" for e in entries)
    pairs = {(e.tag, e.digest) for e in entries if e.kind == "tag"}
    digests = {digest for _, digest in pairs}
    mine_images, kept = [], []
    for artifact in artifacts:
        tags = artifact.tag_names
        if artifact.digest not in digests:
            kept.append(artifact)
            continue
        theirs = [t for t in tags if (t, artifact.digest) not in pairs]
        if not theirs:
            mine_images.append(artifact)
            continue
        kept.append(artifact)
        short = artifact.digest[:19]
        for tag in (t for t in tags if (t, artifact.digest) in pairs):
            group.steps.append(Step("delete tag", f"{name}:{tag} (on {short})", action=(
                lambda t=tag, d=artifact.digest: harbor.api.delete_tag(project, repository, d, t))))
        group.steps.append(Step("skip", f"{name}@{short}", (
            f"also tagged {', '.join(theirs)}, not by the course: the image stays")))
    naming = {tag: artifact.digest for artifact in artifacts for tag in artifact.tag_names}
    for tag in sorted({t for t, _ in pairs}):
        now = naming.get(tag)
        if now is not None and (tag, now) not in pairs:
            group.steps.append(Step("skip", f"{name}:{tag}", (
                f"it now names {now[:19]}, not an image the course pushed")))
    if created and not kept:
        count = len(mine_images)
        group.steps.append(Step("delete repository", f"{name} (the course created it; "
                                f"{count} image{'s' if count != 1 else ''} in it)", action=(
            lambda: harbor.delete_repository(project, repository)), subject=name))
        return group
    for artifact in mine_images:
        tags = ", ".join(artifact.tag_names) or "no tag"
        group.steps.append(Step("delete image", f"{name}@{artifact.digest[:19]} ({tags})", action=(
            lambda d=artifact.digest: harbor.delete_artifact(project, repository, d))))
    if created:
        count = len(kept)
        group.steps.append(Step("skip", f"repository {name}", (
            f"it holds {count} image{'s' if count != 1 else ''} the course did not push")))
    if not group.steps:
        _gone(group, name, "none of the course's images is left in it")
    return group


def _plan_robot(harbor: Harbor, entries: list[Made]) -> Group:
    group = Group(entries)
    made = entries[0]
    try:
        name = harbor.api.get_robot(int(made.robot_id or 0)).get("name")
    except NotFoundError:
        _gone(group, made.describe())
        return group
    if name != made.robot_name:
        group.steps.append(Step("skip", made.describe(),
                                f"that id now belongs to {name}, not the course's robot"))
        return group
    group.steps.append(Step("delete robot", made.describe(), action=(
        lambda: harbor.delete_robot(int(made.robot_id or 0)))))
    return group


def _plan_project(harbor: Harbor, entries: list[Made], deleted_repositories: set[str]) -> Group:
    group = Group(entries)
    made = entries[0]
    try:
        project = harbor.project(made.project)
    except ProjectNotFound:
        _gone(group, made.project)
        return group
    if made.project_id is not None and project.project_id != made.project_id:
        group.steps.append(Step("skip", made.project, (
            f"a project of that name was made again since (id {project.project_id}, the "
            f"course's was {made.project_id})")))
        return group
    others = [r.name for r in harbor.repositories(made.project)
              if r.name not in deleted_repositories]
    if others:
        group.steps.append(Step("skip", made.project, (
            f"it holds {len(others)} repositor{'ies' if len(others) != 1 else 'y'} the "
            f"course did not create ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})")))
        return group
    group.steps.append(Step("delete project", made.project, action=(
        lambda: harbor.delete_project(made.project))))
    return group


def plan_reset(harbor: Harbor, record: CourseRecord | None = None) -> ResetPlan:
    """Look at the registry and decide what to delete: nothing changes yet.

    Args:
        harbor: a client for the registry, logged in as someone who may delete there.
        record: the course record; the default one when None.

    Returns:
        The plan (see the module docstring for the rules).

    Raises:
        RegkitError: the registry could not be asked (unreachable, refused).

    Example:
        >>> plan = plan_reset(Harbor(settings))  # doctest: +SKIP
        >>> [step.verb for step in plan.actions]  # doctest: +SKIP
        ['delete image', 'delete robot']
    """
    record = record or CourseRecord()
    registry = harbor.settings.base_url.rstrip("/")
    others: dict[str, int] = {}
    repositories: dict[tuple[str, str], list[Made]] = {}
    robots: dict[int, list[Made]] = {}
    projects: dict[str, list[Made]] = {}
    for made in record.entries():
        if made.registry != registry:
            others[made.registry] = others.get(made.registry, 0) + 1
        elif made.kind in ("tag", "repository"):
            repositories.setdefault((made.project, str(made.repository)), []).append(made)
        elif made.kind == "robot":
            robots.setdefault(int(made.robot_id or 0), []).append(made)
        else:
            projects.setdefault(made.project, []).append(made)
    groups = [_checked(lambda: _plan_repository(harbor, p, r, e), e, f"{p}/{r}")
              for (p, r), e in sorted(repositories.items())]
    groups += [_checked(lambda: _plan_robot(harbor, e), e, e[0].describe())
               for _, e in sorted(robots.items())]
    deleted = {step.subject for g in groups for step in g.steps
               if step.verb == "delete repository"}
    groups += [_checked(lambda: _plan_project(harbor, e, deleted), e, e[0].describe())
               for _, e in sorted(projects.items())]
    return ResetPlan(registry, groups, others, record)


def _checked(make: Callable[[], Group], entries: list[Made], what: str) -> Group:
    """The group ``make`` plans, or one that keeps its entries when the registry refused."""
    try:
        return make()
    except RegkitError as err:
        return Group(entries, [Step("skip", what, f"could not check it: {err.message}")],
                     keep=True)


def _stored_login(host: str) -> str | None:
    """Where the Docker CLI keeps a login for ``host``: the file, a helper, or None."""
    from regkit.course import docker_config

    config = docker_config()
    helper = dict(config.helpers).get(host)
    if helper:
        return f"the credential helper docker-credential-{helper}"
    if host in config.stored:
        return config.shown_as
    return None


def _config_file() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def _remove_from_config_file(host: str) -> None:
    """What ``docker logout`` does to the file, for machines without the docker CLI."""
    path = _config_file()
    content = json.loads(path.read_text(encoding="utf-8") or "{}")
    auths = content.get("auths") or {}
    for key in [k for k in auths if k.split("://", 1)[-1].split("/", 1)[0].lower() == host]:
        del auths[key]
    temporary = path.with_name(path.name + ".regkit-tmp")
    temporary.write_text(json.dumps(content, indent="\t") + "\n", encoding="utf-8")
    os.chmod(temporary, path.stat().st_mode & 0o777)
    os.replace(temporary, path)


def _logout(host: str, report: ResetReport, *, apply: bool, say: Callable[[str], None]) -> None:
    """Remove the Docker CLI's stored login for ``host`` (only when one is stored)."""
    from regkit import docker_cli

    where = _stored_login(host)
    report.login_stored = where is not None
    if where is None:
        say(_line("logout", f"no Docker login stored for {host}: nothing to remove"))
        return
    command = docker_cli.logout_command(host)
    if not apply:
        say(_line("logout", f"{command}  (a login is stored in {where})"))
        return
    say(f"$ {command}")
    docker = shutil.which("docker")
    if docker is not None:
        done = subprocess.run([docker, "logout", host], capture_output=True, text=True,
                              check=False)
        say((done.stdout or done.stderr).strip())
        report.logged_out = done.returncode == 0
        return
    if where.startswith("the credential helper"):
        say(f"the docker CLI is not installed, and the login is in {where}: run `{command}` "
            "where the CLI is")
        return
    _remove_from_config_file(host)
    say(f"Removed the login for {host} from {where}")
    report.logged_out = True


def reset_course(settings: RegistrySettings, *, yes: bool = False, dry_run: bool = False,
                 record: CourseRecord | None = None, engine: Engine | None = None,
                 say: Callable[[str], None] = print) -> ResetReport:
    """Plan a reset, print it, and (with ``yes``) delete what the course made, then log out.

    Args:
        settings: the registry and an account allowed to delete there (the lab's admin
            for the practice lab; for Harbor, a project admin of the course's projects).
        yes: do it; without, only print the plan.
        dry_run: print what would be done, change nothing (wins over ``yes``).
        record: the course record; the default one when None.
        engine: an Engine to forget its in-memory login for the registry too.
        say: where lines go.

    Returns:
        The :class:`ResetReport`.

    Raises:
        RegkitError: the registry could not be reached or refused the credentials (the
            plan needs to look at it first).

    Example:
        >>> reset_course(settings, yes=True).ok  # doctest: +SKIP
        True
    """
    from regkit.harbor import Harbor

    record = record or CourseRecord()
    harbor = Harbor(settings)
    if settings.username:
        harbor.check_login()
    entries = record.entries()
    plan = plan_reset(harbor, record)
    report = ResetReport(plan)
    say(f"Course record: {record.path} ({len(entries)} entr{'ies' if len(entries) != 1 else 'y'})")
    say(f"Registry: {plan.registry}, as {settings.username or 'anonymous'}")
    for url, count in sorted(plan.other_registries.items()):
        say(_line("kept", f"{count} entr{'ies' if count != 1 else 'y'} for {url}: reset "
                  f"there with REGKIT_REGISTRY_URL={url}"))
    apply = yes and not dry_run
    if not apply:
        for step in plan.actions:
            say(step.line("dry" if dry_run else "plan"))
        for step in plan.notes:
            say(step.line("plan"))
        _logout(settings.host, report, apply=False, say=say)
        report.kept = len(entries)
        if dry_run:
            say("Dry run: nothing changed.")
        elif report.pending:
            say("Nothing changed yet: run `regkit course reset --yes` to do the above "
                "(`--dry-run` only looks).")
        else:
            say("Nothing to reset: the record names nothing on this registry.")
        return report
    report.applied = True
    group_of = {id(step): i for i, g in enumerate(plan.groups) for step in g.steps}
    failed_groups: set[int] = set()
    for step in plan.actions:
        group = group_of[id(step)]
        try:
            assert step.action is not None
            step.action()
        except (NotFoundError, ProjectNotFound):
            say(Step("gone", step.what, "removed meanwhile").line("plan"))
            continue
        except RegkitError as err:
            report.failed.append((step, err))
            failed_groups.add(group)
            say(step.line("failed", err))
            continue
        report.done.append(step)
        say(step.line("done"))
    for step in plan.notes:
        say(step.line("plan"))
    settled = [m for i, g in enumerate(plan.groups)
               if i not in failed_groups and not g.keep for m in g.entries]
    report.settled = record.forget(settled) if settled else 0
    report.kept = len(record.entries())
    say(f"Course record: {report.settled} entr{'ies' if report.settled != 1 else 'y'} settled, "
        f"{report.kept} kept ({record.path})")
    if engine is not None:
        engine.logout(settings.host)
    _logout(settings.host, report, apply=True, say=say)
    return report
