"""The course's widgets, headless: defaults without a click, the password out of widget state,
plain-text forms without secrets or random ids, readable errors in the Login output."""

from __future__ import annotations

import io
import json

import ipywidgets
import pytest

from regkit import course  # noqa: E402
from regkit.errors import SettingsError  # noqa: E402
from regkit.harbor import RepositoryRow  # noqa: E402
from regkit.settings import RegistrySettings  # noqa: E402
from regkit.widgets import WIDGET_VIEW, PushProgress, RegistryForm, RepositoryTable  # noqa: E402

SECRET = "s3cret-Form-Pw"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """No REGKIT_* from the caller, and a lab directory where no lab runs."""
    for name in ("REGKIT_REGISTRY_URL", "REGKIT_PROJECT", "REGKIT_USERNAME", "REGKIT_PASSWORD",
                 "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY", "REGKIT_LAB_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REGKIT_LAB_DIR", str(tmp_path / "no-lab"))


@pytest.fixture
def harbor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGKIT_REGISTRY_URL", "https://harbor.example.com")
    monkeypatch.setenv("REGKIT_PROJECT", "demo")
    monkeypatch.setenv("REGKIT_USERNAME", "alice")
    monkeypatch.setenv("REGKIT_PASSWORD", SECRET)


def _all_widget_state() -> str:
    from ipywidgets.widgets.widget import _instances

    return json.dumps([w.get_state() for w in list(_instances.values())], default=str)


def test_form_builds_headless_from_the_environment(harbor_env):
    form = RegistryForm()
    assert (form.url.value, form.project.value, form.username.value) == (
        "https://harbor.example.com", "demo", "alice")
    assert form.verify.value is True and form.ca_bundle.value == ""
    # The default password is usable without a click, but never enters widget state.
    assert form.password.value == ""
    assert "set" in form.password.placeholder
    settings = form.settings()
    assert settings.password.reveal() == SECRET
    assert settings.registry_variable == "harbor.example.com/demo"
    assert SECRET not in _all_widget_state()


def test_default_target_is_the_lab_with_its_admin():
    settings = course.default_settings()
    assert settings.url == "http://127.0.0.1:8080"
    assert settings.username == "admin"
    assert settings.password  # Harbor's default admin password, kept as a Secret
    assert RegistryForm().username.value == "admin"


