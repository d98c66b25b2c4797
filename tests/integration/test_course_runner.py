"""``regkit course run`` against a real practice lab and a real Engine.

Runs the first notebook headless into a temporary folder, a notebook that fails (the
command must name it and its cell), and ``--in-place`` on a copy (outputs refreshed and
normalised; a failing notebook left untouched).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from regkit.course_runner import WIDGET_VIEW, find_notebooks, normalise
from regkit.errors import SettingsError
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

pytestmark = [pytest.mark.lab, pytest.mark.engine]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    from regkit.errors import ServiceError
    from regkit.lab import Lab
    from regkit.registry_server import find_registry_binary

    try:
        find_registry_binary()
    except ServiceError as err:
        require(False, str(err))
    with Lab(tmp_path_factory.mktemp("lab"), port=0) as running:
        yield running


@pytest.fixture
def course_env(lab, engine, tmp_path: Path) -> dict[str, str]:
    """The environment a learner pointing the course at this lab would have."""
    config = tmp_path / "docker-config"
    config.mkdir()
    env = dict(os.environ)
    env.update({
        "REGKIT_REGISTRY_URL": lab.url,
        "REGKIT_USERNAME": lab.admin_user,
        "REGKIT_PASSWORD": lab.admin_password,
        "REGKIT_LAB_DIR": str(lab.data_dir),
        "DOCKER_HOST": engine.base_url,
        "DOCKER_CONFIG": str(config),
    })
    env.pop("REGKIT_PROJECT", None)
    return env


def _regkit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regkit.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def _write(path: Path, *cells: nbformat.NotebookNode) -> Path:
    nb = new_notebook(cells=list(cells), metadata={"kernelspec": {"name": "some-other-env",
                                                                  "display_name": "x"}})
    nbformat.write(nb, path)
    return path


def test_setup_check_runs_headless_into_the_output_folder(course_env, tmp_path: Path):
    out = tmp_path / "out"
    result = _regkit(course_env, "course", "run", "--only", "00", "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    executed = out / "00_setup-check.ipynb"
    assert executed.exists() and (out / "00_setup-check.html").exists()
    assert "00_setup-check.ipynb" in result.stdout and " ok " in result.stdout
    nb = nbformat.read(executed, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "✓ Docker Engine: answers" in text
    assert "✓ login: admin at" in text and "Login Succeeded" in text
    assert "✗" not in text
    assert course_env["REGKIT_PASSWORD"] not in executed.read_text()
    assert "widgets" not in nb.metadata
    assert not list(Path(course_env["DOCKER_CONFIG"]).iterdir()), "credentials were written"
    html = (out / "00_setup-check.html").read_text()
    assert "All checks passed." in html and course_env["REGKIT_PASSWORD"] not in html
    # The stored notebook is untouched by a run into another folder.
    assert nbformat.read(NOTEBOOKS / "00_setup-check.ipynb", as_version=4).cells[0].source == \
        nb.cells[0].source


def test_a_failing_cell_names_the_notebook_and_the_cell(course_env, tmp_path: Path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _write(folder / "00_fine.ipynb", new_code_cell("print('fine')"))
    _write(folder / "01_broken.ipynb",
           new_markdown_cell("# a lesson"),
           new_code_cell("x = 1"),
           new_code_cell("\n# the second line of code breaks\nraise RuntimeError('the registry said no')"),
           new_code_cell("print('never reached')"))
    out = tmp_path / "out"
    result = _regkit(course_env, "course", "run", "--notebooks", str(folder), "--output", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    last = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "01_broken.ipynb" in last and "cell 3" in last
    assert "# the second line of code breaks" in last
    assert "RuntimeError: the registry said no" in last
    assert "Traceback" not in result.stderr
    assert "1/2 notebooks ran" in result.stdout
    # The executed copy shows the error where it happened; the HTML page exists too.
    broken = nbformat.read(out / "01_broken.ipynb", as_version=4)
    assert broken.cells[2].outputs[0].output_type == "error"
    assert broken.cells[3].get("outputs") == []
    assert (out / "01_broken.html").exists() and (out / "00_fine.html").exists()


def test_in_place_refreshes_and_normalises_outputs(course_env, tmp_path: Path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    path = _write(folder / "05_widgets.ipynb",
                  new_code_cell("import ipywidgets\nslider = ipywidgets.IntSlider(value=3)\nslider"),
                  new_code_cell("print(slider.value * 2)"))
    failing = _write(folder / "06_fails.ipynb", new_code_cell("1 / 0"))
    failing_before = failing.read_text()
    result = _regkit(course_env, "course", "run", "--notebooks", str(folder), "--in-place",
                     "--output", str(tmp_path / "out"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert failing.read_text() == failing_before, "a failed run must not overwrite a notebook"
    nb = json.loads(path.read_text())
    assert "widgets" not in nb["metadata"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "version" not in nb["metadata"].get("language_info", {})
    first, second = nb["cells"]
    assert [first["execution_count"], second["execution_count"]] == [1, 2]
    assert WIDGET_VIEW not in first["outputs"][0]["data"]
    assert "".join(first["outputs"][0]["data"]["text/plain"]).startswith("IntSlider(value=3")
    assert "".join(second["outputs"][0]["text"]) == "6\n"


def test_only_names_a_missing_notebook_clearly():
    with pytest.raises(SettingsError, match="no notebook numbered 99"):
        find_notebooks(NOTEBOOKS, ["99"])
    assert [p.name for p in find_notebooks(NOTEBOOKS, ["00"])] == ["00_setup-check.ipynb"]


def test_normalise_drops_widget_state_and_views():
    nb = new_notebook(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}},
                                "kernelspec": {"name": "conda-env-x", "display_name": "x"},
                                "language_info": {"name": "python", "version": "3.11.2"}})
    cell = new_code_cell("w", execution_count=1, outputs=[
        nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "abc"}}),
        nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "def"},
                                                      "text/plain": "Form"}),
    ])
    nb.cells.append(cell)
    normalise(nb)
    assert "widgets" not in nb.metadata
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info == {"name": "python"}
    assert [o.data for o in nb.cells[0].outputs] == [{"text/plain": "Form"}]

