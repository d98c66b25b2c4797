"""Driving a notebook in JupyterLab the way a learner does: menus, fields, buttons, Ctrl+S.

Only what a person sees and does is used: menu items by their names, form fields by
their labels, the button by its text, outputs by their words, the status bar's "Idle".
No JupyterLab JavaScript is called, so a test that passes here means the course works
in the browser as shipped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.browser.server import JupyterLabServer

# Stored outputs are shown before anything runs, so "done" is judged on the prompts: after
# "Clear Outputs of All Cells" every prompt is "[ ]:" until its cell has run again.
_ALL_RAN_OR_FAILED = """() => {
    const prompts = [
        ...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
    const failed = document.querySelector(
        '.jp-NotebookPanel [data-mime-type="application/vnd.jupyter.stderr"]');
    const dialog = document.querySelector('.jp-Dialog');
    return failed !== null || dialog !== null || (prompts.length > 0
        && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim())));
}"""
KERNEL_IDLE = re.compile(r"\| Idle$")
STDERR = '[data-mime-type="application/vnd.jupyter.stderr"]'
OPEN_TIMEOUT_MS = 120_000


@dataclass
class RegistryFormView:
    """The registry form (:class:`regkit.widgets.RegistryForm`) as rendered in the page."""

    root: Locator

    @property
    def username(self) -> Locator:
        return self.root.get_by_label("Username", exact=True)

    @property
    def password(self) -> Locator:
        return self.root.get_by_label("Password", exact=True)

    @property
    def login_button(self) -> Locator:
        return self.root.get_by_role("button", name="Log in")

    @property
    def output(self) -> Locator:
        return self.root.locator(".widget-output")

    def type_credentials(self, username: str, password: str) -> None:
        """Type a username and a password into the fields (each replaces what was there).

        Each field gets one edit. ipywidgets holds a field's later edits back until the
        kernel has taken the first one, while a click goes out at once: key-by-key typing
        followed by an instant click (which only a robot does) can reach the kernel
        before the last keys, and the login then tries a truncated password.
        """
        self.username.fill(username)
        self.password.fill(password)

    def log_in(self, username: str, password: str) -> None:
        """Type the credentials and click "Log in"."""
        self.type_credentials(username, password)
        self.login_button.click()


class NotebookPage:
    """One JupyterLab tab in the browser, showing one notebook of the course copy.

    Args:
        page: a Playwright page of the session's browser.
        server: the JupyterLab server serving the course copy.
    """

    def __init__(self, page: Page, server: JupyterLabServer) -> None:
        self.page = page
        self.server = server
        self.path: Path | None = None

    def open(self, name: str) -> NotebookPage:
        """Open ``notebooks/<name>`` (as ``make course`` serves them) and wait for its kernel."""
        relative = f"notebooks/{name}"
        self.page.goto(self.server.lab_url(relative))
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=OPEN_TIMEOUT_MS)
        opened = self.page.locator(".lm-TabBar-tab.lm-mod-closable").all_inner_texts()
        assert opened == [Path(relative).name], f"JupyterLab opened {opened}"
        # The status bar's "Kernel | Idle", as a person waits for it: the toolbar's
        # indicator says idle while the kernel is still connecting, and "Run All" then
        # opens a "Select Kernel" dialog instead of running.
        self.page.locator(".jp-StatusBar-TextItem").filter(has_text=KERNEL_IDLE).first.wait_for(
            timeout=OPEN_TIMEOUT_MS)
        self.path = self.server.root_dir / relative
        return self

    def menu(self, *names: str) -> None:
        """Click through the menu bar: ``menu("Run", "Run All Cells")``."""
        for name in names:
            self.page.get_by_role("menuitem", name=name, exact=True).click()

    def run_all(self, timeout_s: float = 600) -> None:
        """Clear every output, then Run → Run All Cells, and wait until every cell has run.

        Raises:
            AssertionError: a cell wrote to stderr or raised, or JupyterLab opened a dialog
                (the text is in the message).
        """
        self.menu("Edit", "Clear Outputs of All Cells")
        self.menu("Run", "Run All Cells")
        self.page.wait_for_function(_ALL_RAN_OR_FAILED, timeout=timeout_s * 1000)
        dialogs = self.page.locator(".jp-Dialog")
        assert dialogs.count() == 0, "JupyterLab asks: " + " / ".join(dialogs.all_inner_texts())
        errors = self.page.locator(STDERR)
        assert errors.count() == 0, "a cell failed in JupyterLab:\n" + "\n".join(
            errors.all_inner_texts())

    def registry_form(self) -> RegistryFormView:
        """The one registry form the notebook shows once it has run."""
        button = self.page.get_by_role("button", name="Log in")
        root = self.page.locator(".jupyter-widgets.widget-vbox").filter(has=button)
        root.wait_for()
        return RegistryFormView(root)

    def save(self, timeout_s: float = 30) -> Path:
        """Save the notebook with Ctrl+S and wait until the file on disk is rewritten.

        Returns:
            The notebook file on disk.
        """
        assert self.path is not None, "open() a notebook first"
        before = self.path.stat().st_mtime_ns
        # Widget fields keep their keystrokes from JupyterLab (Ctrl+S typed in the password
        # field never reaches it), so first click a cell's prompt, as a person would.
        self.page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").last.click()
        self.page.keyboard.press("Control+s")
        self.page.locator(".lm-TabBar-tab:not(.jp-mod-dirty)").filter(
            has_text=self.path.name).wait_for()
        deadline = time.monotonic() + timeout_s
        while self.path.stat().st_mtime_ns == before:
            assert time.monotonic() < deadline, f"JupyterLab did not save {self.path.name}"
            time.sleep(0.1)
        return self.path

    def expect_text(self, locator: Locator, text: str, timeout_s: float = 120) -> None:
        """Wait until ``locator`` shows ``text``; fail with what it shows instead."""
        from playwright.sync_api import expect

        expect(locator).to_contain_text(text, timeout=timeout_s * 1000)

    def expect_count(self, locator: Locator, count: int, timeout_s: float = 30) -> None:
        """Wait until ``locator`` matches ``count`` elements (outputs render asynchronously)."""
        from playwright.sync_api import expect

        expect(locator).to_have_count(count, timeout=timeout_s * 1000)

    def cell_outputs(self, shown: Locator) -> Locator:
        """The whole output area of the cell whose output holds ``shown``."""
        return self.page.locator(".jp-CodeCell").filter(has=shown).locator(".jp-OutputArea")

    def picture(self, locator: Locator, path: Path) -> Path:
        """A PNG of one element (a view of ours), as the page shows it now."""
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=path, animations="disabled", caret="hide", scale="css")
        return path

    def page_text(self) -> str:
        """All the notebook's text, cells scrolled out of view included."""
        return self.page.locator(".jp-NotebookPanel").first.text_content() or ""
