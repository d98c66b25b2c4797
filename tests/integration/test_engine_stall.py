"""A push whose stream stalls ends in a regkit error, not in urllib3's ReadTimeoutError.

The registry here is a real socket that accepts connections and never answers (a hung
server, or a firewall that lets the handshake through). The Engine waits on it and sends
no event, so docker-py's read times out in the middle of the push stream.
"""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from regkit.engine import Engine
from regkit.errors import PushError, RegkitError

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("docker_config_guard")]

_TIMEOUT = 3


@pytest.fixture
def silent_registry() -> Iterator[str]:
    """``127.0.0.1:PORT`` where connections are accepted by the kernel and never answered."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_a_stalled_push_is_a_push_error_naming_the_timeout(
    engine: Engine, busybox: str, silent_registry: str
) -> None:
    target = f"{silent_registry}/library/busybox:stalled"
    with Engine(engine.base_url, timeout=_TIMEOUT) as impatient:
        impatient.tag("busybox", target)
        try:
            with pytest.raises(RegkitError) as caught:
                impatient.push(target)
        finally:
            engine.client.remove_image(target)
        # The connection that timed out was dropped, not the Engine object.
        assert impatient.ping()
    error = caught.value
    assert isinstance(error, PushError), repr(error)
    assert f"{_TIMEOUT} s" in error.message and target in error.message
    assert error.operation == f"docker push {target}"
    assert "timeout=" in (error.hint or "") and f"{silent_registry}/v2/" in (error.hint or "")

