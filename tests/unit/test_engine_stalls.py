"""urllib3/requests failures raised inside an Engine stream become regkit errors. No I/O.

The push case runs for real in tests/integration/test_engine_stall.py; these cover the
other operations' wording, which a real Engine cannot be made to produce on demand.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests
import urllib3.exceptions

from regkit.engine import Engine
from regkit.errors import BuildError, EngineUnavailable, RegistryError


def _stream(error: Exception) -> Iterator[dict[str, Any]]:
    yield {"stream": "Step 1/2 : FROM scratch\n"}
    raise error


def _drain(engine: Engine, error: Exception, operation: str, default: type, subject: str) -> None:
    for _ in engine._events(lambda: _stream(error), operation=operation, default=default,
                            subject=subject):
        pass


def test_a_silent_build_step_is_a_build_error_suggesting_a_longer_timeout() -> None:
    engine = Engine("unix:///nonexistent.sock", timeout=7)
    timeout = urllib3.exceptions.ReadTimeoutError(None, None, "Read timed out.")  # type: ignore[arg-type]
    with pytest.raises(BuildError) as caught:
        _drain(engine, timeout, "docker build -t app:v1 ctx", BuildError, "app:v1")
    assert caught.value.message == "build of app:v1 stalled: the Engine reported nothing for 7 s"
    assert "RUN" in (caught.value.hint or "") and "Engine(timeout=...)" in (caught.value.hint or "")
    assert isinstance(caught.value.__cause__, urllib3.exceptions.ReadTimeoutError)


def test_a_login_waiting_on_a_silent_registry_names_the_registry() -> None:
    engine = Engine("unix:///nonexistent.sock", timeout=5)
    with pytest.raises(RegistryError) as caught:
        engine._call(lambda: (_ for _ in ()).throw(requests.exceptions.ReadTimeout("slow")),
                     operation="docker login 127.0.0.1:5000", default=RegistryError,
                     subject="127.0.0.1:5000")
    assert "5 s" in caught.value.message
    assert "http://127.0.0.1:5000/v2/" in (caught.value.hint or "")


def test_a_stream_cut_by_the_engine_is_engine_unavailable() -> None:
    engine = Engine("unix:///nonexistent.sock")
    cut = urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(0 bytes read)")
    with pytest.raises(EngineUnavailable) as caught:
        _drain(engine, cut, "docker push 127.0.0.1:5000/a/b:v1", RegistryError,
               "127.0.0.1:5000/a/b:v1")
    assert "lost the connection" in caught.value.message