def test_a_real_registry_gets_no_lab_credentials(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REGKIT_REGISTRY_URL", "https://harbor.example.com")
    settings = course.default_settings()
    assert settings.username is None and settings.password is None


def test_settings_moves_a_typed_password_out_of_the_widget():
    form = RegistryForm(RegistrySettings("http://127.0.0.1:8080", username="admin"))
    form.password.value = SECRET
    first = form.settings()
    assert form.password.value == ""
    assert first.password.reveal() == SECRET
    # Read again: the password is still known, from the form's Secret, not the widget.
    assert form.settings().password.reveal() == SECRET
    assert SECRET not in _all_widget_state()


def test_password_is_cleared_even_when_the_form_is_invalid():
    form = RegistryForm(RegistrySettings("http://127.0.0.1:8080"))
    form.password.value = SECRET
    form.url.value = "ftp://nowhere.example.com"
    with pytest.raises(SettingsError):
        form.settings()
    assert form.password.value == ""


def test_ca_bundle_field_sets_verify(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    form = RegistryForm(RegistrySettings("https://harbor.example.com"))
    form.ca_bundle.value = str(ca)
    assert form.settings().verify == str(ca)
    form.verify.value = False
    assert form.settings().verify is False


def test_reprs_show_no_password_and_no_widget_id(harbor_env):
    form = RegistryForm()
    form.password.value = "typed-" + SECRET
    texts = [repr(form), form._repr_mimebundle_()["text/plain"]]
    form.settings()
    texts += [repr(form), form._repr_mimebundle_()["text/plain"]]
    for text in texts:
        assert SECRET not in text
        assert form.widget.model_id not in text
    assert "password=set" in repr(form)
    assert "set (hidden)" in texts[-1]
    # Stable: two forms with the same defaults print the same text.
    assert RegistryForm()._repr_mimebundle_()["text/plain"] == texts[-1]


def test_form_displays_as_its_widget_with_a_plain_text_fallback():
    bundle = RegistryForm(RegistrySettings("http://127.0.0.1:8080"))._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"]
    assert bundle["text/plain"].startswith("Registry form")


def test_login_button_with_a_bad_url_shows_the_error_text_not_a_traceback():
    form = RegistryForm(RegistrySettings("http://127.0.0.1:8080", username="admin"))
    form.url.value = "ftp://nowhere.example.com"
    form.login_button.click()
    assert len(form.output.outputs) == 1
    output = form.output.outputs[0]
    assert (output["output_type"], output["name"]) == ("stream", "stdout")
    assert output["text"].startswith("✗ SettingsError: url:")
    assert "how to fix:" in output["text"]
    assert "Traceback" not in output["text"]


def test_login_button_calls_the_same_function_as_a_cell():
    seen: list[RegistrySettings] = []

    def fake_login(settings: RegistrySettings) -> None:
        seen.append(settings)
        print("Login Succeeded")

    form = RegistryForm(RegistrySettings("http://127.0.0.1:8080", username="admin",
                                         password=SECRET), on_login=fake_login)
    form.login_button.click()
    assert [s.host for s in seen] == ["127.0.0.1:8080"]
    assert form.output.outputs[0]["text"] == "Login Succeeded\n"


def test_login_button_default_is_course_login():
    # No Engine in unit tests: course.login itself reports that, as readable text.
    form = RegistryForm(RegistrySettings("http://127.0.0.1:8080", username="admin",
                                         password=SECRET))
    text = form.login()
    assert "docker login 127.0.0.1:8080 --username admin --password-stdin" in text
    assert SECRET not in text
    assert "Traceback" not in text


def _events(layer: str = "0123456789ab") -> list[dict]:
    return [
        {"status": "The push refers to repository [127.0.0.1:8080/library/busybox]"},
        {"status": "Preparing", "progressDetail": {}, "id": layer},
        {"status": "Pushing", "progressDetail": {"current": 700, "total": 500}, "id": layer},
        {"status": "Pushed", "progressDetail": {}, "id": layer},
        {"status": "Pushed", "progressDetail": {}, "id": layer},
        {"status": "v1: digest: sha256:" + "a" * 64 + " size: 527"},
        {"progressDetail": {}, "aux": {"Tag": "v1", "Digest": "sha256:" + "a" * 64, "Size": 527}},
    ]


def test_push_progress_plain_text_prints_each_finished_layer_once():
    out = io.StringIO()
    progress = PushProgress("127.0.0.1:8080/library/busybox:v1", widgets_on=False, stream=out)
    for event in _events():
        progress(event)
    assert out.getvalue() == "0123456789ab: Pushed\n"
    assert repr(progress) == "PushProgress('127.0.0.1:8080/library/busybox:v1', 1 layer, 1 done)"
    assert progress._repr_mimebundle_() == {
        "text/plain": "docker push 127.0.0.1:8080/library/busybox:v1 (1 layer, 1 done)"}


def test_push_progress_bars_clamp_and_finish():
    progress = PushProgress("127.0.0.1:8080/library/busybox:v1", widgets_on=True)
    before = progress._repr_mimebundle_()
    assert before["text/plain"] == "docker push 127.0.0.1:8080/library/busybox:v1 (starting)"
    assert WIDGET_VIEW in before
    events = _events()
    for event in events[:3]:
        progress(event)
    bar, label = progress._bars["0123456789ab"]
    assert bar.value == 100  # current > total is clamped
    assert label.value == "Pushing"
    for event in events[3:]:
        progress(event)
    assert (bar.bar_style, label.value) == ("success", "Pushed")
    assert len(progress.widget.children) == 2  # the title and one layer


def test_repository_table_text_and_html():
    from datetime import datetime, timezone

    rows = [RepositoryRow("library/busybox", 2, 3, datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
            RepositoryRow("library/<odd>", 1, 0, None)]
    table = RepositoryTable("library", rows)
    text = str(table)
    assert text.splitlines()[0] == "Repositories in project library: 2"
    assert "library/busybox          2      3  2025-01-02 03:04 UTC" in text
    page = table._repr_html_()
    assert "<td>library/busybox</td><td>2</td><td>3</td><td>2025-01-02 03:04 UTC</td>" in page
    assert "&lt;odd&gt;" in page and "<odd>" not in page
    assert repr(table) == "RepositoryTable('library', 2 repositories)"


def test_empty_repository_table():
    table = RepositoryTable("demo", [])
    assert "(no repositories)" in str(table)
    assert "(no repositories)" in table._repr_html_()
    assert len(table) == 0


def test_show_command_prefixes_each_command(capsys):
    course.show_command("docker tag a b", "docker push b")
    assert capsys.readouterr().out == "$ docker tag a b\n$ docker push b\n"


def test_check_packages_lists_the_course_packages(capsys):
    assert course.check_packages() is True
    out = capsys.readouterr().out
    assert out.startswith("✓ Python packages: docker, requests, ipywidgets")
