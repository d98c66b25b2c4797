"""Saving a notebook from JupyterLab writes neither the password nor any widget state.

The hard case is a password typed into the form and not yet submitted: the Password
widget holds it, and with "Save Widget State Automatically" on, JupyterLab writes it into
``metadata.widgets`` in plain text (the last test shows exactly that happening). With the
course's settings (the venv's override, no user setting) the saved file holds no trace.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "05_connecting-to-our-registry.ipynb"
PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _widget_views(nb: dict) -> int:
    return sum(WIDGET_VIEW in output.get("data", {})
               for cell in nb["cells"] if cell["cell_type"] == "code"
               for output in cell["outputs"])  # fmt: skip


def test_saving_after_typing_the_password_keeps_it_out_of_the_file(notebook_page, credentials):
    notebook_page.open(NOTEBOOK)
    notebook_page.run_all()
    form = notebook_page.registry_form()
    form.log_in(credentials.username, credentials.password)
    notebook_page.expect_text(form.output, "Login Succeeded")
    # Typed again and not submitted: now the Password widget itself holds it.
    form.type_credentials(credentials.username, credentials.password)

    saved = notebook_page.save()

    text = saved.read_text(encoding="utf-8")
    nb = json.loads(text)
    assert _widget_views(nb) > 0, "the file was written by this JupyterLab run"
    assert "widgets" not in nb["metadata"]
    assert credentials.password not in text


@pytest.fixture
def widget_state_saving_on(jupyter_lab) -> Iterator[None]:
    """The learner's own setting "Save Widget State Automatically" ticked, for one test."""
    server = jupyter_lab.server
    server.api("PUT", f"/lab/api/settings/{PLUGIN}", {"raw": json.dumps({"saveState": True})})
    try:
        yield
    finally:
        server.api("PUT", f"/lab/api/settings/{PLUGIN}", {"raw": "{}"})


def test_with_widget_state_saving_turned_on_a_typed_password_would_be_saved(
    widget_state_saving_on, notebook_page
):
    # The counter-proof of the test above: its checks do catch a leak when there is one.
    typed = secrets.token_urlsafe(12)  # not a real password: this file shows it in clear
    notebook_page.open(NOTEBOOK)
    notebook_page.run_all()
    form = notebook_page.registry_form()
    form.password.press_sequentially(typed)

    nb = json.loads(notebook_page.save().read_text(encoding="utf-8"))

    assert "widgets" in nb["metadata"]
    assert typed in json.dumps(nb["metadata"]["widgets"])
