"""Engine against a real dockerd and a real registry: login, push, pull, build, tag."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from regkit.engine import Engine, PushResult
from regkit.progress import fold_push_events
from regkit.errors import (
    AuthenticationError,
    BuildError,
    InvalidReference,
    NotFoundError,
    SettingsError,
)
from tests.conftest import DockerConfigGuard, RegistryFixture

pytestmark = [pytest.mark.engine, pytest.mark.registry, pytest.mark.usefixtures("docker_config_guard")]

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])  # fmt: skip


@pytest.fixture
def fresh(engine: Engine) -> Iterator[Engine]:
    """An Engine object with no logins, created after DOCKER_CONFIG was redirected."""
    with Engine(engine.base_url) as new:
        yield new


def test_login_succeeds_with_the_right_password(fresh: Engine, registry: RegistryFixture) -> None:
    result = fresh.login(registry.settings())
    assert result.status == "Login Succeeded"
    assert result.registry == registry.address
    assert registry.password not in repr(result)
    assert "--password-stdin" in result.command and registry.password not in result.command


def test_wrong_password_fails_even_after_a_right_login(
    fresh: Engine, registry: RegistryFixture
) -> None:
    with pytest.raises(AuthenticationError) as first:
        fresh.login(registry.settings(password="wrong"))
    assert "REGKIT_PASSWORD" in str(first.value)  # the hint
    assert first.value.operation and "docker login" in first.value.operation
    fresh.login(registry.settings())
    # docker-py alone would return its cached login here and report success.
    with pytest.raises(AuthenticationError):
        fresh.login(registry.settings(password="wrong"))


def test_login_without_credentials_is_a_settings_error(
    fresh: Engine, registry: RegistryFixture
) -> None:
    with pytest.raises(SettingsError):
        fresh.login(registry.settings(username=None, password=None))


def _manifest_digest(registry: RegistryFixture, repository: str, tag: str) -> str:
    answer = requests.head(
        f"{registry.url}/v2/{repository}/manifests/{tag}",
        auth=(registry.username, registry.password),
        headers={"Accept": MANIFEST_TYPES},
        timeout=10,
    )
    assert answer.status_code == 200, answer.status_code
    return answer.headers["Docker-Content-Digest"]


def test_push_returns_the_registry_digest(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    settings = registry.settings()
    target = fresh.tag("busybox:latest", settings.image("busybox", "push-test"))
    events: list[dict[str, Any]] = []
    result = fresh.push(target, settings=settings, progress=events.append)
    assert isinstance(result, PushResult)
    assert result.digest == _manifest_digest(registry, "library/busybox", "push-test")
    assert result.tag == "push-test"
    assert result.size and result.size > 0
    assert result.command == f"docker push {target}"
    assert all(layer.done for layer in result.layers)
    assert fold_push_events(events).digest == result.digest


def test_push_after_login_uses_the_login(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    target = fresh.tag("busybox", registry.settings().image("busybox", "after-login"))
    fresh.login(registry.settings())
    result = fresh.push(target)
    assert result.digest == _manifest_digest(registry, "library/busybox", "after-login")


def test_push_without_a_tag_pushes_latest_only(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    settings = registry.settings()
    fresh.tag("busybox", settings.image("solo", "latest"))
    fresh.tag("busybox", settings.image("solo", "other"))
    result = fresh.push(settings.image("solo"), settings=settings)
    assert result.tag == "latest"
    tags = requests.get(
        f"{registry.url}/v2/library/solo/tags/list",
        auth=(registry.username, registry.password), timeout=10,
    ).json()["tags"]  # fmt: skip
    assert tags == ["latest"]


def test_push_without_credentials_raises(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    target = fresh.tag("busybox", registry.settings().image("busybox", "anon"))
    with pytest.raises(AuthenticationError) as info:
        fresh.push(target)
    assert "login" in (info.value.hint or "")


def test_push_with_a_wrong_password_raises(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    settings = registry.settings(password="wrong")
    target = fresh.tag("busybox", settings.image("busybox", "wrong"))
    with pytest.raises(AuthenticationError):
        fresh.push(target, settings=settings)


def test_push_of_a_missing_image_raises_not_found(
    fresh: Engine, registry: RegistryFixture
) -> None:
    settings = registry.settings()
    with pytest.raises(NotFoundError) as info:
        fresh.push(settings.image("never-built", "v1"), settings=settings)
    assert info.value.operation == f"docker push {settings.image('never-built', 'v1')}"


def test_push_to_another_registry_than_the_settings_is_refused(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    with pytest.raises(SettingsError) as info:
        fresh.push("busybox:latest", settings=registry.settings())
    assert registry.address in (info.value.hint or "")


def test_push_by_digest_is_refused(fresh: Engine, registry: RegistryFixture) -> None:
    with pytest.raises(InvalidReference):
        fresh.push(f"{registry.address}/library/busybox@sha256:{'a' * 64}")


def test_pull_returns_the_pushed_digest(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    settings = registry.settings()
    target = fresh.tag("busybox", settings.image("busybox", "pull-test"))
    pushed = fresh.push(target, settings=settings)
    events: list[dict[str, Any]] = []
    assert fresh.pull(target, settings=settings, progress=events.append) == pushed.digest
    assert any("Digest" in str(event.get("status")) for event in events)


def test_pull_of_a_missing_tag_raises_not_found(
    fresh: Engine, registry: RegistryFixture
) -> None:
    settings = registry.settings()
    with pytest.raises(NotFoundError):
        fresh.pull(settings.image("busybox", "no-such-tag"), settings=settings)


def test_credentials_never_reach_the_docker_config(
    fresh: Engine, registry: RegistryFixture, busybox: str, docker_config_guard: DockerConfigGuard
) -> None:
    settings = registry.settings()
    fresh.login(settings)
    fresh.push(fresh.tag("busybox", settings.image("busybox", "guarded")), settings=settings)
    docker_config_guard.assert_untouched()


def test_build_and_tag(fresh: Engine, busybox: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM busybox:latest\nARG GREETING\nRUN echo "$GREETING" > /greeting\n'
    )
    lines: list[str] = []
    result = fresh.build(tmp_path, "regkit-test/greeter:v1", buildargs={"GREETING": "hi"},
                         progress=lines.append)  # fmt: skip
    assert result.image_id.startswith("sha256:")
    assert result.image_id == fresh.image_id("regkit-test/greeter:v1")
    assert list(result.log) == lines
    assert any(line.startswith("Step 3/3") for line in lines)
    assert result.command == f"docker build -t regkit-test/greeter:v1 --build-arg GREETING=hi {tmp_path}"
    assert fresh.tag(result.image_id, "regkit-test/greeter") == "regkit-test/greeter:latest"
    assert fresh.image_id("regkit-test/greeter:latest") == result.image_id


def test_failing_build_raises_with_the_log(fresh: Engine, busybox: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN exit 3\n")
    with pytest.raises(BuildError) as info:
        fresh.build(tmp_path, "regkit-test/broken")
    assert "returned a non-zero code: 3" in str(info.value)
    assert any(line.startswith("Step 2/2") for line in info.value.log)


def test_build_of_a_missing_context_raises(fresh: Engine, tmp_path: Path) -> None:
    with pytest.raises(BuildError):
        fresh.build(tmp_path / "missing", "regkit-test/none")


def test_tag_of_a_missing_image_raises_not_found(fresh: Engine) -> None:
    with pytest.raises(NotFoundError):
        fresh.tag("regkit-test/does-not-exist:v0", "regkit-test/copy:v0")


def test_logout_forgets_the_login(
    fresh: Engine, registry: RegistryFixture, busybox: str
) -> None:
    target = fresh.tag("busybox", registry.settings().image("busybox", "logout"))
    fresh.login(registry.settings())
    fresh.logout(registry.address)
    with pytest.raises(AuthenticationError):
        fresh.push(target)
