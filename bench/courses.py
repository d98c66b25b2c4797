"""``course``: the whole ``regkit course run``, and each notebook's time (no peer).

The run targets the benchmark's own lab (``REGKIT_LAB_DIR``) and Engine (``DOCKER_HOST``),
never the course's default lab on port 8080; ``REGKIT_*`` registry variables are removed
from its environment so a real Harbor configured in the shell is not touched. busybox is
made present on the Engine first (untimed), so the time is the everyday one, not the
first-ever build.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from environment import REPO_ROOT, BenchEnvironment
from harness import Result

__all__ = ["measure_course"]

# "00_setup-check.ipynb                     ok      6.2 s"
_LINE = re.compile(r"^(?P<name>\d\d_\S+\.ipynb)\s+(?P<status>ok|FAILED)\s+(?P<seconds>[\d.]+) s$")
_CLEARED = ("REGKIT_REGISTRY_URL", "REGKIT_PROJECT", "REGKIT_USERNAME", "REGKIT_PASSWORD",
            "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY")
_TIMEOUT = 1800


def measure_course(env: BenchEnvironment, *, only: tuple[str, ...] = ()) -> Result:
    """Time ``regkit course run --output TMP`` once against the benchmark's lab."""
    engine = env.engine()
    try:
        engine.ensure_busybox("busybox:latest")
    finally:
        engine.close()
    output = env.root / "course-output"
    environ = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environ.update(REGKIT_LAB_DIR=str(env.lab.data_dir), DOCKER_HOST=env.docker_host)
    script = Path(sys.executable).with_name("regkit")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "regkit.cli"]
    command += ["course", "run", "--output", str(output)]
    for prefix in only:
        command += ["--only", prefix]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, env=environ, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    seconds = time.perf_counter() - started
    notebooks: dict[str, float] = {}
    failed: list[str] = []
    current = ""
    for line in done.stdout.splitlines():
        match = _LINE.match(line.strip())
        if match:
            current = match["name"]
            notebooks[current] = float(match["seconds"])
            if match["status"] == "FAILED":
                failed.append(current)
        elif line.startswith("    ") and failed and failed[-1] == current:
            # The runner prints the failing cell and its error indented under the name.
            failed[-1] += f" ({line.strip()[:300]})"
    result = Result("course", seconds, None, "s", 1,
                    what=f"regkit course run, {len(notebooks)} notebook(s), no peer",
                    extra={"notebooks": notebooks})
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        result.error = f"exit {done.returncode}: {', '.join(failed) or tail}"
    return result
