"""Alternating runs, medians and the printed results of the benchmarks.

A measurement runs its two sides in turn (ours, peer, ours, peer ...) so that whatever
drifts during a run (a busy neighbour, a cache warming up, a disk filling) hits both
sides alike, then compares the medians. Every loop here is bounded twice: by a number
of runs and by a time budget, whichever ends first (one pair always runs).

Example:
    >>> result = alternate("demo", lambda: 2.0, lambda: 4.0, runs=3, budget=60)
    >>> (result.ours, result.peer, result.ratio, result.runs)
    (2.0, 4.0, 0.5, 3)
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["Result", "alternate", "format_table", "timed"]


@dataclass
class Result:
    """One measurement, as printed on its JSON line.

    Attributes:
        name: the measurement (``push``, ``lab_push`` ...).
        ours: regkit's median (seconds unless ``unit`` says otherwise).
        peer: the peer's median, None when there is no peer.
        unit: the unit of ``ours`` and ``peer``.
        runs: how many runs each side had.
        what: one line saying what ours and peer are.
        extra: anything else worth keeping (request counts, per-notebook times, each run).
        error: why the measurement could not be taken, if it could not.
    """

    name: str
    ours: float | None
    peer: float | None
    unit: str
    runs: int
    what: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        """ours / peer, None without a peer (or with a zero peer)."""
        if self.ours is None or not self.peer:
            return None
        return self.ours / self.peer

    def as_dict(self) -> dict[str, Any]:
        """The JSON line: the required keys first, then ``what``, ``extra`` and ``error``."""
        line: dict[str, Any] = {
            "name": self.name,
            "ours": _rounded(self.ours),
            "peer": _rounded(self.peer),
            "unit": self.unit,
            "ratio": _rounded(self.ratio),
            "runs": self.runs,
            "what": self.what,
        }
        line.update(self.extra)
        if self.error:
            line["error"] = self.error
        return line

    def json(self) -> str:
        """The result as one line of JSON."""
        return json.dumps(self.as_dict())


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def timed(action: Callable[[], Any]) -> float:
    """Seconds ``action()`` took (wall clock, monotonic)."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def alternate(
    name: str,
    ours: Callable[[], float],
    peer: Callable[[], float],
    *,
    runs: int,
    budget: float,
    unit: str = "s",
    what: str = "",
    warmup: bool = False,
) -> Result:
    """Run ``ours`` and ``peer`` in turn and compare their medians.

    Each callable returns the value of one run (usually seconds it measured itself, so
    set-up outside the measured part is not counted). The pair order is fixed (ours
    first), which is what "alternating" means here: consecutive runs of one side never
    follow each other.

    Args:
        name: the measurement's name.
        ours: one run of regkit's side.
        peer: one run of the peer's side.
        runs: runs per side, at most.
        budget: seconds after which no new pair starts (one pair always runs).
        unit: the unit of the values.
        what: the one-line description printed with the result.
        warmup: run one unmeasured pair first (connection pools, page cache).

    Returns:
        The result, with every run's value in ``extra``.
    """
    if warmup:
        ours()
        peer()
    ours_values: list[float] = []
    peer_values: list[float] = []
    deadline = time.monotonic() + budget
    for _ in range(max(1, runs)):
        ours_values.append(ours())
        peer_values.append(peer())
        if time.monotonic() > deadline:
            break
    return Result(
        name=name,
        ours=statistics.median(ours_values),
        peer=statistics.median(peer_values),
        unit=unit,
        runs=len(ours_values),
        what=what,
        extra={"ours_runs": [_rounded(v) for v in ours_values],
               "peer_runs": [_rounded(v) for v in peer_values]},
    )


def format_table(results: Iterable[Result]) -> str:
    """The human table printed after the JSON lines.

    Args:
        results: the measurements, in the order they ran.

    Returns:
        A Markdown table (it reads well in a terminal and pastes into the README).
    """
    rows = [("measurement", "regkit", "peer", "ratio", "runs", "what")]
    for result in results:
        if result.error:
            rows.append((result.name, "-", "-", "-", str(result.runs), f"FAILED: {result.error}"))
            continue
        rows.append((
            result.name,
            _value(result.ours, result.unit),
            _value(result.peer, result.unit),
            "-" if result.ratio is None else f"{result.ratio:.2f}",
            str(result.runs),
            result.what,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if index == 0:
            lines.append("| " + " | ".join("-" * width for width in widths) + " |")
    return "\n".join(lines)


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.3g} {unit}"
