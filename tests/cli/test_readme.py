"""The README's fresh-machine commands and .ci/run stay in step."""

from __future__ import annotations

import re

from lvlmkb.eval.media.fonts import FONT_PACKAGES
from tests.conftest import REPO


def _fenced_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.DOTALL)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = [c for c in _fenced_commands() if "python3 -m venv" in c]
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(c for c in _fenced_commands() if "pytest" in c)
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_both_setup_commands_install_their_debian_packages() -> None:
    main, tests = (c for c in _fenced_commands() if "python3 -m venv" in c)
    for command in (main, tests):
        assert "apt-get install" in command and "python3-venv" in command
        assert command.index("apt-get install") < command.index("python3 -m venv")
        assert "echo sudo" in command  # through sudo when not root
    packages = {package for package, _ in FONT_PACKAGES.values()} | {"chromium"}
    assert all(f" {package}" in tests for package in packages), packages


def test_pillow_is_a_core_dependency_so_the_site_install_can_craft() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.lower().startswith("pillow") for dep in project["dependencies"])
