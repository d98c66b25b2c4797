"""Fixtures for the browser tests: the course's lab and Engine, JupyterLab, and Chromium.

- ``course``: what the notebooks expect, brought up as their first cell does
  (:func:`regkit.course.prepare`): the practice lab at ``127.0.0.1:8080`` (or the registry
  the ``REGKIT_*`` variables name) and a Docker Engine. Whatever it started is stopped at
  the end; what was already running is left alone.
- ``jupyter_lab``: ``jupyter lab`` on a free loopback port with a random token, serving a
  temporary copy of ``notebooks/`` and ``images/`` from its top, as ``make course`` serves
  the repository (so ``../images/`` links resolve). Saving never touches the repository. Its kernels import this checkout's regkit and get an empty
  ``DOCKER_CONFIG``.
- ``browser``: Debian's Chromium driven by Playwright, headless, with a fresh profile and
  no background networking. Playwright's own browser download is never used.
- ``notebook_page``: a new tab; its notebook's kernel is shut down afterwards.
- ``screenshots``: where pictures of our views go: ``$REGKIT_SCREENSHOTS`` (``make
  pictures`` sets it to ``images``), else a temporary folder.

A missing prerequisite (Playwright, Chromium, an Engine, a registry binary) skips locally
and fails in CI (:func:`tests.conftest.require`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.server import JupyterLabServer, jupyter_executable
from tests.conftest import require

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

    from regkit.course import Course
    from tests.browser.notebook import NotebookPage

ROOT = Path(__file__).resolve().parents[2]
# Without the networking flags Chromium keeps calling Google's services, which a closed
# network answers with a stream of refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 1000}
UI_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Credentials:
    """The account the course logs in with (from the environment or the lab's default)."""

    username: str
    password: str = field(repr=False)


def _copy_course(destination: Path) -> None:
    def skip(folder: str, names: list[str]) -> set[str]:
        # Kernel sockets and caches are not course files (and sockets cannot be copied).
        return {
            name for name in names
            if name in {"__pycache__", ".ipynb_checkpoints"}
            or not (stat.S_ISREG(mode := os.lstat(os.path.join(folder, name)).st_mode)
                    or stat.S_ISDIR(mode))
        }  # fmt: skip

    for part in ("notebooks", "images"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=skip)


@pytest.fixture(scope="session")
def course() -> Iterator[Course]:
    """The registry and Engine the notebooks use, as ``course.prepare()`` brings them up."""
    from regkit.course import default_settings, prepare
    from regkit.engine import Engine
    from regkit.errors import ServiceError
    from regkit.lab import running_lab
    from regkit.registry_server import find_registry_binary
    from regkit.settings import DEFAULT_URL

    if default_settings().url == DEFAULT_URL and running_lab() is None:
        try:
            find_registry_binary()
        except ServiceError as err:
            require(False, f"the practice lab needs a registry binary: {err}")
    can_start_engine = os.geteuid() == 0 and bool(
        shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin"))
    require(
        Engine().ping() or can_start_engine,
        "no Docker Engine: set DOCKER_HOST, start Docker, or run as root with dockerd "
        "installed (apt-get install docker.io) so regkit starts its private Engine",
    )
    prepared = prepare(quiet=True)
    try:
        yield prepared
    finally:
        prepared.stop_started()


@pytest.fixture(scope="session")
def credentials(course: Course) -> Credentials:
    """The username and password the registry form should be given."""
    from regkit.course import default_settings

    settings = default_settings()
    username, password = settings.username, settings.password
    require(username and password,
            "no account to log in with: set REGKIT_USERNAME and REGKIT_PASSWORD")
    assert username is not None and password is not None  # require() returned: both are set
    return Credentials(username, password.reveal())


@dataclass(frozen=True)
class JupyterLab:
    """The running JupyterLab, the notebooks copy it serves and the kernels' Docker config."""

    server: JupyterLabServer
    notebooks: Path
    docker_config: Path

    def reset_notebooks(self) -> None:
        """Put back the repository's notebooks, so what one test saved never reaches the next."""
        for copy in self.notebooks.glob("*.ipynb"):
            original = ROOT / "notebooks" / copy.name
            if original.is_file():
                shutil.copyfile(original, copy)
            else:
                copy.unlink()


@pytest.fixture(scope="session")
def jupyter_lab() -> Iterator[JupyterLab]:
    """``jupyter lab`` serving a temporary copy of the course, stopped with its kernels."""
    from regkit.course_runner import kernel_environment

    require(jupyter_executable().exists(),
            f"JupyterLab is not installed next to {jupyter_executable().parent}: make install")
    workdir = Path(tempfile.mkdtemp(prefix="rk-browser-"))
    try:
        course_copy = workdir / "course"
        _copy_course(course_copy)
        docker_config = workdir / "docker-config"
        docker_config.mkdir()
        state = workdir / "jupyter"
        state.mkdir()
        env = kernel_environment()
        env["DOCKER_CONFIG"] = str(docker_config)
        # The repository's layout, served from its top as `make course` does, so the
        # notebooks' ../images/ links resolve.
        server = JupyterLabServer(course_copy, state, env).start()
        try:
            yield JupyterLab(server, course_copy / "notebooks", docker_config)
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, with a fresh profile (one context for the session)."""
    require(importlib.util.find_spec("playwright") is not None,
            "Playwright is missing: pip install -e '.[test]' (never `playwright install`)")
    chromium = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")
    require(chromium, "Chromium is missing: apt-get install chromium (scripts/setup.sh test)")
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="rk-chromium-"))
    # Chromium keeps crash reports and scratch folders under XDG_CONFIG_HOME and
    # XDG_CACHE_HOME whatever the profile: point them into the folder removed at the end.
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            home / "profile", executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT, device_scale_factor=1, env=env,
        )
        try:
            context.set_default_timeout(UI_TIMEOUT_MS)
            yield context
        finally:
            context.close()
    finally:
        playwright.stop()
        shutil.rmtree(home, ignore_errors=True)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Lets notebook_page know, at teardown, whether the test itself failed.
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def notebook_page(
    request: pytest.FixtureRequest, course: Course, browser: BrowserContext,
    jupyter_lab: JupyterLab, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[NotebookPage]:
    """A new JupyterLab tab, with the course's registry and Engine up; afterwards the tab
    is closed, every kernel is shut down and the notebooks copy is put back.

    When the test fails, the page as it was and the server's log tail are kept in a
    pytest temporary folder named in the report.
    """
    from tests.browser.notebook import NotebookPage

    page = browser.new_page()
    try:
        yield NotebookPage(page, jupyter_lab.server)
        if request.node.stash.get(_CALL_FAILED, False):
            kept = tmp_path_factory.mktemp("failed-page")
            page.screenshot(path=kept / "page.png", full_page=True)
            (kept / "jupyterlab.log").write_text(jupyter_lab.server.log_tail(200))
            request.node.add_report_section(
                "teardown", "browser", f"the page and the server log are in {kept}")
    finally:
        page.close()
        jupyter_lab.server.shut_down_kernels()
        jupyter_lab.reset_notebooks()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder for screenshots: ``$REGKIT_SCREENSHOTS``, else a temporary one."""
    configured = os.environ.get("REGKIT_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
