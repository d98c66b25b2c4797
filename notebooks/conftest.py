"""What nbval needs to check the course notebooks: the practice lab and an Engine, up first.

``pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg notebooks``
runs every notebook in a kernel of this interpreter and compares each cell's output with
the stored one. The stored outputs were made by ``regkit course run --in-place`` with the
lab and the Engine already running, so they say "answers", not "started". This hook
brings both up the same way (:func:`regkit.course.prepare`) before the first notebook's
kernel starts, so kernels inherit a ready machine and print the same lines; whatever it
started is stopped when the session ends. Kernels also get this checkout's regkit first on
``PYTHONPATH``, as ``regkit course run`` gives its kernels.

Nothing starts when no notebook is collected (``pytest tests`` without ``--nbval``).
Stored outputs name the lab at ``127.0.0.1:8080``: run nbval with ``REGKIT_REGISTRY_URL``
unset (a real Harbor gives other, correct, outputs; use ``regkit course run`` there).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

_prepared: dict[str, Any] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # tryfirst: before nbval's notebook collector starts its kernel in the setup that follows.
    if "course" in _prepared or item.path.suffix != ".ipynb":
        return
    if "error" in _prepared:
        pytest.fail(_prepared["error"], pytrace=False)
    from regkit.course import prepare
    from regkit.course_runner import kernel_environment
    from regkit.errors import RegkitError

    # nbval's kernels inherit this process's environment: make them import this regkit.
    os.environ["PYTHONPATH"] = kernel_environment()["PYTHONPATH"]
    try:
        _prepared["course"] = prepare(quiet=True)
    except RegkitError as err:
        # Every notebook needs these; say why once per cell rather than retry each time.
        _prepared["error"] = f"the notebooks need the practice lab and an Engine: {err}"
        pytest.fail(_prepared["error"], pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    course = _prepared.pop("course", None)
    if course is not None:
        course.stop_started()
