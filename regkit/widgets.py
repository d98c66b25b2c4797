"""The course's ipywidgets views: the registry form, push progress bars, Harbor's repository list.

Every view works headless. Fields default from the ``REGKIT_*`` variables or the running
practice lab, so a notebook never waits for a click: the cell after a form calls the same
function the form's button calls. Every view has a plain-text form (``__repr__`` and
``_repr_pretty_``) with no password and no random widget id, which is what a notebook
stores, what nbval compares and what a terminal shows.

The password never stays in widget state (which JupyterLab can save into the notebook):
:meth:`RegistryForm.settings` moves it into a :class:`~regkit.settings.Secret` held by the
form and clears the Password widget at once. The default password (from
``REGKIT_PASSWORD`` or the lab) is never put into the widget at all.

This module imports ipywidgets at its top; import it only where widgets are wanted.

Example:
    >>> from regkit.widgets import RegistryForm
    >>> form = RegistryForm()            # doctest: +SKIP
    >>> form                             # doctest: +SKIP
    >>> settings = form.settings()       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
import io
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, TextIO

import ipywidgets as widgets

from regkit.errors import RegkitError
from regkit.settings import RegistrySettings, Secret

__all__ = ["PushProgress", "RegistryForm", "RepositoryTable", "in_kernel"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_FIELD_LAYOUT = {"width": "32em"}
_LABEL_STYLE = {"description_width": "8em"}


def in_kernel() -> bool:
    """True inside a Jupyter kernel, where widgets can be shown (also headless, under nbclient).

    Returns:
        Whether the running IPython has a kernel attached.

    Example:
        >>> in_kernel()
        False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _bundle(widget: widgets.Widget, text: str, **kwargs: Any) -> dict[str, Any]:
    """The widget's display bundle with our own stable ``text/plain`` in place of its repr."""
    data = widget._repr_mimebundle_(**kwargs)
    data["text/plain"] = text
    return data


