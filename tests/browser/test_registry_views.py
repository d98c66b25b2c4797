"""The lessons that push and look in Harbor, run in JupyterLab: the views a learner sees.

Notebook 07 pushes busybox with a progress bar per layer, 08 lists it as Harbor's
Repositories page does, 12 lists the DockerCoins images. Each test runs the whole
notebook from the Run menu and takes a picture of the view for ``images/``.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# A lesson that builds DockerCoins from scratch takes minutes on a slow machine.
STACK_TIMEOUT_S = 1200
DOCKERCOINS = ("hasher", "rng", "webui", "worker")


def _repository_table(notebook_page, project: str):
    caption = notebook_page.page.locator("caption", has_text=f"Repositories in project {project}")
    return notebook_page.page.locator("table").filter(has=caption)


def test_pushing_busybox_shows_a_finished_bar_per_layer(notebook_page, course, screenshots):
    notebook_page.open("07_testing-our-registry.ipynb")
    notebook_page.run_all()

    target = course.image("busybox", "latest")
    progress = notebook_page.page.locator(".jupyter-widgets.widget-vbox").filter(
        has_text=f"docker push {target}")
    bars = progress.locator(".widget-hprogress")
    bars.first.wait_for()
    # Every layer's bar ends as done (green).
    notebook_page.expect_count(progress.locator(".progress-bar-success"), bars.count())
    outputs = notebook_page.cell_outputs(progress)
    notebook_page.expect_text(outputs, "latest: digest: sha256:")
    notebook_page.picture(outputs, screenshots / "push-progress.png")


def test_harbor_lists_the_pushed_busybox(notebook_page, course, screenshots):
    notebook_page.open("08_checking-our-registry.ipynb")
    notebook_page.run_all()

    project = course.settings.project
    table = _repository_table(notebook_page, project)
    rows = table.locator("tbody tr")
    notebook_page.expect_count(rows, 1)
    notebook_page.expect_text(rows.first.locator("td").first, f"{project}/busybox")
    notebook_page.picture(table, screenshots / "repositories-busybox.png")


def test_harbor_lists_the_dockercoins_images(notebook_page, course, screenshots):
    notebook_page.open("12_checking-the-content.ipynb")
    notebook_page.run_all(timeout_s=STACK_TIMEOUT_S)

    project = course.settings.project
    first_cells = _repository_table(notebook_page, project).locator("tbody tr td:first-child")
    notebook_page.expect_count(first_cells, len(DOCKERCOINS))
    # textContent: JupyterLab does not lay out cells scrolled out of view.
    names = [name.strip() for name in first_cells.all_text_contents()]
    assert names == [f"{project}/{name}" for name in DOCKERCOINS]
    notebook_page.picture(_repository_table(notebook_page, project),
                          screenshots / "repositories-dockercoins.png")
