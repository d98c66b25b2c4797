"""``import`` and ``lab_start``: how long regkit makes a person wait before anything happens.

* ``import``: ``import regkit`` against ``import docker``, each in a fresh interpreter with
  ``-X importtime``; the value is the package's cumulative import time (interpreter start
  is the same for both and is left out).
* ``lab_start``: ``regkit lab up`` (the CLI: it returns once the lab answers) against the
  bare ``docker-registry serve`` process until ``GET /v2/`` answers. Both start from a
  data directory a first, untimed start prepared (the lab's database, token key and
  registry config exist; the registry's config exists), which is the everyday case; the
  lab is stopped with ``regkit lab down`` after each run, untimed.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from environment import REPO_ROOT, BenchEnvironment
from harness import Result, alternate, timed

__all__ = ["measure_import", "measure_lab_start"]

_POLL = 0.005
_START_TIMEOUT = 30


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def import_seconds(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter, in seconds."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                          capture_output=True, text=True, env=_child_environment(),
                          cwd=REPO_ROOT, timeout=60, check=True)
    for line in reversed(done.stderr.splitlines()):
        # "import time:   self [us] | cumulative | imported package"; the package itself
        # is the last line naming it without indentation.
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6
    raise RuntimeError(f"no import time line for {module}: {done.stderr[-500:]}")


def measure_import(*, runs: int, budget: float) -> Result:
    """``import regkit`` against ``import docker``."""
    return alternate("import", lambda: import_seconds("regkit"), lambda: import_seconds("docker"),
                     runs=runs, budget=budget,
                     what="import regkit vs import docker (-X importtime, fresh interpreters)")


def _regkit_cli() -> list[str]:
    script = Path(sys.executable).with_name("regkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "regkit.cli"]


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/v2/")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _lab(data_dir: Path, *action: str) -> float:
    def run() -> None:
        subprocess.run([*_regkit_cli(), "lab", *action, "--data-dir", str(data_dir)],
                       env=_child_environment(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=_START_TIMEOUT * 2, check=True)

    return timed(run)


def _bare_registry(binary: str, config: Path, port: int) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([binary, "serve", str(config)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"docker-registry exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("docker-registry did not answer in time")
            time.sleep(_POLL)
        return time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_lab_start(env: BenchEnvironment, *, runs: int, budget: float) -> Result:
    """``regkit lab up`` against ``docker-registry serve``, both until they answer."""
    from regkit.registry_server import RegistryServer, find_registry_binary

    lab_dir = env.root / "lab-start"
    registry = RegistryServer(env.root / "registry-start")
    registry.start()  # writes config.yml and storage/, and picks a free port
    registry.stop()
    binary = find_registry_binary()
    _lab(lab_dir, "up", "--port", "0")
    _lab(lab_dir, "down")

    def ours() -> float:
        try:
            return _lab(lab_dir, "up", "--port", "0")
        finally:
            _lab(lab_dir, "down")

    return alternate(
        "lab_start", ours, lambda: _bare_registry(binary, registry.config_path, registry.port),
        runs=runs, budget=budget,
        what="regkit lab up (CLI, until it answers) vs docker-registry serve until /v2/ answers",
    )
