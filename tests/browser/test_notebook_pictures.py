"""Every picture a notebook's text shows is found when JupyterLab serves ``notebooks/``.

``make course`` serves the ``notebooks`` folder, so a Markdown image is fetched through
JupyterLab's file API, which sees only that folder: a link that leaves it
(``../images/...``) is a broken picture there, even though it works on GitHub or Binder.
(Pictures drawn by a code cell, ``SVG(filename=...)``, are read by the kernel and are
not concerned.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]+\)|<img\s", re.IGNORECASE)


def _with_pictures() -> list[str]:
    names = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(cell["cell_type"] == "markdown" and MARKDOWN_IMAGE.search("".join(cell["source"]))
               for cell in cells):
            names.append(path.name)
    return names


@pytest.mark.parametrize("name", _with_pictures())
def test_the_pictures_in_the_text_load(name, notebook_page):
    notebook_page.open(name)

    images = notebook_page.page.locator(".jp-NotebookPanel .jp-RenderedMarkdown img")
    assert images.count() > 0
    broken = []
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        image.evaluate("img => img.decode().catch(() => null)")
        if not image.evaluate("img => img.complete && img.naturalWidth > 0"):
            broken.append((image.get_attribute("src") or "").split("?")[0])
    assert not broken, f"pictures that do not load in JupyterLab: {broken}"