class RegistryForm:
    """A form for the registry settings, with a Login button.

    Fields: registry URL, project, username, password (a Password widget), "verify TLS"
    and a CA bundle path. Each starts from ``defaults``: the ``REGKIT_*`` variables or the
    running practice lab (:func:`regkit.course.default_settings`).

    Args:
        defaults: the settings the fields start from; :func:`regkit.course.default_settings`
            when None.
        on_login: what the Login button calls with the form's settings; it prints its
            result. :func:`regkit.course.login` when None, so the button and a cell that
            calls ``course.login(form.settings())`` do the same thing.

    Edge cases:
        The default password is kept in a ``Secret`` and never shown in the widget; the
        widget's placeholder says one is set. A password typed into the widget replaces
        it on the next :meth:`settings` call and the widget is emptied. An empty CA
        bundle field means "verify with the system's CAs" when "verify TLS" is ticked.

    Example:
        >>> form = RegistryForm(RegistrySettings("http://127.0.0.1:8080", username="admin"))
        >>> form.settings().host
        '127.0.0.1:8080'
        >>> repr(form)
        "RegistryForm(url='http://127.0.0.1:8080', project='library', username='admin', password=unset)"
    """

    def __init__(
        self,
        defaults: RegistrySettings | None = None,
        *,
        on_login: Callable[[RegistrySettings], object] | None = None,
    ) -> None:
        if defaults is None:
            from regkit.course import default_settings

            defaults = default_settings()
        self._password: Secret | None = defaults.password
        self._on_login = on_login
        field = {"layout": _FIELD_LAYOUT, "style": _LABEL_STYLE}
        self.url = widgets.Text(value=defaults.url, description="Registry URL", **field)
        self.project = widgets.Text(value=defaults.project, description="Project", **field)
        self.username = widgets.Text(value=defaults.username or "", description="Username", **field)
        self.password = widgets.Password(value="", description="Password", **field)
        self.verify = widgets.Checkbox(value=defaults.verify is not False, description="Verify TLS",
                                       indent=False)
        self.ca_bundle = widgets.Text(
            value=defaults.verify if isinstance(defaults.verify, str) else "",
            description="CA bundle", placeholder="(the system's CAs)", **field,
        )
        self.login_button = widgets.Button(description="Log in", icon="sign-in",
                                           button_style="primary")
        self.output = widgets.Output()
        self.login_button.on_click(self._clicked)
        self._show_password_state()
        self.widget = widgets.VBox([
            self.url, self.project, self.username, self.password,
            widgets.HBox([self.verify, self.ca_bundle]), self.login_button, self.output,
        ])  # fmt: skip

    @property
    def has_password(self) -> bool:
        """True when a password is known: the default one, or one typed into the widget."""
        return bool(self._password) or bool(self.password.value)

    def _show_password_state(self) -> None:
        self.password.placeholder = "(set; type to replace it)" if self._password else "(none set)"

    def settings(self) -> RegistrySettings:
        """Read the form into settings; a typed password moves out of the widget at once.

        Returns:
            The settings the fields describe.

        Raises:
            SettingsError: a field is malformed (the URL, the project name, ...). The
                Password widget is cleared even then.

        Example:
            >>> form = RegistryForm(RegistrySettings("http://127.0.0.1:8080"))
            >>> form.password.value = "typed"
            >>> form.settings().password.reveal(), form.password.value
            ('typed', '')
        """
        typed = self.password.value
        self.password.value = ""
        if typed:
            self._password = Secret(typed)
            self._show_password_state()
        ca_bundle = self.ca_bundle.value.strip()
        verify: bool | str = ca_bundle if ca_bundle and self.verify.value else bool(self.verify.value)
        return RegistrySettings(
            self.url.value.strip(),
            project=self.project.value.strip() or "library",
            username=self.username.value.strip() or None,
            password=self._password,
            verify=verify,
        )

    def login(self) -> str:
        """Do what the Login button does: log in with the form's settings, show the result.

        The result (``Login Succeeded`` and the equivalent command), or the error's text
        with its fix, is appended to :attr:`output`; never a traceback.

        Returns:
            The text appended to the output.

        Example:
            >>> form = RegistryForm(RegistrySettings("http://127.0.0.1:8080"))
            >>> form.url.value = "ftp://nowhere"
            >>> print(form.login())  # doctest: +ELLIPSIS
            ✗ SettingsError: ...
        """
        action = self._on_login
        if action is None:
            from regkit.course import login as action
        buffer = io.StringIO()
        try:
            settings = self.settings()
            with contextlib.redirect_stdout(buffer):
                action(settings)
        except RegkitError as err:
            buffer.write(f"✗ {type(err).__name__}: {err}\n")
        text = buffer.getvalue()
        self.output.append_stdout(text)
        return text

    def _clicked(self, _button: widgets.Button) -> None:
        try:
            self.login()
        except Exception as err:  # noqa: BLE001 - a callback's traceback reaches nobody
            self.output.append_stdout(f"✗ unexpected {type(err).__name__}: {err}\n")

    def _summary(self) -> list[tuple[str, str]]:
        ca_bundle = self.ca_bundle.value.strip()
        verify = (ca_bundle or "on") if self.verify.value else "off"
        return [
            ("url", self.url.value),
            ("project", self.project.value),
            ("username", self.username.value or "(none)"),
            ("password", "set (hidden)" if self.has_password else "unset"),
            ("verify TLS", verify),
        ]

    def __repr__(self) -> str:
        password = "set" if self.has_password else "unset"
        return (f"RegistryForm(url={self.url.value!r}, project={self.project.value!r}, "
                f"username={self.username.value!r}, password={password})")

    def _text(self) -> str:
        lines = ["Registry form (fields and a Log in button when the cell runs in Jupyter):"]
        lines += [f"  {name:<11} {value}" for name, value in self._summary()]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._text())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return _bundle(self.widget, self._text(), **kwargs)


