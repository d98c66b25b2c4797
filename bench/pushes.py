"""``push`` and ``lab_push``: a three-layer image of fresh random content, pushed.

* ``push``: :meth:`regkit.engine.Engine.push` against ``docker push`` (the CLI, with
  ``DOCKER_HOST`` at the same Engine), both to the same bare anonymous registry. Each
  regkit run uses a new ``Engine`` object (connection and API version negotiated again),
  as each CLI run is a new process.
* ``lab_push``: the same ``Engine.push`` through the practice lab (admin account: token
  service, Harbor's checks, the proxy, the push recorded in the lab's database) against
  the same push straight to the registry *behind that lab* (its own htpasswd account,
  read from the lab's data directory). Same registry process, same storage, same
  htpasswd check on every request: the difference is exactly what the lab adds. A second
  registry with an identical config would also differ in its storage state and its
  place in the page cache.

Only the push is timed; building the image and removing it are not.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

from environment import BenchEnvironment, docker_cli
from harness import Result, alternate, timed
from images import fresh_image

if TYPE_CHECKING:
    from regkit.settings import RegistrySettings

__all__ = ["measure_lab_push", "measure_push"]


def _engine_push(env: BenchEnvironment, reference: str,
                 settings: RegistrySettings | None = None) -> float:
    engine = env.engine()
    try:
        return timed(lambda: engine.push(reference, settings=settings))
    finally:
        engine.close()


def _cli_push(env: BenchEnvironment, reference: str) -> float:
    command = [docker_cli(), "push", reference]
    environ = {**os.environ, "DOCKER_HOST": env.docker_host}

    def push() -> None:
        done = subprocess.run(command, env=environ, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"docker push failed: {(done.stderr or done.stdout).strip()}")

    return timed(push)


def measure_push(env: BenchEnvironment, *, runs: int, layers: int, size: int,
                 budget: float) -> Result:
    """Engine.push against ``docker push``, to one bare registry."""
    builder = env.engine()
    name = f"{env.registry.address}/bench/push"

    def ours() -> float:
        with fresh_image(builder, name, layers=layers, size=size) as reference:
            return _engine_push(env, reference)

    def peer() -> float:
        with fresh_image(builder, name, layers=layers, size=size) as reference:
            return _cli_push(env, reference)

    try:
        result = alternate(
            "push", ours, peer, runs=runs, budget=budget,
            what=f"Engine.push vs docker push CLI, {layers} fresh {size >> 20} MiB layers, "
            "bare registry",
        )
    finally:
        builder.close()
    result.extra["layer_bytes"] = size
    return result


def measure_lab_push(env: BenchEnvironment, *, runs: int, layers: int, size: int,
                     budget: float) -> Result:
    """Engine.push through the lab against Engine.push to the registry behind it."""
    builder = env.engine()
    lab_settings = env.lab_settings()
    backend = env.lab_backend.settings()

    def ours() -> float:
        with fresh_image(builder, lab_settings.image("labpush"), layers=layers,
                         size=size) as reference:
            return _engine_push(env, reference, lab_settings)

    def peer() -> float:
        with fresh_image(builder, backend.image("labpush"), layers=layers,
                         size=size) as reference:
            return _engine_push(env, reference, backend)

    try:
        result = alternate(
            "lab_push", ours, peer, runs=runs, budget=budget,
            what=f"Engine.push through the lab vs to the lab's own registry, {layers} fresh "
            f"{size >> 20} MiB layers",
        )
    finally:
        builder.close()
    result.extra["layer_bytes"] = size
    return result
