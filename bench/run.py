"""Run regkit's benchmarks: each measurement side by side with its peer, in one run.

Usage::

    .venv/bin/python bench/run.py [--quick] [--json] [--only NAME ...]

Prints one JSON object per line and measurement (``name``, ``ours``, ``peer``, ``unit``,
``ratio`` = ours / peer, ``runs``, then details), and a table at the end unless ``--json``.
Everything it needs is started here, on loopback, and stopped before it exits: an Engine
(``DOCKER_HOST`` when it answers, else a private ``dockerd``), the practice lab on a free
port and a bare registry, all under one temporary directory. Timings are medians of
alternating runs (ours, peer, ours, peer ...). Nothing here asserts a timing: these are
numbers to read, not tests.

``--quick`` takes fewer runs and 4 MiB layers (about a minute); the full run uses 16 MiB
layers and more runs (a few minutes on two cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from environment import BenchEnvironment  # noqa: E402
from harness import Result, format_table  # noqa: E402

MEASUREMENTS = ("import", "lab_start", "harbor_list", "push", "lab_push", "course")


@dataclass(frozen=True)
class Plan:
    """How much each measurement does (the full run, or ``--quick``)."""

    runs: int
    push_runs: int
    layer_size: int
    layers: int
    repositories: int
    budget: float
    course_only: tuple[str, ...]


FULL = Plan(runs=9, push_runs=7, layer_size=16 << 20, layers=3, repositories=300,
            budget=240, course_only=())
QUICK = Plan(runs=5, push_runs=3, layer_size=4 << 20, layers=3, repositories=300,
             budget=30, course_only=("00",))


def _measurements(env: BenchEnvironment, plan: Plan) -> dict[str, Callable[[], Result]]:
    from courses import measure_course
    from harbor_list import measure_harbor_list
    from pushes import measure_lab_push, measure_push
    from startup import measure_import, measure_lab_start

    return {
        "import": lambda: measure_import(runs=plan.runs * 2, budget=plan.budget),
        "lab_start": lambda: measure_lab_start(env, runs=plan.runs, budget=plan.budget),
        "harbor_list": lambda: measure_harbor_list(env, repositories=plan.repositories,
                                                   runs=plan.runs, budget=plan.budget),
        "push": lambda: measure_push(env, runs=plan.push_runs, layers=plan.layers,
                                     size=plan.layer_size, budget=plan.budget),
        "lab_push": lambda: measure_lab_push(env, runs=plan.push_runs, layers=plan.layers,
                                             size=plan.layer_size, budget=plan.budget),
        "course": lambda: measure_course(env, only=plan.course_only),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the measurements, print the results.

    Returns:
        0 when every measurement was taken, 1 when one failed (it is still printed, with
        its error).
    """
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer runs and smaller layers (about a minute)")
    parser.add_argument("--json", action="store_true", help="print only the JSON lines")
    parser.add_argument("--only", action="append", choices=MEASUREMENTS, metavar="NAME",
                        help=f"run only this measurement (repeatable): {', '.join(MEASUREMENTS)}")
    args = parser.parse_args(argv)
    # A plain SIGTERM would skip the clean-up and leave a private dockerd running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    plan = QUICK if args.quick else FULL
    chosen = [name for name in MEASUREMENTS if not args.only or name in args.only]
    results: list[Result] = []
    started = time.monotonic()
    with BenchEnvironment() as env:
        measurements = _measurements(env, plan)
        for name in chosen:
            try:
                result = measurements[name]()
            except Exception as err:  # one broken measurement must not hide the others
                if not args.json:
                    traceback.print_exc(file=sys.stderr)
                result = Result(name, None, None, "s", 0, error=f"{type(err).__name__}: {err}")
            results.append(result)
            print(result.json(), flush=True)
        engine_source = env.engine_source
        versions = "" if args.json else env.versions()
    if not args.json:
        print()
        print(format_table(results))
        print(f"\n{time.strftime('%Y-%m-%d')}, {_machine()}; Engine: "
              f"{engine_source or 'not used'}{f' ({versions})' if versions else ''}; "
              f"{'quick' if args.quick else 'full'} run in {time.monotonic() - started:.0f} s")
    return 1 if any(result.error for result in results) else 0


def _machine() -> str:
    return (f"nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


if __name__ == "__main__":
    sys.exit(main())
