"""The registry form in JupyterLab: type the account, click "Log in", read the answer.

The notebook is run from the Run menu, the fields are typed into and the button is
clicked, in Chromium, against the lab (or registry) the course uses. The password comes
from the course's own settings, never from this file.
"""

from __future__ import annotations

import secrets

import pytest

from tests.browser.notebook import STDERR

pytestmark = pytest.mark.browser

# The notebooks that show the registry form; each is driven the same way. The picture of
# the form comes from the login lesson.
FORM_NOTEBOOKS = ["00_setup-check.ipynb", "05_connecting-to-our-registry.ipynb"]
PICTURED = "05_connecting-to-our-registry.ipynb"


@pytest.mark.parametrize("name", FORM_NOTEBOOKS)
def test_logging_in_from_the_form_says_login_succeeded(name, notebook_page, credentials,
                                                       jupyter_lab, screenshots):
    notebook_page.open(name)
    notebook_page.run_all()
    form = notebook_page.registry_form()

    form.log_in(credentials.username, credentials.password)

    notebook_page.expect_text(form.output, "Login Succeeded")
    shown = form.output.inner_text()
    assert "--password-stdin" in shown, "the equivalent docker login command is shown"
    assert form.password.input_value() == "", "the form gives the password up at once"
    assert credentials.password not in notebook_page.page_text()
    assert not list(jupyter_lab.docker_config.iterdir()), "nothing written to the Docker config"
    if name == PICTURED:
        notebook_page.picture(form.root, screenshots / "registry-form.png")


@pytest.mark.parametrize("name", FORM_NOTEBOOKS)
def test_a_wrong_password_shows_what_happened_and_how_to_fix_it(name, notebook_page,
                                                                credentials):
    notebook_page.open(name)
    notebook_page.run_all()
    form = notebook_page.registry_form()

    form.log_in(credentials.username, secrets.token_urlsafe(12))

    notebook_page.expect_text(form.output, "✗ AuthenticationError")
    shown = form.output.inner_text()
    assert "how to fix:" in shown
    assert "Login Succeeded" not in shown
    assert "Traceback" not in notebook_page.page_text()
    assert notebook_page.page.locator(STDERR).count() == 0
