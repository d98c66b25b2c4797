"""JupyterLab never saves widget state by default: the venv's settings override says so.

``scripts/setup.sh`` writes ``{sys.prefix}/share/jupyter/lab/settings/overrides.json``
with ``saveState: false`` for the widget manager. An override sets the *default* a learner
starts from (their own setting, if they tick "Save Widget State Automatically", wins:
``test_saving.py`` shows what would then land in the file).
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.browser.server import settings_overrides

pytestmark = pytest.mark.browser

PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin"
CONFIG_DATA = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                         re.DOTALL)


def test_the_venv_holds_the_override_that_turns_widget_state_saving_off():
    path = settings_overrides()
    assert path.is_file(), f"{path} is missing: run scripts/setup.sh"
    assert json.loads(path.read_text()) == {PLUGIN: {"saveState": False}}


def test_jupyterlab_reads_that_override_and_defaults_to_not_saving(jupyter_lab):
    server = jupyter_lab.server
    with urllib.request.urlopen(f"{server.url}/lab?token={server.token}", timeout=30) as response:
        page = response.read().decode()
    config = json.loads(CONFIG_DATA.search(page).group(1))
    assert config["appSettingsDir"] == str(settings_overrides().parent)

    plugin = server.api("GET", f"/lab/api/settings/{PLUGIN}")
    assert plugin["schema"]["properties"]["saveState"]["default"] is False
    assert "saveState" not in plugin["settings"], "the test's user settings must not set it"
