"""Class accounts: one Harbor login per learner, made through Harbor's API, and the sheet of logins.

``regkit course learners N`` makes ``learner01`` ... ``learnerNN`` on the registry the
course points at (the practice lab, or a real Harbor with an admin's ``REGKIT_USERNAME``
/ ``REGKIT_PASSWORD``), each with a strong generated password, through Harbor's own API:
``POST /users``, ``POST /projects``, ``POST /projects/{p}/members``. Nothing here is
specific to the lab.

Roles (decided here, so every class gets the same):

- **with a project per learner** (the default): learner ``learner01`` gets a private
  project ``learner01`` where they are **projectAdmin** (push, delete, add robot accounts
  for the CI lesson, manage members), and is **guest** in ``library``: they can pull the
  instructor's images there but not push over them. Developer in ``library`` would let
  any learner replace ``library/busybox:latest`` under everyone else's feet.
- **without** (``--no-project-per-learner``): everyone works in ``library`` as
  **developer** (push and pull, no delete), which the notebooks use by default; learners
  then share repositories, so tell them to use their login in image names.

The sheet of logins is a CSV file (registry, username, password, project) written with
mode 0600 *before* any account is made, so a password is never lost: in the lab's data
folder for the practice lab, in the current directory (with a warning) for a real
Harbor, or where ``--sheet`` says. The passwords are printed once, when the sheet is
made. A later run finds the sheet, says where it is, finishes anything missing (an
account, a project deleted by ``regkit lab reset``, a membership) and never prints a
password again.

Example:
    >>> plan = plan_learners(3)
    >>> [(learner.username, learner.project) for learner in plan]
    [('learner01', 'learner01'), ('learner02', 'learner02'), ('learner03', 'learner03')]
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from regkit.errors import AuthenticationError, PushDenied, RegistryError, SettingsError
from regkit.reference import validate_project_name
from regkit.settings import Secret

if TYPE_CHECKING:
    from regkit.harbor import Harbor
    from regkit.lab import LabInfo
    from regkit.settings import RegistrySettings

__all__ = [
    "EMAIL_DOMAIN",
    "Learner",
    "LearnersResult",
    "Sheet",
    "generate_password",
    "library_role",
    "plan_learners",
    "prepare_learners",
    "sheet_location",
]

# RFC 2606 reserves .invalid: Harbor wants an email, and no mail can ever go there.
EMAIL_DOMAIN = "learners.invalid"
# No 0/O, 1/l/I: the passwords are read off a printed sheet.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_MAX_LEARNERS = 500
_HEADER = ("registry", "username", "password", "project")


def generate_password(length: int = 16) -> Secret:
    """A random password Harbor accepts and a person can copy from paper.

    Harbor wants at least 8 characters with an uppercase letter, a lowercase letter and
    a digit; these have ``length`` characters (about 5.6 bits each, 90 bits for 16), at
    least one of each kind, from an alphabet without look-alikes (0 O 1 l I).

    Args:
        length: how many characters, at least 8.

    Returns:
        The password, wrapped so it does not print by accident.

    Raises:
        ValueError: ``length`` is below 8.

    Example:
        >>> len(generate_password().reveal())
        16
    """
    if length < 8:
        raise ValueError(f"Harbor needs passwords of at least 8 characters, not {length}")
    alphabet = _LOWER + _UPPER + _DIGITS
    while True:
        text = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c in _LOWER for c in text) and any(c in _UPPER for c in text)
                and any(c in _DIGITS for c in text)):
            return Secret(text)


@dataclass(frozen=True)
class Learner:
    """One class account.

    Attributes:
        username: the login (``learner01``).
        password: the password, a :class:`~regkit.settings.Secret`.
        project: their own project, or None when the class shares ``library``.

    Example:
        >>> Learner("learner01", Secret("x"), "learner01")
        Learner(username='learner01', project='learner01')
    """

    username: str
    password: Secret = field(repr=False)
    project: str | None

    def __repr__(self) -> str:
        return f"Learner(username={self.username!r}, project={self.project!r})"

    @property
    def email(self) -> str:
        """The address Harbor records for them (never delivered: ``.invalid``)."""
        return f"{self.username}@{EMAIL_DOMAIN}"


def library_role(project_per_learner: bool) -> str:
    """The role learners get in ``library`` (see the module docstring for why).

    Args:
        project_per_learner: whether each learner has a project of their own.

    Returns:
        ``guest`` with own projects, ``developer`` without.

    Example:
        >>> library_role(True), library_role(False)
        ('guest', 'developer')
    """
    return "guest" if project_per_learner else "developer"


def plan_learners(count: int, prefix: str = "learner", *,
                  project_per_learner: bool = True) -> list[Learner]:
    """The accounts to make: names, fresh passwords, projects. Nothing is sent.

    Names are ``<prefix>`` and a number of at least two digits (``learner01``); the same
    name is used for the learner's project, so it follows Harbor's project-name rule.

    Args:
        count: how many learners, 1 to 500.
        prefix: the start of every username (lowercase letters, digits, ``. _ -``).
        project_per_learner: give each learner a private project named after them.

    Returns:
        The learners, in order.

    Raises:
        SettingsError: ``count`` is out of range.
        InvalidReference: ``prefix`` would make names Harbor refuses.

    Example:
        >>> plan_learners(1, "team", project_per_learner=False)
        [Learner(username='team01', project=None)]
    """
    if not 1 <= count <= _MAX_LEARNERS:
        raise SettingsError(f"the number of learners must be between 1 and {_MAX_LEARNERS}, "
                            f"not {count}", hint="give a number such as 12")
    width = max(2, len(str(count)))
    names = [f"{prefix}{number:0{width}d}" for number in range(1, count + 1)]
    validate_project_name(names[0])
    return [Learner(name, generate_password(), name if project_per_learner else None)
            for name in names]


@dataclass
class Sheet:
    """The sheet of logins: where it is, which registry, the learners.

    Attributes:
        path: the CSV file.
        registry: the registry's base URL the accounts are on.
        learners: the accounts, in order.

    Example:
        >>> sheet = Sheet(Path("/tmp/s.csv"), "http://127.0.0.1:8080", [])
        >>> sheet.library_role
        'guest'
    """

    path: Path
    registry: str
    learners: list[Learner]

    @property
    def library_role(self) -> str:
        """The learners' role in ``library``."""
        return library_role(all(learner.project for learner in self.learners))

    def save(self) -> None:
        """Write the CSV with mode 0600 (created so; an existing file is replaced).

        Raises:
            OSError: the folder cannot be written.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_HEADER)
        for learner in self.learners:
            writer.writerow((self.registry, learner.username, learner.password.reveal(),
                             learner.project or ""))
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)  # an older .tmp may have had other rights
            os.write(descriptor, buffer.getvalue().encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.path)

    @classmethod
    def load(cls, path: Path) -> Sheet:
        """Read a sheet written by :meth:`save`.

        Raises:
            SettingsError: the file is not such a sheet (the message says what is wrong).
        """
        try:
            rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        except (OSError, csv.Error) as err:
            raise SettingsError(f"cannot read the sheet of logins {path}: {err}",
                                hint="check the path and its rights (the sheet is 0600: read "
                                     "it as the user who made it), or give another with --sheet"
                                ) from None
        if not rows or tuple(rows[0]) != _HEADER or len(rows) < 2:
            raise SettingsError(f"{path} is not a sheet of logins regkit wrote",
                                hint="move it away, or give another file with --sheet")
        registries = {row[0] for row in rows[1:] if row}
        if len(registries) != 1 or any(len(row) != len(_HEADER) for row in rows[1:] if row):
            raise SettingsError(f"{path} is not a sheet of logins regkit wrote",
                                hint="move it away, or give another file with --sheet")
        learners = [Learner(row[1], Secret(row[2]), row[3] or None) for row in rows[1:] if row]
        return cls(path, registries.pop(), learners)

    def text(self, *, passwords: bool) -> str:
        """The sheet as a table to print or show on a projector.

        Args:
            passwords: include the passwords (only for the one time they are shown).

        Returns:
            The text.
        """
        header = ["Login", "Password", "Project"] if passwords else ["Login", "Project"]
        rows = []
        for learner in self.learners:
            where = (f"{learner.project} (projectAdmin)" if learner.project
                     else f"library ({self.library_role})")
            rows.append([learner.username, learner.password.reveal(), where] if passwords
                        else [learner.username, where])
        widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
        lines = [f"Class accounts on {self.registry}: {len(self.learners)} learners; "
                 f"everyone is {self.library_role} in library"]
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                  for line in [header, *rows]]
        return "\n".join(lines)


@dataclass
class LearnersResult:
    """What :func:`prepare_learners` did.

    Attributes:
        sheet: the sheet of logins.
        new_sheet: True when the sheet was made now (its passwords were shown).
        users_created: usernames created now.
        projects_created: projects created now.
        memberships_added: ``(project, username)`` pairs added now.
    """

    sheet: Sheet
    new_sheet: bool
    users_created: list[str] = field(default_factory=list)
    projects_created: list[str] = field(default_factory=list)
    memberships_added: list[tuple[str, str]] = field(default_factory=list)


def sheet_location(settings: RegistrySettings, lab: LabInfo | None, prefix: str,
                   sheet: str | os.PathLike[str] | None = None) -> tuple[Path, str | None]:
    """Where the sheet of logins goes, and a warning when that is the current directory.

    Args:
        settings: the target registry.
        lab: the practice lab when it is the target.
        prefix: the username prefix (part of the file name, so two classes can coexist).
        sheet: an explicit path (``--sheet``).

    Returns:
        ``(path, warning or None)``.

    Example:
        >>> from regkit.settings import RegistrySettings
        >>> sheet_location(RegistrySettings("http://h:8080"), None, "x", "/tmp/s.csv")
        (PosixPath('/tmp/s.csv'), None)
    """
    name = f"class-sheet-{prefix}.csv"
    if sheet is not None:
        return Path(sheet).expanduser(), None
    if lab is not None and lab.url == settings.url:
        return Path(lab.data_dir) / name, None
    path = Path.cwd() / name
    return path, (f"the sheet holds every learner's password: it goes to {path} (readable by "
                  "you only); keep it out of git, and delete it after the class")


def _check_admin(harbor: Harbor) -> None:
    user = harbor.check_login()
    if not user.sysadmin:
        raise PushDenied(
            f"{user.username} is not a Harbor system administrator, and only those create users",
            operation="POST /api/v2.0/users",
            hint="set REGKIT_USERNAME and REGKIT_PASSWORD to a system administrator's "
                 "account (Harbor's admin), then run the command again")


def _taken(harbor: Harbor, learners: Iterable[Learner], prefix: str) -> list[str]:
    """Usernames and project names of the plan that already exist on the registry."""
    wanted = [learner.username for learner in learners]
    existing = set(harbor.user_names(prefix))
    taken = [name for name in wanted if name in existing]
    taken += [f"project {learner.project}" for learner in learners
              if learner.project and harbor.project_exists(learner.project)]
    return taken


def _ensure_user(harbor: Harbor, learner: Learner, result: LearnersResult) -> None:
    from regkit.harbor import Harbor as Client

    try:
        harbor.create_user(learner.username, learner.password, email=learner.email,
                           comment="regkit class account")
        result.users_created.append(learner.username)
        return
    except RegistryError as err:
        if err.status != 409:
            raise
    # It exists: made by an earlier run of this sheet if the sheet's password logs in.
    mine = Client(harbor.settings.replace(username=learner.username, password=learner.password))
    try:
        mine.check_login()
    except AuthenticationError:
        raise RegistryError(
            f"user {learner.username} exists on {harbor.settings.base_url}, but the password "
            f"in the sheet {result.sheet.path} does not log in",
            hint="someone changed it in Harbor, or the user was made by someone else: reset "
                 "its password in Harbor (Administration > Users), or delete the user and "
                 "run the command again") from None


def _ensure_rest(harbor: Harbor, learner: Learner, role: str, result: LearnersResult) -> None:
    if learner.project:
        if not harbor.project_exists(learner.project):
            harbor.create_project(learner.project, public=False, exist_ok=True)
            result.projects_created.append(learner.project)
        if harbor.add_member(learner.project, learner.username, "projectAdmin"):
            result.memberships_added.append((learner.project, learner.username))
    if harbor.add_member("library", learner.username, role):
        result.memberships_added.append(("library", learner.username))


def prepare_learners(harbor: Harbor, sheet_path: Path, count: int, prefix: str = "learner", *,
                     project_per_learner: bool = True,
                     say: Callable[[str], None] = print) -> LearnersResult:
    """Make the class accounts (or finish them), keeping the sheet of logins up to date.

    First run (no sheet at ``sheet_path``): checks the account is a system administrator
    and that none of the usernames and projects exist yet, writes the sheet (0600), then
    creates each user, their project and memberships, and prints the sheet with the
    passwords. Later runs (the sheet exists): print where the sheet is, and make whatever
    is missing (a user, a project, a membership), without printing any password;
    ``count`` and ``prefix`` are then those of the sheet.

    Args:
        harbor: a client logged in as a Harbor system administrator.
        sheet_path: where the sheet is (or goes).
        count: how many learners.
        prefix: the start of every username.
        project_per_learner: a private project per learner (see the module docstring).
        say: where the lines go.

    Returns:
        The :class:`LearnersResult`.

    Raises:
        PushDenied: the account is not a system administrator.
        RegistryError: a username or project of the plan exists already (nothing is made
            then), or Harbor refused one (its message says why).
        SettingsError: ``count``/``prefix`` are invalid, or the sheet is for another
            registry or is not a sheet.

    Example:
        >>> result = prepare_learners(harbor, Path("class.csv"), 12)  # doctest: +SKIP
        >>> result.new_sheet, len(result.users_created)  # doctest: +SKIP
        (True, 12)
    """
    registry = harbor.settings.base_url.rstrip("/")
    _check_admin(harbor)
    if sheet_path.exists():
        sheet = Sheet.load(sheet_path)
        if sheet.registry != registry:
            raise SettingsError(
                f"the sheet of logins {sheet_path} is for {sheet.registry}, not {registry}",
                hint="point REGKIT_REGISTRY_URL at that registry, or give another file "
                     "with --sheet")
        result = LearnersResult(sheet, new_sheet=False)
        say(f"The sheet of logins exists: {sheet_path} ({len(sheet.learners)} learners). "
            "Passwords are not shown again: read them there.")
        shared = sheet.library_role == "developer"
        if (count != len(sheet.learners) or shared == project_per_learner
                or not all(learner.username.startswith(prefix) for learner in sheet.learners)):
            say(f"It was made for {len(sheet.learners)} learners"
                f"{' sharing library' if shared else ' with a project each'}; it is kept as "
                "it is. For another class, move it away, or use another --prefix.")
    else:
        learners = plan_learners(count, prefix, project_per_learner=project_per_learner)
        taken = _taken(harbor, learners, prefix)
        if taken:
            raise RegistryError(
                f"{registry} already has {', '.join(taken[:5])}"
                f"{' and more' if len(taken) > 5 else ''}: nothing was made",
                hint="choose another --prefix, or delete those users and projects in Harbor "
                     "first (their passwords are not in any sheet regkit knows)")
        sheet = Sheet(sheet_path, registry, learners)
        sheet.save()
        result = LearnersResult(sheet, new_sheet=True)
    role = sheet.library_role
    for learner in sheet.learners:
        _ensure_user(harbor, learner, result)
        _ensure_rest(harbor, learner, role, result)
    if result.new_sheet:
        say(sheet.text(passwords=True))
        say("")
        say(f"Saved to {sheet_path} (mode 0600). The passwords are shown this once: "
            "`regkit course learners` will not print them again.")
        say("Each learner, before starting Jupyter (or in the notebooks' registry form):")
        say(f"  export REGKIT_REGISTRY_URL={registry} REGKIT_USERNAME=<login>"
            + (" REGKIT_PROJECT=<login>" if sheet.library_role == "guest" else ""))
        say("  read -rs REGKIT_PASSWORD && export REGKIT_PASSWORD   # type the password")
        host = harbor.settings.host.rsplit(":", 1)[0]
        if host in ("localhost", "::1", "[::1]") or host.startswith("127."):
            say(f"Note: {registry} is a loopback address: these logins work from this "
                "machine only. For a class on several machines, use a Harbor they can reach.")
    else:
        made = (len(result.users_created), len(result.projects_created),
                len(result.memberships_added))
        say(sheet.text(passwords=False))
        say("All accounts ready" + (
            f": made now {made[0]} users, {made[1]} projects, {made[2]} memberships."
            if any(made) else "; nothing was missing."))
    return result
