"""``site serve`` binds its port before building, and a busy or invalid port is a clean usage error."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lvlmkb.cli import app


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_an_invalid_port_is_refused_before_building(kb_root: Path, port: str) -> None:
    result = CliRunner().invoke(app, ["site", "serve", "--root", str(kb_root), "--port", port])
    assert result.exit_code == 2 and "is not a TCP port" in result.output, result.output
    assert not (kb_root / "build").exists() and "Traceback" not in result.output


def test_a_busy_port_is_refused_before_building(kb_root: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["site", "serve", "--root", str(kb_root), "--port", str(port)])
    assert result.exit_code == 2 and f"port {port} is not free" in result.output, result.output
    assert "pass another --port" in result.output and not (kb_root / "build" / "site").exists()