class PushProgress:
    """Per-layer progress of a push, fed with the Engine's push events.

    Pass it as the ``progress`` callback of :meth:`regkit.engine.Engine.push`. In a
    kernel it shows one bar per layer; elsewhere (a terminal, a script) it prints one
    line per layer when the layer is done, as ``docker push`` ends up showing. The events
    are folded by :func:`regkit.progress.fold_push_events`, so the bars and the Engine's
    own summary always agree.

    Args:
        reference: the image being pushed, for the title.
        widgets_on: use widgets; when None, widgets are used inside a kernel only.
        stream: where the plain-text lines go (``sys.stdout`` when None).

    Edge cases:
        ``current`` can exceed ``total`` (the Engine counts uncompressed bytes): bars are
        clamped at 100 %. Events without a layer id (the "push refers to" line, the digest
        line, ``aux``) make no bar; errors are not shown here, the Engine raises them.
        Bars only change through widget messages, never through new outputs, so a stored
        notebook keeps the plain-text line of the moment the bars were shown.

    Example:
        >>> progress = PushProgress("127.0.0.1:8080/library/busybox:v1", widgets_on=False)
        >>> progress({"status": "Pushing", "id": "0123456789ab",
        ...           "progressDetail": {"current": 5, "total": 10}})
        >>> progress({"status": "Pushed", "id": "0123456789ab", "progressDetail": {}})
        0123456789ab: Pushed
        >>> progress
        PushProgress('127.0.0.1:8080/library/busybox:v1', 1 layer, 1 done)
    """

    def __init__(self, reference: str, *, widgets_on: bool | None = None,
                 stream: TextIO | None = None) -> None:
        from regkit.progress import PushProgress as Summary

        self.reference = reference
        self.summary = Summary()
        self._stream = stream
        self._bars: dict[str, tuple[widgets.FloatProgress, widgets.Label]] = {}
        use_widgets = in_kernel() if widgets_on is None else widgets_on
        self.widget = (
            widgets.VBox([widgets.HTML(f"<b>docker push {html.escape(reference)}</b>")])
            if use_widgets else None
        )

    def __call__(self, event: Mapping[str, Any]) -> None:
        before = {layer.id: layer.done for layer in self.summary.layers}
        self.summary = self.summary.apply(event)
        for layer in self.summary.layers:
            if self.widget is not None:
                self._update_bar(layer)
            elif layer.done and not before.get(layer.id, False):
                print(layer.line(), file=self._stream or sys.stdout, flush=True)

    def _update_bar(self, layer: Any) -> None:
        if layer.id not in self._bars:
            bar = widgets.FloatProgress(value=0, min=0, max=100, description=layer.id,
                                        style=_LABEL_STYLE, layout={"width": "30em"})
            label = widgets.Label()
            self._bars[layer.id] = (bar, label)
            self.widget.children = (*self.widget.children, widgets.HBox([bar, label]))
        bar, label = self._bars[layer.id]
        percent = layer.percent
        if percent is not None:
            bar.value = percent
        if layer.done:
            bar.bar_style = "success"
        label.value = layer.status

    def display(self) -> None:
        """Show the bars (in a kernel); does nothing in plain-text mode.

        Example:
            >>> PushProgress("h:1/p/a:v1", widgets_on=False).display()
        """
        if self.widget is not None:
            from IPython.display import display

            display(self)

    def _counts(self) -> str:
        layers = self.summary.layers
        if not layers:
            return "starting"
        done = sum(layer.done for layer in layers)
        return f"{len(layers)} layer{'' if len(layers) == 1 else 's'}, {done} done"

    def _text(self) -> str:
        return f"docker push {self.reference} ({self._counts()})"

    def __repr__(self) -> str:
        return f"PushProgress({self.reference!r}, {self._counts()})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._text())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        if self.widget is None:
            return {"text/plain": self._text()}
        return _bundle(self.widget, self._text(), **kwargs)


_COLUMNS = ("Name", "Artifacts", "Pulls", "Last Modified Time")


def _when(value: datetime | None) -> str:
    # UTC to the minute, as format_repository_table prints it, so the HTML and the text agree.
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


class RepositoryTable:
    """A project's repositories as Harbor's Repositories page lists them.

    Columns: name, artifacts, pulls, last modified time. Renders as an HTML table in a
    notebook and as aligned text elsewhere (:func:`regkit.harbor.format_repository_table`).
    Times are in UTC, so a stored output does not depend on the reader's time zone.

    Args:
        project: the project shown.
        rows: the rows, as :meth:`regkit.harbor.Harbor.repository_table` returns them.

    Example:
        >>> from regkit.harbor import RepositoryRow
        >>> table = RepositoryTable("library", [RepositoryRow("library/busybox", 1, 0, None)])
        >>> print(table)
        Repositories in project library: 1
        Name             Artifacts  Pulls  Last Modified Time
        library/busybox          1      0  -
    """

    def __init__(self, project: str, rows: Iterable[Any]) -> None:
        self.project = project
        self.rows = list(rows)

    @classmethod
    def load(cls, harbor: Any, project: str | None = None) -> RepositoryTable:
        """Ask Harbor for a project's repositories and build the table.

        Args:
            harbor: a :class:`regkit.harbor.Harbor` client.
            project: the project to list; the client's settings' project when None.

        Returns:
            The table.

        Raises:
            ProjectNotFound: no such project.
            RegkitError: Harbor could not be asked (see the client's errors).

        Example:
            >>> RepositoryTable.load(course.harbor, "library")  # doctest: +SKIP
        """
        project = project or harbor.settings.project
        return cls(project, harbor.repository_table(project))

    def __len__(self) -> int:
        return len(self.rows)

    def _title(self) -> str:
        return f"Repositories in project {self.project}: {len(self.rows)}"

    def __str__(self) -> str:
        from regkit.harbor.models import format_repository_table

        return f"{self._title()}\n{format_repository_table(self.rows)}"

    def __repr__(self) -> str:
        return f"RepositoryTable({self.project!r}, {len(self.rows)} repositories)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
        body = "".join(
            f"<tr><td>{html.escape(row.name)}</td><td>{row.artifacts}</td><td>{row.pulls}</td>"
            f"<td>{_when(row.last_modified)}</td></tr>"
            for row in self.rows
        ) or f"<tr><td colspan='{len(_COLUMNS)}'>(no repositories)</td></tr>"
        return (f"<table class='regkit-repositories'><caption style='text-align:left'>"
                f"{html.escape(self._title())}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")
