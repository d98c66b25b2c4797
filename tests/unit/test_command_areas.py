"""The ``regkit`` areas share one shape: ``regkit AREA ACTION``; a bare area prints its help."""

from __future__ import annotations

import pytest

from regkit.cli import main


@pytest.mark.parametrize("area", ["engine", "lab"])
def test_a_bare_area_prints_its_help_and_is_a_usage_error(
        area: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([area]) == 2
    out = capsys.readouterr().out
    assert out.startswith(f"usage: regkit {area} [-h] ACTION ...")
    assert "status" in out and "down" in out


def test_the_action_is_recorded_per_area() -> None:
    from regkit.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["engine", "env"]).engine_command == "env"
    assert parser.parse_args(["lab", "down", "--test-host"]).lab_command == "down"
