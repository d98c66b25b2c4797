"""The equivalent docker commands: quoting, and never a password."""

from __future__ import annotations

import shlex

from regkit import docker_cli
from regkit.settings import RegistrySettings


def test_login_reads_the_password_from_stdin() -> None:
    settings = RegistrySettings("http://127.0.0.1:8080", username="admin",
                                password="Harbor12345")  # fmt: skip
    command = docker_cli.login_command(settings)
    assert command == (
        "printf '%s' \"$REGKIT_PASSWORD\" | docker login 127.0.0.1:8080 "
        "--username admin --password-stdin"
    )
    assert "Harbor12345" not in command


def test_login_quotes_odd_user_names() -> None:
    settings = RegistrySettings("https://harbor.example.com", username="robot$ci+push",
                                password="x")  # fmt: skip
    command = docker_cli.login_command(settings)
    assert "--username 'robot$ci+push'" in command
    assert shlex.split(command.split("| ", 1)[1])[3:5] == ["--username", "robot$ci+push"]


def test_login_without_user_prompts() -> None:
    assert docker_cli.login_command(RegistrySettings("https://h.example")) == "docker login h.example"


def test_push_pull_tag_logout() -> None:
    ref = "127.0.0.1:8080/library/busybox:v1"
    assert docker_cli.push_command(ref) == f"docker push {ref}"
    assert docker_cli.pull_command(ref) == f"docker pull {ref}"
    assert docker_cli.tag_command("busybox", ref) == f"docker tag busybox {ref}"
    assert docker_cli.logout_command("127.0.0.1:8080") == "docker logout 127.0.0.1:8080"


def test_build_quotes_paths_and_args() -> None:
    command = docker_cli.build_command(
        "my stack/rng", "rng:v1", dockerfile="Dockerfile.prod",
        buildargs={"MESSAGE": "hello world", "N": "1"},
    )  # fmt: skip
    assert shlex.split(command) == [
        "docker", "build", "-t", "rng:v1", "-f", "Dockerfile.prod",
        "--build-arg", "MESSAGE=hello world", "--build-arg", "N=1", "my stack/rng",
    ]  # fmt: skip


def test_info_command_is_shell_safe() -> None:
    assert shlex.split(docker_cli.info_command()) == [
        "docker", "info", "--format", "{{json .RegistryConfig}}",
    ]  # fmt: skip
