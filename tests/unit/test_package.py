"""The package as a whole: light import, one exception root, environment files in step."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# conda-forge names the PyPI distribution differently for these.
CONDA_NAMES = {"docker": "docker-py"}
# Each is installed (test_import_is_light checks): one that is not could never show up as loaded.
HEAVY = ["docker", "requests", "ipywidgets", "yaml", "cryptography", "bcrypt", "jupyterlab"]


def _requirement_names(requirements: list[str]) -> dict[str, str]:
    out = {}
    for req in requirements:
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", req).groups()
        out[CONDA_NAMES.get(name.lower(), name.lower())] = spec.strip()
    return out


def test_environment_yml_matches_pyproject():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_names(project["dependencies"] + project["optional-dependencies"]["test"])
    import yaml
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))]
    assert _requirement_names(conda) == wanted


def test_import_is_light():
    assert [m for m in HEAVY if importlib.util.find_spec(m) is None] == []
    code = (
        "import sys, json, regkit\n"
        "regkit.parse_reference('busybox'); regkit.RegistrySettings\n"
        "import regkit.cli, regkit.errors\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_every_error_shares_one_root():
    from regkit import errors

    classes = [getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    assert len(classes) > 10
    assert all(issubclass(c, errors.RegkitError) for c in classes)


def test_error_text_carries_operation_server_words_and_fix():
    from regkit.errors import ProjectNotFound, from_engine_message

    err = from_engine_message(
        "unauthorized: project demo not found: project demo not found",
        operation="docker push 127.0.0.1:8080/demo/busybox:v1",
    )
    assert isinstance(err, ProjectNotFound)
    text = str(err)
    assert "docker push 127.0.0.1:8080/demo/busybox:v1" in text
    assert "project demo not found" in text
    assert "how to fix:" in text and "create the project" in text


@pytest.mark.parametrize(
    "message, expected",
    [
        ('Get "https://10.0.0.2:8080/v2/": http: server gave HTTP response to HTTPS client',
         "InsecureRegistryError"),
        ('Get "https://h:443/v2/": x509: certificate signed by unknown authority', "CertificateError"),
        ("x509: certificate is valid for a.example, not b.example", "CertificateError"),
        ("denied: requested access to the resource is denied", "PushDenied"),
        ("unauthorized: unauthorized to access repository: p/r, action: push: unauthorized to "
         "access repository: p/r, action: push", "PushDenied"),
        ("unauthorized: authentication required", "AuthenticationError"),
        ('Get "http://nope.invalid:5000/v2/": dial tcp: lookup nope.invalid: no such host',
         "RegistryUnreachable"),
        ("something nobody has seen before", "RegkitError"),
    ],
)
def test_engine_messages_map_to_the_error_that_explains_them(message, expected):
    from regkit.errors import from_engine_message

    err = from_engine_message(message, operation="docker push x")
    assert type(err).__name__ == expected
    assert message in str(err)


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "regkit.cli", "--version"], capture_output=True,
                         text=True, check=True)
    from regkit import __version__

    assert out.stdout.strip() == f"regkit {__version__}"
