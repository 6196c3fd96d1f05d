"""The Performance page: absent, valid, unreadable and hostile ``bench/results.json``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.kb.validate import open_kb
from lvlmkb.publish.site.perf_page import performance_page
from tests.publish.site.test_hostile import PAYLOADS, _Collector

markdown = pytest.importorskip("markdown")


def figure(name: str, value: float, target: float | None, unit: str = "s", **extra: Any) -> dict[str, Any]:
    met = None if target is None else value <= target
    base = {"name": name, "label": f"{name} label", "measurement": f"{name} (own subprocess)", "value": value}
    return {**base, "unit": unit, "target": target, "met": met, "peak_mib": 17.2, "note": "best of 5", **extra}


def results(figures: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    machine = {"cpus": 2, "python": "3.11.7", "torch": "2.13.0+cpu", "platform": "Linux-x86_64"}
    machine |= {"packages": {"torch": "2.13.0+cpu", "pillow": "13.0.0"}, "git": {"commit": "ab" * 20, "dirty": True}}
    machine |= {"load_average_before": [1.5, 1.25, 1.0], "load_average_after": [1.0, 1.0, 1.0]}
    return {"created": "2026-01-02T03:04:05+00:00", "quick": False, "machine": machine, "figures": figures, **extra}


def write(root: Path, data: dict[str, Any] | str) -> Path:
    path = root / "bench" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return root


def test_without_results_the_page_says_how_to_record(tmp_path: Path) -> None:
    page = performance_page(tmp_path)
    assert "No benchmark has been recorded yet." in page and "`python bench/run.py`" in page
    assert "## Figures" not in page


def test_figures_targets_and_machine_are_shown(tmp_path: Path) -> None:
    figures = [
        figure("help-cold-start", 0.0897, 0.3),
        figure("backend-overhead-janus", 1.17, 1.1, unit="×"),
        figure("figstep-typography", 686.4, None, unit="images/s", better="higher", met=None),
    ]
    page = performance_page(write(tmp_path, results(figures)))
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in page.splitlines() if line.startswith("| ")}
    assert "0.0897 s | ≤ 0.3 s | yes | 17 | best of 5" in rows["help-cold-start label (`help-cold-start`)"]
    assert "1.17 × | ≤ 1.1 × | **no** |" in rows["backend-overhead-janus label (`backend-overhead-janus`)"]
    assert "686 images/s | – | – |" in rows["figstep-typography label (`figstep-typography`)"]
    assert "Missed targets: `backend-overhead-janus`." in page
    assert rows["CPUs"] == "| CPUs | 2 |" and rows["torch"] == "| torch | 2.13.0+cpu |"
    assert "`abababababab` (uncommitted changes)" in page and "1.50, 1.25, 1.00 / 1.00, 1.00, 1.00" in page
    assert "Not a full run" not in page


def test_a_partial_quick_run_is_flagged(tmp_path: Path) -> None:
    page = performance_page(write(tmp_path, results([figure("help-cold-start", 0.1, 0.3)], quick=True, only=["help"])))
    assert '!!! warning "Not a full run"' in page and "a --quick smoke run of `help`" in page


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps(results([figure("help-cold-start", 0.5, 0.3, met=True)])),  # met contradicts the target
        json.dumps(results([figure("help-cold-start", 0.1, 0.3, colour="red")])),  # unknown key
    ],
)
def test_an_unreadable_file_is_reported_not_fatal(tmp_path: Path, text: str) -> None:
    page = performance_page(write(tmp_path, text))
    assert "`bench/results.json` could not be read:" in page and "## Figures" not in page


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_stays_text(tmp_path: Path, payload: str) -> None:
    hostile = figure(
        f"n {payload}", 1.0, 2.0, unit=f"u {payload}", label=f"L {payload}", note=payload, memory_method=payload
    )
    data = results([hostile, figure("plain", 1.0, None)], created=payload, only=[payload], failures={payload: payload})
    data["machine"] |= {"python": payload, "platform": payload, "packages": {payload: payload}}
    data["machine"]["git"] = {"commit": payload, "dirty": False}
    html = markdown.markdown(performance_page(write(tmp_path, data)), extensions=["tables", "admonition"])
    collector = _Collector()
    collector.feed(html)
    assert collector.bad == [] and collector.scripts == []
    for tag in ("<script", "<iframe", "<svg", "<style", "<img"):
        assert tag not in html
    assert not re.search(r'href="javascript', html)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
    widths = {len(re.findall(r"<t[dh][ >]", row)) for row in rows}
    assert widths <= {6, 2}, "a payload changed the shape of a table"


def test_the_site_build_generates_the_page(kb_root: Path) -> None:
    from lvlmkb.project import Project
    from lvlmkb.publish.site.build import generate_pages

    write(kb_root, results([figure("help-cold-start", 0.09, 0.3)]))
    kb, _ = open_kb(Project(kb_root))
    assert "`help-cold-start`" in generate_pages(kb)["performance.md"]
