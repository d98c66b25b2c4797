"""RegistrySettings and Secret: validation, REGKIT_* variables, and a password that never shows."""

from __future__ import annotations

import copy
import dataclasses
import logging
import pickle
from pathlib import Path

import pytest

from regkit.errors import InvalidReference, SettingsError
from regkit.settings import DEFAULT_URL, RegistrySettings, Secret

# Distinctive enough that finding it anywhere means it leaked.
PASSWORD = "pw-Zq8#distinctive-4711"


@pytest.fixture
def settings() -> RegistrySettings:
    return RegistrySettings("http://127.0.0.1:8080", username="admin", password=PASSWORD)


# --- Secret ----------------------------------------------------------------------------------

def test_secret_never_shows_its_value() -> None:
    secret = Secret(PASSWORD)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>30}",
             "%s %r" % (secret, secret), format(secret), str([secret]), str({"pw": secret})]
    for text in shown:
        assert PASSWORD not in text
    assert repr(secret) == "Secret('******')"
    assert str(secret) == "******"
    assert f"{secret:>8}" == "  ******"


def test_secret_has_no_dict_and_cannot_be_pickled() -> None:
    secret = Secret(PASSWORD)
    with pytest.raises(TypeError):
        vars(secret)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="not pickled"):
            pickle.dumps(secret, protocol=protocol)
    with pytest.raises(TypeError):
        secret.__getstate__()


def test_secret_is_immutable_and_copies_are_itself() -> None:
    secret = Secret(PASSWORD)
    with pytest.raises(AttributeError):
        secret._value = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del secret._value
    assert copy.copy(secret) is secret
    assert copy.deepcopy(secret) is secret
    assert secret.reveal() == PASSWORD


def test_secret_equality_truth_and_hash() -> None:
    assert Secret(PASSWORD) == Secret(PASSWORD)
    assert Secret(PASSWORD) != Secret(PASSWORD + "x")
    assert Secret(PASSWORD) != PASSWORD  # a Secret equals only a Secret
    assert hash(Secret(PASSWORD)) == hash(Secret(PASSWORD))
    assert len({Secret("a"), Secret("a"), Secret("b")}) == 2
    assert not Secret("")
    assert Secret("x")
    assert repr(Secret("")) == "Secret('')"
    assert str(Secret("")) == ""
    assert Secret(Secret(PASSWORD)).reveal() == PASSWORD
    with pytest.raises(TypeError):
        Secret(1234)  # type: ignore[arg-type]


# --- RegistrySettings: secrecy ----------------------------------------------------------------

def test_settings_never_show_the_password(settings: RegistrySettings,
                                          caplog: pytest.LogCaptureFixture) -> None:
    shown = [repr(settings), str(settings), f"{settings}", f"{settings!r}", settings.describe(),
             str(vars(settings)), str(dataclasses.asdict(settings)),
             str(dataclasses.astuple(settings)), str(settings.replace(project="demo"))]
    for text in shown:
        assert PASSWORD not in text
    logging.getLogger("regkit.test").warning("settings: %s %r", settings, settings)
    assert "settings:" in caplog.text
    assert PASSWORD not in caplog.text
    assert isinstance(settings.password, Secret)
    assert settings.password.reveal() == PASSWORD


def test_errors_raised_with_a_password_set_do_not_contain_it() -> None:
    with pytest.raises(SettingsError) as info:
        RegistrySettings("ftp://h", username="admin", password=PASSWORD)
    assert PASSWORD not in str(info.value)
    with pytest.raises(SettingsError) as info:
        RegistrySettings(f"https://admin:{PASSWORD}@harbor.example.com")
    assert PASSWORD not in str(info.value)
    with pytest.raises(SettingsError) as info:
        RegistrySettings.from_env({"REGKIT_REGISTRY_URL": f"http://u:{PASSWORD}@h:5000"})
    assert PASSWORD not in str(info.value)
    assert "REGKIT_REGISTRY_URL" in info.value.message


def test_settings_with_a_password_cannot_be_pickled(settings: RegistrySettings) -> None:
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(settings)
    anonymous = RegistrySettings("http://127.0.0.1:8080")
    assert pickle.loads(pickle.dumps(anonymous)) == anonymous


