"""The friendly Harbor client: what the course does, in the course's words.

:class:`Harbor` wraps :class:`~regkit.harbor.api.HarborAPI`: whole lists instead of pages,
typed models instead of JSON, names accepted the way Harbor prints them (``library/busybox``
or ``busybox``), and answers to the questions Harbor's API makes awkward (does this
project exist? are these credentials right?).

Example:
    >>> from regkit.settings import RegistrySettings
    >>> harbor = Harbor(RegistrySettings("http://127.0.0.1:8080", username="admin",
    ...                                  password="Harbor12345"))
    >>> harbor
    Harbor(url='http://127.0.0.1:8080', username='admin', project='library')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests

from regkit.errors import AuthenticationError, ProjectNotFound, RegistryError
from regkit.harbor.api import HarborAPI
from regkit.harbor.models import (
    Artifact,
    Project,
    Repository,
    RepositoryRow,
    RobotAccount,
    SearchResult,
    Tag,
    User,
)
from regkit.harbor.transport import DEFAULT_TIMEOUT, ResponseHook
from regkit.reference import validate_project_name, validate_tag
from regkit.settings import Secret

if TYPE_CHECKING:
    from regkit.settings import RegistrySettings

__all__ = ["ROLE_IDS", "Harbor"]

# Harbor's project role ids (src/common/const.go), by the names its Members page shows.
ROLE_IDS = {"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4, "limitedGuest": 5}


class Harbor:
    """A Harbor instance, reached with one set of settings.

    Args:
        settings: URL, project (the default for methods taking one), credentials
            (anonymous without a username) and TLS verification.
        timeout: seconds to wait for a connection or for the next bytes of an answer.
        session: a ``requests.Session`` to use (configured in place: cookies refused).
        hooks: response hooks, called with every answer the client reads.

    Raises:
        Every method raises ``RegistryUnreachable``, ``CertificateError`` or
        ``InsecureRegistryError`` when no answer comes, and a ``RegkitError`` subclass
        carrying Harbor's code, message and request id when Harbor refuses.

    Example:
        >>> from regkit.settings import RegistrySettings
        >>> Harbor(RegistrySettings("https://harbor.example.com")).api.base_url
        'https://harbor.example.com'
    """

    def __init__(
        self,
        settings: RegistrySettings,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        hooks: Iterable[ResponseHook] = (),
    ) -> None:
        self.settings = settings
        self.api = HarborAPI(settings, timeout=timeout, session=session, hooks=hooks)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Harbor:
        """Build from ``REGKIT_*`` variables (see :meth:`RegistrySettings.from_env`).

        Args:
            environ: the variables; ``os.environ`` when None.
            **overrides: settings fields that win over the variables (``project=``...).

        Returns:
            The client.

        Example:
            >>> Harbor.from_env({"REGKIT_REGISTRY_URL": "http://127.0.0.1:8080"}).settings.url
            'http://127.0.0.1:8080'
        """
        from regkit.settings import RegistrySettings

        return cls(RegistrySettings.from_env(environ, **overrides))

    def __repr__(self) -> str:
        s = self.settings
        return f"Harbor(url={self.api.base_url!r}, username={s.username!r}, project={s.project!r})"

    # -- system --------------------------------------------------------------------

    def ping(self) -> bool:
        """Check that Harbor's API answers (``GET /ping``, no login needed).

        Returns:
            True when Harbor answered ``Pong``.

        Raises:
            RegistryUnreachable: when nothing answers (also the other network errors).

        Example:
            >>> harbor.ping()  # doctest: +SKIP
            True
        """
        return self.api.get_ping().strip() == "Pong"

    def system_info(self) -> dict[str, Any]:
        """Harbor's general information (``GET /systeminfo``).

        Returns:
            The JSON; ``harbor_version`` and ``has_ca_root`` only for logged-in callers.

        Example:
            >>> harbor.system_info()["auth_mode"]  # doctest: +SKIP
            'db_auth'
        """
        return self.api.get_system_info()

    def health(self) -> dict[str, str]:
        """Each component's health (``GET /health``).

        Returns:
            ``{"core": "healthy", "registry": "healthy", ...}``.

        Example:
            >>> harbor.health()["core"]  # doctest: +SKIP
            'healthy'
        """
        body = self.api.get_health()
        return {c.get("name", "?"): c.get("status", "?") for c in body.get("components") or ()}

    def ca_certificate(self) -> bytes:
        """Harbor's CA certificate, to trust it (``GET /systeminfo/getcert``).

        Edge case: to download it from a server not yet trusted, build the client with
        ``verify=False`` once, and compare the fingerprint with your administrator's.

        Returns:
            The PEM bytes.

        Raises:
            NotFoundError: Harbor has no CA file (plain HTTP, or a public CA).

        Example:
            >>> harbor.ca_certificate()[:27]  # doctest: +SKIP
            b'-----BEGIN CERTIFICATE-----'
        """
        return self.api.get_cert()

    # -- who am I -----------------------------------------------------------------

    def current_user(self) -> User:
        """The account behind the credentials (``GET /users/current``).

        Returns:
            The user.

        Raises:
            AuthenticationError: anonymous, or the credentials were refused.

        Example:
            >>> harbor.current_user().username  # doctest: +SKIP
            'admin'
        """
        return User.from_api(self.api.get_current_user_info())

    def check_login(self) -> User:
        """Verify the username and password, which Harbor's other endpoints do not.

        Harbor treats a wrong password as an anonymous call: ``GET /projects`` still
        answers 200 with the public projects. Only ``/users/current`` tells the difference.

        Edge case: Harbor refuses ``/users/current`` to robot accounts with 412, which
        still proves their credentials were accepted; the user returned then carries only
        the robot's name (``user_id`` 0).

        Returns:
            The user, when the credentials are right.

        Raises:
            AuthenticationError: no username set, or Harbor refused the credentials; the
                hint says which.

        Example:
            >>> harbor.check_login().username  # doctest: +SKIP
            'admin'
        """
        username = self.settings.username
        if not username or self.settings.password is None:
            raise AuthenticationError(
                "no credentials to check: the settings have no username or no password",
                operation="GET /api/v2.0/users/current",
                hint="set REGKIT_USERNAME and REGKIT_PASSWORD, or RegistrySettings(username=..., "
                "password=...)",
            )
        try:
            user = self.current_user()
        except AuthenticationError as err:
            raise AuthenticationError(
                f"Harbor did not accept the password of {username!r}",
                operation=err.operation, server_message=err.server_message,
                server_code=err.server_code, status=err.status, request_id=err.request_id,
                hint="check the username and password (REGKIT_USERNAME / REGKIT_PASSWORD); "
                "Harbor ignores wrong credentials elsewhere and answers as if anonymous, so "
                "only this check catches them; robot names contain '$', quote it in a shell",
            ) from None
        except RegistryError as err:
            if err.status != 412:
                raise
            # Harbor refuses /users/current to robots (412), which proves the robot's
            # credentials were accepted.
            return User(user_id=0, username=username)
        return user

    # -- projects -----------------------------------------------------------------

    def iter_projects(self, *, name: str | None = None, public: bool | None = None,
                      q: str | None = None) -> Iterator[Project]:
        """Every visible project, fetched 100 per request as it is consumed.

        Args:
            name: fuzzy name filter.
            public: only public (True) or private (False) projects.
            q: Harbor's query syntax (``name=~team``).

        Yields:
            Each project.

        Example:
            >>> next(harbor.iter_projects()).name  # doctest: +SKIP
            'library'
        """
        for data in self.api.iterate(self.api.list_projects, name=name, public=public, q=q):
            yield Project.from_api(data)

    def projects(self, *, name: str | None = None, public: bool | None = None,
                 q: str | None = None) -> list[Project]:
        """Every visible project (all pages).

        Edge case: anonymous callers, or callers with a wrong password, see only public
        projects; use :meth:`check_login` to tell.

        Args:
            name: fuzzy name filter.
            public: only public (True) or private (False) projects.
            q: Harbor's query syntax.

        Returns:
            The projects, in Harbor's order.

        Example:
            >>> [p.name for p in harbor.projects()]  # doctest: +SKIP
            ['library']
        """
        return list(self.iter_projects(name=name, public=public, q=q))

    def project(self, name: str | None = None) -> Project:
        """One project, by name (``X-Is-Resource-Name: true``, so ``123`` is a name).

        Harbor answers 403 to a non-admin for a project that is private *or* missing; a
        ``HEAD /projects`` then tells which, so the error is the right one.

        Args:
            name: the project; the settings' project when None.

        Returns:
            The project.

        Raises:
            ProjectNotFound: it does not exist.
            RegistryError: it exists but this account has no role in it.
            AuthenticationError: anonymous caller and the project is private or missing.

        Example:
            >>> harbor.project("library").public  # doctest: +SKIP
            True
        """
        name = name or self.settings.project
        try:
            return Project.from_api(self.api.get_project(name))
        except RegistryError as err:
            if err.status != 403 or self.api.head_project(name):
                raise
            raise ProjectNotFound(f"Harbor has no project {name!r}", operation=err.operation,
                                  status=404, request_id=err.request_id) from None

    def project_exists(self, name: str) -> bool:
        """Whether a project exists, whatever its visibility.

        Uses ``HEAD /projects?project_name=`` when logged in. Harbor refuses that to
        anonymous callers, so without credentials a public project counts as existing and
        anything else raises.

        Args:
            name: the project name.

        Returns:
            True or False.

        Raises:
            AuthenticationError: anonymous caller and the project is not public (private or
                missing cannot be told apart without a login).

        Example:
            >>> harbor.project_exists("library")  # doctest: +SKIP
            True
        """
        if self.api.session.auth is not None:
            return self.api.head_project(name)
        try:
            self.api.get_project(name)
        except ProjectNotFound:
            return False
        except AuthenticationError as err:
            raise AuthenticationError(
                f"cannot tell whether project {name!r} exists without a login",
                operation=err.operation, server_message=err.server_message,
                server_code=err.server_code, status=err.status, request_id=err.request_id,
                hint="it is private or missing; set REGKIT_USERNAME and REGKIT_PASSWORD",
            ) from None
        return True

    def create_project(self, name: str, public: bool = False, *, exist_ok: bool = False) -> Project:
        """Create a project (Harbor never creates one on push).

        Args:
            name: lowercase letters and digits joined by single ``.``, ``_`` or ``-``.
            public: whether anyone may pull without a login.
            exist_ok: return the existing project instead of raising when it exists
                (its visibility is left as it is).

        Returns:
            The project, as Harbor stored it.

        Raises:
            InvalidReference: the name breaks Harbor's rule (checked before sending).
            RegistryError: it exists (409) and ``exist_ok`` is False.
            PushDenied: only system admins may create projects here.

        Example:
            >>> harbor.create_project("demo").public  # doctest: +SKIP
            False
        """
        validate_project_name(name)
        try:
            self.api.create_project(name, public=public)
        except RegistryError as err:
            if not (exist_ok and err.status == 409):
                raise
        return Project.from_api(self.api.get_project(name))

    # -- repositories and artifacts ------------------------------------------------

    def repositories(self, project: str | None = None) -> list[Repository]:
        """Every repository of a project (all pages).

        Args:
            project: the project; the settings' project when None.

        Returns:
            The repositories; ``name`` includes the project.

        Raises:
            ProjectNotFound: no such project (admins; others get the 403 of :meth:`project`).

        Example:
            >>> [r.name for r in harbor.repositories("library")]  # doctest: +SKIP
            ['library/busybox']
        """
        project = project or self.settings.project
        return [Repository.from_api(r)
                for r in self.api.iterate(self.api.list_repositories, project)]

    def repository_table(self, project: str | None = None) -> list[RepositoryRow]:
        """The rows of Harbor's Repositories page: name, artifacts, pulls, last modified.

        The repository list already carries the counts and the update time, so this costs
        one request per 100 repositories and none per repository.

        Args:
            project: the project; the settings' project when None.

        Returns:
            The rows, in the order of Harbor's repository list.

        Example:
            >>> from regkit.harbor.models import format_repository_table
            >>> print(format_repository_table(harbor.repository_table("library")))  # doctest: +SKIP
            Name             Artifacts  Pulls  Last Modified Time
            library/busybox          1      0  2024-05-01 10:00 UTC
        """
        project = project or self.settings.project
        return [RepositoryRow.from_repository(r) for r in self.repositories(project)]

    def artifacts(self, project: str | None, repository: str, *, with_tag: bool = True) -> list[Artifact]:
        """Every artifact of a repository (all pages), with their tags.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.
            with_tag: include each artifact's tags.

        Returns:
            The artifacts, newest push first (Harbor's order).

        Raises:
            NotFoundError: no such repository.

        Example:
            >>> harbor.artifacts("library", "busybox")[0].tag_names  # doctest: +SKIP
            ('latest',)
        """
        project = project or self.settings.project
        return [Artifact.from_api(a) for a in self.api.iterate(
            self.api.list_artifacts, project, repository, with_tag=with_tag)]

    def project_artifacts(self, project: str | None = None, *, with_tag: bool = True,
                          workers: int = 4) -> dict[str, list[Artifact]]:
        """Every artifact of every repository of a project, in as few requests as Harbor allows.

        Harbor has no project-wide artifact list, so this reads the repository list (one
        request per 100 repositories), then each repository's artifacts (one request per
        100 artifacts), ``workers`` repositories at a time. A repository the list counts
        as empty (``artifact_count`` 0) is not asked.

        Edge cases: an artifact pushed into an empty repository while this runs can be
        missed, as with any list taken in pages. A server whose repository list omits
        ``artifact_count`` gets every repository asked. A repository deleted meanwhile
        raises ``NotFoundError``.

        Args:
            project: the project; the settings' project when None.
            with_tag: include each artifact's tags.
            workers: repositories listed at the same time (1: one after the other). The
                session's connection pool keeps 10 connections per host; more workers
                only wait for one.

        Returns:
            ``{"project/name": [artifacts, newest push first]}``, in the order of the
            repository list.

        Raises:
            ProjectNotFound: no such project (admins; others get the 403 of :meth:`project`).
            ValueError: ``workers`` is less than 1.

        Example:
            >>> listing = harbor.project_artifacts("library")  # doctest: +SKIP
            >>> [a.tag_names for a in listing["library/busybox"]]  # doctest: +SKIP
            [('latest',)]
        """
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        project = project or self.settings.project
        repositories = self.repositories(project)
        listing: dict[str, list[Artifact]] = {r.name: [] for r in repositories}
        wanted = [r.name for r in repositories if r.raw.get("artifact_count") != 0]

        def artifacts(name: str) -> list[Artifact]:
            return self.artifacts(project, name, with_tag=with_tag)

        if workers == 1 or len(wanted) < 2:
            found = [artifacts(name) for name in wanted]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(workers, len(wanted))) as pool:
                found = list(pool.map(artifacts, wanted))
        listing.update(zip(wanted, found))
        return listing

    def artifact(self, project: str | None, repository: str, reference: str) -> Artifact:
        """One artifact, by tag or digest.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.
            reference: a tag or a ``sha256:`` digest.

        Returns:
            The artifact, with its tags.

        Raises:
            NotFoundError: no such artifact.

        Example:
            >>> harbor.artifact("library", "busybox", "latest").digest[:7]  # doctest: +SKIP
            'sha256:'
        """
        project = project or self.settings.project
        return Artifact.from_api(self.api.get_artifact(project, repository, reference))

    def tags(self, project: str | None, repository: str, reference: str | None = None) -> list[Tag]:
        """Tags of one artifact, or of the whole repository.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.
            reference: an artifact's tag or digest; None for every tag in the repository
                (read from the artifact list, one request per 100 artifacts).

        Returns:
            The tags.

        Raises:
            NotFoundError: no such repository or artifact.

        Example:
            >>> [t.name for t in harbor.tags("library", "busybox")]  # doctest: +SKIP
            ['latest', 'v1']
        """
        project = project or self.settings.project
        if reference is None:
            return [tag for artifact in self.artifacts(project, repository) for tag in artifact.tags]
        return [Tag.from_api(t) for t in self.api.iterate(
            self.api.list_tags, project, repository, reference)]

    def add_tag(self, project: str | None, repository: str, reference: str, tag: str) -> None:
        """Add a tag to an existing artifact, server-side (no pull, no push).

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.
            reference: the artifact's current tag or digest.
            tag: the new tag.

        Raises:
            InvalidReference: ``tag`` breaks Docker's tag rule (checked before sending).
            RegistryError: the tag already exists in the repository (409).
            PushDenied: no role that allows tagging.

        Example:
            >>> harbor.add_tag("library", "busybox", "latest", "v1")  # doctest: +SKIP
        """
        project = project or self.settings.project
        self.api.create_tag(project, repository, reference, validate_tag(tag))

    def delete_tag(self, project: str | None, repository: str, tag: str) -> None:
        """Remove one tag; the artifact and its other tags stay.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.
            tag: the tag to remove.

        Raises:
            NotFoundError: no such tag.
            PushDenied: no role that allows it.

        Example:
            >>> harbor.delete_tag("library", "busybox", "v1")  # doctest: +SKIP
        """
        project = project or self.settings.project
        self.api.delete_tag(project, repository, tag, tag)

    def delete_artifact(self, project: str | None, repository: str, reference: str) -> None:
        """Delete an artifact **and every tag on it**.

        Edge case: given a tag, Harbor deletes the artifact it points to, so other tags of
        the same image go too; use :meth:`delete_tag` to remove only a tag.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.
            reference: a tag or a digest.

        Raises:
            NotFoundError: no such artifact.
            RegistryError: a tag on it is immutable (412).

        Example:
            >>> harbor.delete_artifact("library", "busybox", "sha256:...")  # doctest: +SKIP
        """
        project = project or self.settings.project
        self.api.delete_artifact(project, repository, reference)

    # -- search and robots ---------------------------------------------------------

    def search(self, q: str) -> SearchResult:
        """Projects and repositories whose names contain ``q``.

        Args:
            q: the text to look for (not empty).

        Returns:
            The matches visible to this account.

        Raises:
            ValueError: ``q`` is empty (Harbor answers 422).

        Example:
            >>> [r.repository_name for r in harbor.search("busy").repositories]  # doctest: +SKIP
            ['library/busybox']
        """
        if not q:
            raise ValueError("search needs some text to look for")
        return SearchResult.from_api(self.api.search(q))

    def create_robot(self, name: str, project: str | None = None, *, push: bool = True,
                     duration_days: int = -1, description: str = "") -> RobotAccount:
        """Create a project robot account that can pull (and push), e.g. for CI.

        Args:
            name: the robot's short name; Harbor names it ``robot$<project>+<name>``.
            project: the project; the settings' project when None.
            push: grant push as well as pull.
            duration_days: days until it expires; -1 for never.
            description: free text shown in Harbor.

        Returns:
            The robot, with its secret wrapped (shown by Harbor only this once).

        Raises:
            PushDenied: this account may not manage robots in the project.
            RegistryError: a robot with that name exists (409).

        Example:
            >>> robot = harbor.create_robot("ci", "demo")  # doctest: +SKIP
            >>> robot.name  # doctest: +SKIP
            'robot$demo+ci'
        """
        project = project or self.settings.project
        access = [{"resource": "repository", "action": "pull"}]
        if push:
            access.append({"resource": "repository", "action": "push"})
        body = {"name": name, "description": description, "duration": duration_days,
                "level": "project", "disable": False,
                "permissions": [{"kind": "project", "namespace": project, "access": access}]}
        return RobotAccount.from_api(self.api.create_robot(body))

    def delete_robot(self, robot_id: int) -> None:
        """Delete a robot account; its secret stops working at once.

        Args:
            robot_id: the id Harbor gave it (:attr:`RobotAccount.id`).

        Raises:
            NotFoundError: no such robot (system admins; others get a 403 ``RegistryError``).
            PushDenied: this account may not manage the robot's project.

        Example:
            >>> harbor.delete_robot(robot.id)  # doctest: +SKIP
        """
        self.api.delete_robot(robot_id)

    # -- removal, users and members ------------------------------------------------------

    def repository(self, project: str | None, repository: str) -> Repository:
        """One repository, with its artifact count.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.

        Returns:
            The repository.

        Raises:
            NotFoundError: no such repository.

        Example:
            >>> harbor.repository("library", "busybox").name  # doctest: +SKIP
            'library/busybox'
        """
        project = project or self.settings.project
        return Repository.from_api(self.api.get_repository(project, repository))

    def delete_repository(self, project: str | None, repository: str) -> None:
        """Delete a repository with every artifact and tag in it.

        Args:
            project: the project; the settings' project when None.
            repository: ``busybox`` or ``library/busybox``.

        Raises:
            NotFoundError: no such repository.
            PushDenied: no role that allows deleting there.

        Example:
            >>> harbor.delete_repository("demo", "app")  # doctest: +SKIP
        """
        project = project or self.settings.project
        self.api.delete_repository(project, repository)

    def delete_project(self, name: str) -> None:
        """Delete an empty project (its members and robot accounts go with it).

        Args:
            name: the project name.

        Raises:
            ProjectNotFound: no such project.
            RegistryError: it still holds repositories (412): delete them first.
            PushDenied: only the project's admins and system admins may.

        Example:
            >>> harbor.delete_project("demo")  # doctest: +SKIP
        """
        self.api.delete_project(name)

    def create_user(self, username: str, password: str | Secret, *, email: str,
                    realname: str | None = None, comment: str = "") -> int:
        """Create a local Harbor user (system admins, database authentication only).

        Args:
            username: the login name.
            password: at least 8 characters with an uppercase letter, a lowercase letter
                and a digit (Harbor's rule).
            email: required by Harbor, and unique.
            realname: shown in Harbor's pages; the username when None.
            comment: at most 30 characters.

        Returns:
            The new user's id (read from ``Location``; 0 if Harbor sent none).

        Raises:
            RegistryError: Harbor refused a field (400) or the username or email is taken
                (409); the server's message says which.
            PushDenied: this account is not a system admin, or Harbor uses LDAP/OIDC.

        Example:
            >>> harbor.create_user("ann", "S3cretPass1", email="ann@example.com")  # doctest: +SKIP
            7
        """
        secret = password.reveal() if isinstance(password, Secret) else password
        answer = self.api.create_user({"username": username, "password": secret,
                                       "email": email, "realname": realname or username,
                                       "comment": comment})
        last = answer.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
        return int(last) if last.isdigit() else 0

    def user_names(self, text: str) -> list[str]:
        """Names of the users whose username contains ``text`` (every page).

        Args:
            text: the part of a name to look for (not empty).

        Returns:
            The usernames, in Harbor's order.

        Raises:
            ValueError: ``text`` is empty.

        Example:
            >>> harbor.user_names("learner")  # doctest: +SKIP
            ['learner', 'learner01']
        """
        if not text:
            raise ValueError("give some text to look for in usernames")
        return [str(u.get("username", "")) for u in self.api.iterate(self.api.search_users, text)]

    def add_member(self, project: str | None, username: str, role: str | int) -> bool:
        """Give a user a role in a project.

        Args:
            project: the project; the settings' project when None.
            username: the user.
            role: ``projectAdmin``, ``maintainer``, ``developer``, ``guest``,
                ``limitedGuest``, or Harbor's role id.

        Returns:
            True when added; False when the user already was a member (the role is then
            left as it was).

        Raises:
            ValueError: an unknown role name.
            NotFoundError: no such user.
            PushDenied: this account is not an admin of the project.

        Example:
            >>> harbor.add_member("demo", "ann", "developer")  # doctest: +SKIP
            True
        """
        project = project or self.settings.project
        role_id = role if isinstance(role, int) else ROLE_IDS.get(role)
        if role_id is None:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLE_IDS)}")
        try:
            self.api.create_project_member(project, role_id, username=username)
        except RegistryError as err:
            if err.status != 409:
                raise
            return False
        return True
