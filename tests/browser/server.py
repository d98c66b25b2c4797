"""A JupyterLab server for the browser tests: started on a free port, stopped with its kernels.

The server runs on loopback with a random token, serves a folder the test owns (a copy of
the course, so saving a notebook never touches the repository) and keeps everything it
writes out of the user's home: its config folder, user settings, workspaces and runtime
files (kernel connection files) live in a temporary state folder, so no setting of the
person running the tests changes what is tested. The site-wide settings override that
``scripts/setup.sh`` writes into the venv still applies, which is what the tests check.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

# The news toast would cover the notebook and, once accepted, fetch a feed from the internet.
_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jupyter_executable() -> Path:
    """The ``jupyter`` command of the interpreter running the tests (the course's venv)."""
    return Path(sys.executable).with_name("jupyter")


def settings_overrides() -> Path:
    """Where JupyterLab reads site-wide settings overrides in this environment."""
    return Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


class JupyterLabServer:
    """``jupyter lab`` serving ``root_dir``, with its state kept under ``state_dir``.

    Args:
        root_dir: the folder the server shows (notebooks are opened relative to it).
        state_dir: an empty folder for the server's log, user settings, workspaces and
            runtime files; the caller removes it.
        env: the environment the server and its kernels inherit.
    """

    def __init__(self, root_dir: Path, state_dir: Path, env: dict[str, str]) -> None:
        self.root_dir = root_dir
        self.state_dir = state_dir
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.log_path = state_dir / "jupyterlab.log"
        self.settings_dir = state_dir / "user-settings"
        self.runtime_dir = state_dir / "runtime"
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL (no token)."""
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str) -> str:
        """The browser URL that opens ``path`` (relative to ``root_dir``) in JupyterLab.

        ``reset`` empties the workspace first: JupyterLab would otherwise reopen every
        notebook an earlier page had open, each with its own kernel.
        """
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def command(self) -> list[str]:
        """The command line (the token goes through ``JUPYTER_TOKEN``, never on it)."""
        return [
            str(jupyter_executable()), "lab", "--no-browser", "--allow-root",
            f"--ServerApp.port={self.port}",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.port_retries=0",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip

    def start(self) -> JupyterLabServer:
        """Start the server and wait until its API answers.

        Raises:
            RuntimeError: the server exited or did not answer in time (with its log tail).
        """
        for name, values in _USER_SETTINGS.items():
            path = self.settings_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(self._env)
        env.update({
            "JUPYTERLAB_SETTINGS_DIR": str(self.settings_dir),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state_dir / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.runtime_dir),
            "JUPYTER_CONFIG_DIR": str(self.state_dir / "config"),
            "JUPYTER_TOKEN": self.token,
        })  # fmt: skip
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, cwd=self.root_dir, start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited while starting:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer in {_START_TIMEOUT:g}s:\n{self.log_tail()}")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API with the token; returns the decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def shut_down_kernels(self) -> None:
        """End every notebook session (and its kernel), so the next test starts afresh."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _kernel_pids(self) -> list[int]:
        """Kernels this server started: their command line names a connection file of ours."""
        marker = str(self.runtime_dir).encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if marker in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    def stop(self) -> None:
        """Shut the server down through its API (it ends its kernels), else by signal.

        Kernels run in their own sessions, so a signal to the server would miss them:
        any kernel still alive afterwards (found by our runtime folder on its command
        line) is ended by its pid.
        """
        process, self._process = self._process, None
        if process is None:
            return
        try:
            self.api("POST", "/api/shutdown")
        except OSError:  # already gone, or not answering: the signals below handle it
            pass
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid in self._kernel_pids() if Path("/proc").is_dir() else []:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
