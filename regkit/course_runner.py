"""Run the course's notebooks headless, in order, the way CI and ``make run`` do.

``regkit course run`` executes every ``notebooks/NN_*.ipynb`` with nbclient in a kernel of
the interpreter running regkit (never a kernelspec that might point at another
environment), in the notebook's own folder, and writes the executed notebook and an HTML
page for each into the output folder. ``--in-place`` writes the fresh outputs back into
the notebooks instead: that is how the stored outputs nbval checks are refreshed.

Before the first notebook it brings up what the notebooks need through the same path a
notebook's first cell takes (:func:`regkit.course.prepare`), so kernels find the practice
lab and the Engine already running; whatever it started, it stops at the end.

Widget state is never stored (``store_widget_state=False``) and widget views are dropped
from the written outputs: with no state saved they could only render as "model not
found", while their plain-text form reads well and is what nbval compares.

Example:
    >>> from regkit.course_runner import run_course
    >>> report = run_course("notebooks", output="_output", only=["00"])  # doctest: +SKIP
    00_setup-check.ipynb                     ok    6.2 s
    >>> report.ok  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import nbformat
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from regkit.errors import ServiceError, SettingsError

__all__ = [
    "CURRENT_ENV_KERNEL",
    "CellFailure",
    "CourseReport",
    "NotebookResult",
    "execute_notebook",
    "find_notebooks",
    "kernel_environment",
    "normalise",
    "run_course",
    "write_html",
]

CURRENT_ENV_KERNEL = "regkit-current-env"
"""Kernel name that always means "this interpreter", whatever kernelspecs are installed."""

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
"""The kernelspec every stored notebook carries, so Jupyter opens it with the default kernel."""

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
"""The folder holding this ``regkit`` package (the repository root in a checkout)."""

_NOTEBOOK_NAME = re.compile(r"^(\d{2})_[\w.-]+\.ipynb$")
_DEFAULT_CELL_TIMEOUT = 600


class _CurrentEnvKernelSpecs(KernelSpecManager):
    """Kernelspecs plus one that runs ipykernel with ``sys.executable``."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == CURRENT_ENV_KERNEL:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python ({sys.executable})",
                language="python",
            )
        return super().get_kernel_spec(kernel_name)