def test_describe(settings: RegistrySettings, tmp_path: Path) -> None:
    assert settings.describe() == (
        "registry http://127.0.0.1:8080, REGISTRY=127.0.0.1:8080/library, user admin, "
        "password ******, TLS: none (plain HTTP)")
    anonymous = RegistrySettings("https://harbor.example.com", project="demo", verify=False)
    assert anonymous.describe() == (
        "registry https://harbor.example.com, REGISTRY=harbor.example.com/demo, "
        "user (anonymous), password (not set), TLS: NOT verified")
    ca = tmp_path / "ca.crt"
    ca.write_text("pem")
    assert f"TLS: verified with CA {ca}" in anonymous.replace(verify=str(ca)).describe()
    assert "password (not set)" in settings.replace(password="").describe()


# --- RegistrySettings: validation ------------------------------------------------------------

@pytest.mark.parametrize("url,normal,scheme,host", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "http", "127.0.0.1:8080"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", "http", "127.0.0.1:8080"),
    ("harbor.example.com", "https://harbor.example.com", "https", "harbor.example.com"),
    ("HTTPS://Harbor.Example.com/harbor/projects", "https://harbor.example.com", "https",
     "harbor.example.com"),
    ("https://h.example:443", "https://h.example:443", "https", "h.example:443"),
    ("http://localhost", "http://localhost", "http", "localhost"),
    ("http://[::1]:5000", "http://[::1]:5000", "http", "[::1]:5000"),
])
def test_url_normal_form(url: str, normal: str, scheme: str, host: str) -> None:
    s = RegistrySettings(url)
    assert (s.url, s.base_url, s.scheme, s.host) == (normal, normal, scheme, host)
    assert s.registry_variable == f"{host}/library"


@pytest.mark.parametrize("url,phrase", [
    ("ftp://h.example", "scheme 'ftp'"),
    ("", "empty"),
    ("http://h.example:0", "1-65535"),
    ("http://registry", "Docker Hub"),
    ("https://Registry", "Docker Hub"),
])
def test_bad_urls_raise_settings_error(url: str, phrase: str) -> None:
    with pytest.raises(SettingsError) as info:
        RegistrySettings(url)
    assert info.value.message.startswith("url: ")
    assert phrase in info.value.message
    assert info.value.hint
    assert isinstance(info.value, ValueError)


def test_single_label_host_hint_gives_a_working_url() -> None:
    with pytest.raises(SettingsError) as info:
        RegistrySettings("http://registry")
    assert "'http://registry:80'" in info.value.hint
    assert RegistrySettings("http://registry:80").registry_variable == "registry:80/library"


def test_bad_project_raises_settings_error_with_a_hint() -> None:
    with pytest.raises(SettingsError) as info:
        RegistrySettings("http://127.0.0.1:8080", project="DockerCoins")
    assert "project: " in info.value.message
    assert "'DockerCoins'" in info.value.message
    assert info.value.hint == "use lowercase: 'DockerCoins' -> 'dockercoins'"


@pytest.mark.parametrize("username", ["ad min", "admin\n", "a:b"])
def test_usernames_with_colon_or_whitespace_are_refused(username: str) -> None:
    with pytest.raises(SettingsError, match="username"):
        RegistrySettings("http://127.0.0.1:8080", username=username)


def test_empty_username_is_anonymous() -> None:
    assert RegistrySettings("http://127.0.0.1:8080", username="").username is None


def test_password_forms() -> None:
    assert RegistrySettings("h:5000", password=Secret("x")).password == Secret("x")
    assert RegistrySettings("h:5000", password="x").password == Secret("x")
    assert RegistrySettings("h:5000").password is None
    with pytest.raises(TypeError):
        RegistrySettings("h:5000", password=123)  # type: ignore[arg-type]


