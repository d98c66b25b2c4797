"""DockerCoins built on a real Engine, pushed to a real registry, and the services run.

The slide's exercise end to end: ``REGISTRY`` and ``TAG`` set, the four images built from
notebooks/stacks and pushed; each manifest is then fetched from the registry and its digest
compared with what the push reported. rng, hasher and worker are then started from the
built images (no network: the worker shares rng's network namespace) to show they do the
DockerCoins jobs.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest
import requests

from regkit.compose import build_and_push, load
from regkit.tags import check_tag, rollback

pytestmark = [pytest.mark.engine, pytest.mark.registry]

STACK = Path(__file__).resolve().parents[2] / "notebooks" / "stacks" / "dockercoins.yml"
BUILT = ["rng", "hasher", "webui", "worker"]
TAG = "v0.1"
MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
])


@pytest.fixture(scope="module")
def pushed(engine, registry, busybox):
    """The stack built and pushed once for the module: (project, results, progress events)."""
    environ = {"REGISTRY": f"{registry.address}/library", "TAG": TAG}
    assert check_tag(None, environ=environ) == []
    project = load(STACK, environ)
    events: list[tuple[str, object]] = []
    results = build_and_push(project, engine, settings=registry.settings(),
                             progress=lambda service, event: events.append((service, event)))
    yield project, results, events
    for service in project.services:
        if service.build is not None:
            for name in (service.image, f"{service.image.rsplit(':', 1)[0]}:latest"):
                if engine.image_id(name):
                    engine.client.remove_image(name, force=True)


def manifest(registry, name: str, reference: str) -> requests.Response:
    return requests.get(f"{registry.url}/v2/library/{name}/manifests/{reference}",
                        headers={"Accept": MANIFEST_TYPES},
                        auth=(registry.username, registry.password), timeout=30)


def test_every_image_is_built_and_pushed_and_redis_is_skipped(pushed, registry, engine):
    project, results, _ = pushed
    assert [(r.name, r.status) for r in results] == [
        ("rng", "pushed"), ("hasher", "pushed"), ("webui", "pushed"), ("redis", "skipped"),
        ("worker", "pushed")]
    for result in results:
        if result.name == "redis":
            assert (result.image_id, result.digest, result.commands) == (None, None, ())
            continue
        image = f"{registry.address}/library/{result.name}:{TAG}"
        assert result.image == image
        assert result.image_id == engine.image_id(image)
        assert result.digest.startswith("sha256:")
        build, push = result.commands
        assert build.startswith(f"docker build -t {image} ")
        assert build.endswith(f"dockercoins/{result.name}")
        assert push == f"docker push {image}"
        assert result.compose_commands[0].endswith(f"dockercoins.yml build {result.name}")
        assert result.compose_commands[1].endswith(f"dockercoins.yml push {result.name}")


def test_each_manifest_is_in_the_registry_with_the_reported_digest(pushed, registry):
    _, results, _ = pushed
    for result in results:
        if result.status != "pushed":
            continue
        answer = manifest(registry, result.name, TAG)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Docker-Content-Digest"] == result.digest
        assert "sha256:" + hashlib.sha256(answer.content).hexdigest() == result.digest
        by_digest = manifest(registry, result.name, result.digest)
        assert by_digest.status_code == 200
    tags = requests.get(f"{registry.url}/v2/library/rng/tags/list",
                        auth=(registry.username, registry.password), timeout=30).json()
    assert tags["tags"] == [TAG]  # no "latest" slipped in


def test_progress_reports_each_step_per_service(pushed):
    _, _, events = pushed
    for name in BUILT:
        mine = [event for service, event in events if service == name]
        steps = [e["regkit"] for e in mine if isinstance(e, dict) and "regkit" in e]
        assert steps == ["build", "push", "done"]
        assert any(isinstance(e, str) and "Step 1/" in e for e in mine)  # build output lines
        assert any(isinstance(e, dict) and "regkit" not in e for e in mine)  # push events
    assert [e for s, e in events if s == "redis"] == [
        {"regkit": "skip", "reason": "no build: section; the image is pulled, not built"}]


def test_a_failing_build_names_the_service_and_what_was_done(engine, busybox, registry,
                                                             tmp_path):
    from regkit.errors import BuildError

    for name, step in (("good", "true"), ("bad", "false")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM busybox\nRUN {step}\n")
    (tmp_path / "compose.yml").write_text(
        "services:\n"
        "  good:\n    build: good\n    image: regkit-test/good:v1\n"
        "  bad:\n    build: bad\n    image: regkit-test/bad:v1\n")
    project = load(tmp_path / "compose.yml", {})
    try:
        with pytest.raises(BuildError) as caught:
            build_and_push(project, engine, push=False)
        message = caught.value.message
        assert message.startswith("service 'bad': build failed")
        assert "(done before it: good: built)" in message
        assert any("RUN false" in line for line in caught.value.log)
    finally:
        if engine.image_id("regkit-test/good:v1"):
            engine.client.remove_image("regkit-test/good:v1", force=True)


def test_push_is_skipped_for_a_name_without_registry(engine, busybox, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "compose.yml").write_text("services:\n  app:\n    build: app\n"
                                          "    image: regkit-test/app:v1\n")
    try:
        (result,) = build_and_push(load(tmp_path / "compose.yml", {}), engine)
        assert (result.status, result.digest) == ("built", None)
        assert "Docker Hub" in result.reason
        assert len(result.commands) == 1
    finally:
        engine.client.remove_image("regkit-test/app:v1", force=True)


def test_rollback_points_latest_at_the_good_tag(pushed, engine, registry):
    _, results, _ = pushed
    worker = next(r for r in results if r.name == "worker")
    repository = f"{registry.address}/library/worker"
    done = rollback(engine, repository, TAG, settings=registry.settings())
    assert done.digest == worker.digest
    assert done.commands == (f"docker tag {repository}:{TAG} {repository}:latest",
                             f"docker push {repository}:latest")
    assert manifest(registry, "worker", "latest").headers["Docker-Content-Digest"] == \
        worker.digest


# --- the services do their jobs -----------------------------------------------------------


class Containers:
    """Containers started by a test, removed (forcefully: they keep no state) afterwards."""

    def __init__(self, engine):
        self.client = engine.client
        self.ids: list[str] = []

    def run(self, image: str, *, network: str = "none", environment=None) -> str:
        container = self.client.create_container(
            image, environment=environment,
            host_config=self.client.create_host_config(network_mode=network))
        self.ids.append(container["Id"])
        self.client.start(container["Id"])
        return container["Id"]

    def exec(self, container: str, *command: str) -> tuple[int, bytes]:
        handle = self.client.exec_create(container, list(command))
        output = self.client.exec_start(handle["Id"], demux=True)
        return self.client.exec_inspect(handle["Id"])["ExitCode"], output[0] or b""

    def until(self, container: str, *command: str, attempts: int = 50) -> bytes:
        """Run ``command`` until it succeeds: the server may not be listening yet."""
        for _ in range(attempts):
            code, out = self.exec(container, *command)
            if code == 0:
                return out
            time.sleep(0.2)
        logs = self.client.logs(container).decode(errors="replace")
        raise AssertionError(f"{command} kept failing (exit {code}); container logs:\n{logs}")

    def remove(self) -> None:
        for container in self.ids:
            self.client.remove_container(container, force=True)


@pytest.fixture
def containers(engine):
    started = Containers(engine)
    yield started
    started.remove()


def image(registry, name: str) -> str:
    return f"{registry.address}/library/{name}:{TAG}"


def test_rng_serves_random_bytes(pushed, registry, containers):
    rng = containers.run(image(registry, "rng"))
    first = containers.until(rng, "wget", "-q", "-O", "-", "http://127.0.0.1/32")
    second = containers.until(rng, "wget", "-q", "-O", "-", "http://127.0.0.1/32")
    assert len(first) == len(second) == 32
    assert first != second
    assert len(containers.until(rng, "wget", "-q", "-O", "-", "http://127.0.0.1/1000")) == 1000
    assert containers.until(rng, "wget", "-q", "-O", "-", "http://127.0.0.1/").startswith(
        b"RNG running on ")
    code, _ = containers.exec(rng, "wget", "-q", "-O", "-", "http://127.0.0.1/abc")
    assert code != 0  # 404


def test_hasher_hashes_the_posted_body(pushed, registry, containers):
    hasher = containers.run(image(registry, "hasher"))
    assert containers.until(hasher, "wget", "-q", "-O", "-", "--post-data", "DockerCoins",
                            "http://127.0.0.1/") == \
        hashlib.sha256(b"DockerCoins").hexdigest().encode()
    # Bytes wget cannot post (it stops at NUL), sent as a raw HTTP request, as the worker does.
    binary = b"\x00\x01\xff\r\n" + bytes(range(32))
    request = (b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(binary)) + binary
    written = "".join(f"\\{byte:03o}" for byte in request)
    out = containers.until(hasher, "sh", "-c", f"printf '{written}' | nc 127.0.0.1 80")
    assert out.endswith(b"\r\n\r\n" + hashlib.sha256(binary).hexdigest().encode())
    assert out.split(b" ", 2)[1] == b"200"
    assert containers.until(hasher, "wget", "-q", "-O", "-", "http://127.0.0.1/").startswith(
        b"HASHER running on ")


def test_webui_serves_the_dockercoins_page(pushed, registry, containers):
    webui = containers.run(image(registry, "webui"))
    page = containers.until(webui, "wget", "-q", "-O", "-", "http://127.0.0.1/")
    assert b"<title>DockerCoins</title>" in page


def test_worker_mines_with_rng_and_hasher_and_carries_on_without_redis(pushed, registry,
                                                                       containers, engine):
    # One network namespace for the three (rng's): rng on 80, hasher on 8002, no redis.
    rng = containers.run(image(registry, "rng"))
    hasher = containers.run(image(registry, "hasher"), network=f"container:{rng}",
                            environment={"PORT": "8002"})
    containers.until(hasher, "wget", "-q", "-O", "-", "http://127.0.0.1:8002/")
    worker = containers.run(image(registry, "worker"), network=f"container:{rng}",
                            environment={"RNG_HOST": "127.0.0.1", "HASHER_HOST": "127.0.0.1",
                                         "HASHER_PORT": "8002", "REDIS_HOST": "127.0.0.1"})
    logs = ""
    for _ in range(300):  # a coin is one hash in sixteen; each hash sleeps 0.2 s
        logs = engine.client.logs(worker).decode(errors="replace")
        if "did not count it" in logs:
            break
        time.sleep(0.2)
    coins = re.findall(r"^worker: coin ([0-9a-f]{64})(.*)$", logs, re.M)
    assert coins, f"no coin mined; worker logs:\n{logs}"
    digest, rest = coins[0]
    assert digest.startswith("0")
    assert rest == ", but redis (127.0.0.1:6379) did not count it; mining on"
    assert engine.client.inspect_container(worker)["State"]["Running"]
    assert "did not answer" not in logs  # rng and hasher both answered every time