class _CurrentEnvKernelManager(AsyncKernelManager):
    """A kernel of this interpreter, reached over unix sockets instead of TCP.

    A local kernel needs no TCP port: sockets in Jupyter's runtime folder are private to
    this user (and ipykernel warns about unencrypted TCP). Their path must be absolute,
    since the kernel runs in the notebook's folder.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_spec_manager", _CurrentEnvKernelSpecs())
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", str(_runtime_dir() / f"regkit-kernel-{uuid.uuid4().hex[:12]}-ipc"))
        super().__init__(**kwargs)


@dataclass(frozen=True)
class CellFailure:
    """Where and why a notebook stopped.

    Attributes:
        cell: 1-based position of the failing cell in the notebook (markdown cells count,
            as in JupyterLab's cell list).
        first_line: the first non-empty line of the cell's source.
        error: the error's text, ``Name: message`` (a ``RegkitError`` brings its fix).

    Example:
        >>> print(CellFailure(4, "course.login(course)", "AuthenticationError: bad"))
        cell 4 `course.login(course)`: AuthenticationError: bad
    """

    cell: int
    first_line: str
    error: str

    def __str__(self) -> str:
        return f"cell {self.cell} `{self.first_line}`: {self.error}"


@dataclass
class NotebookResult:
    """The outcome of one notebook.

    Attributes:
        path: the source notebook.
        seconds: wall-clock execution time.
        failure: None when every cell ran; else the failing cell.
        executed: where the executed notebook was written (None with ``--in-place`` on
            failure, since a failed run never overwrites a notebook).
        html: where its HTML page was written, if any.

    Example:
        >>> NotebookResult(Path("notebooks/00_a.ipynb"), 1.5).ok
        True
    """

    path: Path
    seconds: float
    failure: CellFailure | None = None
    executed: Path | None = None
    html: Path | None = None

    @property
    def ok(self) -> bool:
        """True when the notebook ran without error."""
        return self.failure is None

    def line(self) -> str:
        """The one progress line printed for this notebook."""
        status = "ok" if self.ok else "FAILED"
        return f"{self.path.name:<40} {status:<6} {self.seconds:5.1f} s"


@dataclass
class CourseReport:
    """Everything ``run_course`` did.

    Attributes:
        results: one entry per notebook, in the order they ran.
        started: what was started for the run (and stopped after it), e.g. ``["practice lab"]``.

    Example:
        >>> CourseReport().ok
        True
    """

    results: list[NotebookResult] = field(default_factory=list)
    started: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every notebook ran."""
        return all(result.ok for result in self.results)

    @property
    def first_failure(self) -> NotebookResult | None:
        """The first notebook that failed, or None."""
        return next((result for result in self.results if not result.ok), None)


def find_notebooks(folder: str | os.PathLike[str], only: Iterable[str] | None = None) -> list[Path]:
    """The course notebooks in a folder, in course order.

    Args:
        folder: the folder holding ``NN_slug.ipynb`` files.
        only: two-digit prefixes to keep (``["00", "07"]``); all when None or empty.

    Returns:
        The matching paths, sorted by name (so by ``NN``).

    Raises:
        SettingsError: the folder does not exist, holds no ``NN_*.ipynb``, or a prefix in
            ``only`` matches no notebook.

    Example:
        >>> [p.name for p in find_notebooks("notebooks", ["00"])]  # doctest: +SKIP
        ['00_setup-check.ipynb']
    """
    root = Path(folder)
    if not root.is_dir():
        raise SettingsError(
            f"no notebook folder at {root}",
            hint="pass --notebooks with the folder holding the NN_*.ipynb files",
        )
    found = sorted(p for p in root.iterdir() if _NOTEBOOK_NAME.match(p.name))
    if not found:
        raise SettingsError(f"no NN_*.ipynb notebook in {root}", hint="check --notebooks")
    wanted = [prefix.strip() for prefix in (only or []) if prefix.strip()]
    if not wanted:
        return found
    prefixes = {_NOTEBOOK_NAME.match(p.name).group(1) for p in found}  # type: ignore[union-attr]
    missing = [prefix for prefix in wanted if prefix not in prefixes]
    if missing:
        raise SettingsError(
            f"no notebook numbered {', '.join(missing)} in {root}",
            hint=f"use one of: {', '.join(sorted(prefixes))}",
        )
    return [p for p in found if _NOTEBOOK_NAME.match(p.name).group(1) in wanted]  # type: ignore[union-attr]


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make an executed notebook fit to store: no widget state, one kernelspec, no churn.

    Removes ``metadata.widgets`` (it would hold every widget's value, the Password
    widget's included), sets the kernelspec to ``python3``, drops the interpreter's
    version from ``language_info`` and drops widget views from outputs (keeping their
    plain-text form, which nbval compares and readers see). The notebook is changed in
    place.

    Args:
        nb: an executed notebook.

    Returns:
        The same notebook, for chaining.

    Example:
        >>> nb = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
        >>> "widgets" in normalise(nb).metadata
        False
    """
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    language = nb.metadata.get("language_info")
    if isinstance(language, dict):
        language.pop("version", None)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept
    return nb


def kernel_environment() -> dict[str, str]:
    """The environment for notebook kernels: this one, importing this very regkit first.

    The kernel starts in the notebook's folder, where ``import regkit`` would otherwise
    depend on how (or whether) regkit is installed; putting the folder that holds this
    ``regkit`` package first on ``PYTHONPATH`` makes the kernel run the code the runner
    (or the test session) runs.

    Returns:
        A copy of ``os.environ`` with ``PYTHONPATH`` extended.

    Example:
        >>> kernel_environment()["PYTHONPATH"].split(os.pathsep)[0] == str(PACKAGE_ROOT)
        True
    """
    env = dict(os.environ)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(PACKAGE_ROOT)]
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *rest])
    return env


def _runtime_dir() -> Path:
    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True)
    return runtime


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return ""


def execute_notebook(
    path: str | os.PathLike[str], *, timeout: int = _DEFAULT_CELL_TIMEOUT
) -> tuple[nbformat.NotebookNode, CellFailure | None]:
    """Execute one notebook headless in a kernel of the current interpreter.

    The kernel starts in the notebook's folder; stdin is not available (a cell asking for
    input fails, as it would in CI). Widget state is not stored.

    Args:
        path: the notebook.
        timeout: seconds each cell may run.

    Returns:
        The executed notebook (up to and including the failing cell on failure) and the
        failure, or None when every cell ran.

    Raises:
        SettingsError: the file is not a readable notebook.
        ServiceError: the kernel did not start (before any cell ran).

    Example:
        >>> nb, failure = execute_notebook("notebooks/00_setup-check.ipynb")  # doctest: +SKIP
        >>> failure is None  # doctest: +SKIP
        True
    """
    source = Path(path)
    try:
        nb = nbformat.read(source, as_version=4)
    except (OSError, ValueError) as err:
        raise SettingsError(f"cannot read notebook {source}: {err}",
                            hint="restore it from git (`git checkout -- notebooks/`), or name "
                                 "the notebooks folder with --notebooks") from err
    current: dict[str, Any] = {}

    def on_cell_start(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=CURRENT_ENV_KERNEL,
        # A manager class rather than an instance: nbclient shuts down only kernels whose
        # manager it made itself.
        kernel_manager_class=_CurrentEnvKernelManager,
        resources={"metadata": {"path": str(source.parent.absolute())}},
        store_widget_state=False,
        record_timing=False,
        allow_errors=False,
        on_cell_start=on_cell_start,
    )
    try:
        client.execute(env=kernel_environment())
    except CellExecutionError as err:
        return nb, _failure(nb, current, f"{err.ename}: {err.evalue}")
    except CellTimeoutError:
        return nb, _failure(nb, current, f"the cell ran longer than {timeout} s (timeout)")
    except DeadKernelError as err:
        return nb, _failure(nb, current, f"the kernel died: {err}")
    except RuntimeError as err:
        if "index" in current:
            raise
        # No cell ran: the kernel itself could not start, and would not for any notebook.
        raise ServiceError(
            f"the notebook kernel did not start for {source.name}: {err}",
            operation=f"{sys.executable} -m ipykernel_launcher",
            hint=f"check that ipykernel is installed: {sys.executable} -m pip install ipykernel",
        ) from err
    return nb, None


def _failure(nb: nbformat.NotebookNode, current: dict[str, Any], error: str) -> CellFailure:
    index = current.get("index", 0)
    source = nb.cells[index].source if index < len(nb.cells) else ""
    return CellFailure(index + 1, _first_line(source), error.strip())


def write_html(nb: nbformat.NotebookNode, target: Path) -> Path:
    """Write a notebook as a standalone HTML page (nbconvert's ``lab`` template).

    Args:
        nb: the notebook (executed).
        target: the ``.html`` file to write.

    Returns:
        ``target``.

    Example:
        >>> write_html(nbformat.v4.new_notebook(), Path("/tmp/empty.html")).suffix  # doctest: +SKIP
        '.html'
    """
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")
    return target


def run_course(
    notebooks: str | os.PathLike[str] = "notebooks",
    *,
    output: str | os.PathLike[str] = "_output",
    in_place: bool = False,
    only: Sequence[str] | None = None,
    timeout: int = _DEFAULT_CELL_TIMEOUT,
    stream: TextIO | None = None,
) -> CourseReport:
    """Execute the course notebooks in order, one kernel each, and write the results.

    Every notebook runs even when an earlier one failed (each brings its own state in its
    first cell), so one run lists every broken notebook.

    Args:
        notebooks: the folder holding ``NN_*.ipynb``.
        output: the folder for executed notebooks and HTML pages (created); HTML pages are
            written there with ``in_place`` too.
        in_place: write the fresh outputs back into the notebooks (normalised; only for
            notebooks that ran without error) instead of into ``output``.
        only: two-digit prefixes of the notebooks to run; all when None.
        timeout: seconds each cell may run.
        stream: where progress lines go (``sys.stdout`` when None).

    Returns:
        The report: one result per notebook, and what was started for the run.

    Raises:
        SettingsError: no notebooks found (see :func:`find_notebooks`).
        RegkitError: the practice lab or an Engine was needed and could not be started.

    Example:
        >>> run_course("notebooks", only=["00"]).ok  # doctest: +SKIP
        00_setup-check.ipynb                     ok    6.2 s
        True
    """
    from regkit.course import prepare

    out = stream or sys.stdout
    paths = find_notebooks(notebooks, only)
    target = Path(output)
    target.mkdir(parents=True, exist_ok=True)
    course = prepare(quiet=True)
    report = CourseReport(started=list(course.started))
    for what in report.started:
        print(f"started {what} for this run", file=out, flush=True)
    try:
        for path in paths:
            if out.isatty():
                print(f"{path.name:<40} ...", end="\r", file=out, flush=True)
            began = time.monotonic()
            nb, failure = execute_notebook(path, timeout=timeout)
            result = NotebookResult(path, time.monotonic() - began, failure)
            normalise(nb)
            if in_place:
                if failure is None:
                    nbformat.write(nb, path)
                    result.executed = path
            else:
                result.executed = target / path.name
                nbformat.write(nb, result.executed)
            result.html = write_html(nb, target / path.with_suffix(".html").name)
            report.results.append(result)
            print(result.line(), file=out, flush=True)
            if failure is not None:
                print(f"    {failure}".replace("\n", "\n    "), file=out, flush=True)
    finally:
        course.stop_started()
    return report