def test_verify_forms(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("pem")
    assert RegistrySettings("h:5000").verify is True
    assert RegistrySettings("h:5000", verify=False).verify is False
    assert RegistrySettings("h:5000", verify=str(ca)).verify == str(ca)
    assert RegistrySettings("h:5000", verify=ca).verify == str(ca)  # type: ignore[arg-type]
    with pytest.raises(SettingsError) as info:
        RegistrySettings("h:5000", verify=str(tmp_path / "missing.crt"))
    assert "missing.crt" in info.value.message
    assert "getcert" in info.value.hint
    with pytest.raises(TypeError):
        RegistrySettings("h:5000", verify=1)  # type: ignore[arg-type]


def test_settings_are_frozen_and_replace_revalidates(settings: RegistrySettings) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.project = "demo"  # type: ignore[misc]
    demo = settings.replace(project="demo", url="https://harbor.example.com/")
    assert (demo.registry_variable, demo.username) == ("harbor.example.com/demo", "admin")
    assert demo.password == settings.password
    with pytest.raises(SettingsError):
        settings.replace(project="Bad Name")
    with pytest.raises(TypeError):
        settings.replace(colour="blue")
    assert hash(settings) == hash(settings.replace())
    assert settings == settings.replace()


def test_image(settings: RegistrySettings) -> None:
    assert settings.image("busybox") == "127.0.0.1:8080/library/busybox"
    assert settings.image("busybox", "v1") == "127.0.0.1:8080/library/busybox:v1"
    assert settings.image("busybox:v1") == "127.0.0.1:8080/library/busybox:v1"
    assert settings.image("dockercoins/rng", "v0.1") == (
        "127.0.0.1:8080/library/dockercoins/rng:v0.1")
    with pytest.raises(InvalidReference, match="already carries a tag"):
        settings.image("busybox:v1", "v2")
    with pytest.raises(InvalidReference, match="'BusyBox'"):
        settings.image("BusyBox")
    with pytest.raises(InvalidReference, match="'bad tag'"):
        settings.image("busybox", "bad tag")


# --- from_env ----------------------------------------------------------------------------------

def test_from_env_defaults_to_the_practice_lab() -> None:
    s = RegistrySettings.from_env({})
    assert s == RegistrySettings(DEFAULT_URL)
    assert (s.url, s.project, s.username, s.password, s.verify) == (
        "http://127.0.0.1:8080", "library", None, None, True)


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    s = RegistrySettings.from_env({
        "REGKIT_REGISTRY_URL": "https://harbor.example.com",
        "REGKIT_PROJECT": "dockercoins",
        "REGKIT_USERNAME": "alice",
        "REGKIT_PASSWORD": PASSWORD,
        "REGKIT_CA_BUNDLE": str(ca),
    })
    assert (s.url, s.project, s.username, s.verify) == (
        "https://harbor.example.com", "dockercoins", "alice", str(ca))
    assert s.password == Secret(PASSWORD)
    assert PASSWORD not in repr(s)


def test_from_env_treats_empty_values_as_unset() -> None:
    s = RegistrySettings.from_env({name: "" for name in (
        "REGKIT_REGISTRY_URL", "REGKIT_PROJECT", "REGKIT_USERNAME", "REGKIT_PASSWORD",
        "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY")})
    assert s == RegistrySettings(DEFAULT_URL)


@pytest.mark.parametrize("word,expected", [
    ("0", False), ("false", False), ("No", False), ("OFF", False),
    ("1", True), ("true", True), ("yes", True), ("on", True),
])
def test_from_env_tls_verify(word: str, expected: bool) -> None:
    env = {"REGKIT_REGISTRY_URL": "https://h.example", "REGKIT_TLS_VERIFY": word}
    assert RegistrySettings.from_env(env).verify is expected


def test_from_env_refuses_unclear_tls_settings(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="REGKIT_TLS_VERIFY: 'maybe'"):
        RegistrySettings.from_env({"REGKIT_TLS_VERIFY": "maybe"})
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    with pytest.raises(SettingsError) as info:
        RegistrySettings.from_env({"REGKIT_TLS_VERIFY": "0", "REGKIT_CA_BUNDLE": str(ca)})
    assert "REGKIT_CA_BUNDLE" in info.value.message and "unset one" in info.value.hint
    with pytest.raises(SettingsError, match="REGKIT_CA_BUNDLE: the CA bundle"):
        RegistrySettings.from_env({"REGKIT_CA_BUNDLE": str(tmp_path / "nope.pem")})


@pytest.mark.parametrize("variable,value", [
    ("REGKIT_REGISTRY_URL", "ftp://h.example"),
    ("REGKIT_PROJECT", "Demo"),
    ("REGKIT_USERNAME", "a:b"),
])
def test_from_env_errors_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        RegistrySettings.from_env({variable: value})
    assert info.value.message.startswith(f"{variable}: ")


def test_from_env_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"REGKIT_REGISTRY_URL": "https://harbor.example.com", "REGKIT_PROJECT": "demo",
           "REGKIT_PASSWORD": "from-env"}
    s = RegistrySettings.from_env(env, project="override", password=PASSWORD, verify=False)
    assert (s.project, s.verify, s.host) == ("override", False, "harbor.example.com")
    assert s.password == Secret(PASSWORD)
    assert RegistrySettings.from_env(env, password=None).password is None
    with pytest.raises(TypeError, match="colour"):
        RegistrySettings.from_env(env, colour="blue")


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REGKIT_USERNAME", "REGKIT_PASSWORD", "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REGKIT_REGISTRY_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("REGKIT_PROJECT", "course")
    assert RegistrySettings.from_env().registry_variable == "127.0.0.1:9999/course"
