"""The built site in a real browser: Debian's chromium driven by Playwright, served on localhost."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lvlmkb.project import Project
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("LVLMKB_ARTIFACTS", REPO / "build" / "test-artifacts"))
# Flags that keep chromium off the network and quiet when run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> tuple[Any, str]:
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        if os.environ.get("LVLMKB_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return playwright, CHROMIUM


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("mkdocs")
    from lvlmkb.publish.site.build import build_site

    out = build_site(Project(REPO), out=tmp_path_factory.mktemp("site") / "out").out
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Any]:
    playwright, executable = _require_browser()
    with playwright.sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _visit(browser: Any, url: str, shot: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    external: list[str] = []
    page.on("request", lambda req: external.append(req.url) if not req.url.startswith(url.split("/", 3)[0]) else None)
    page.goto(url, wait_until="networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=False)
    assert external == [], f"the page fetched from outside localhost: {external}"
    return page, errors


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/index.html", ["LVLM safety knowledge base", "Newest papers", "Contribute"]),
        ("/taxonomy/black-box-typography.html", ["Malicious typography", "FigStep"]),
        ("/papers/gong2023figstep.html", ["FigStep", "Malicious typography", "2311.05608", "Relations"]),
        ("/charts.html", ["Papers per year"]),
    ],
)
def test_page_renders(browser: Any, site_url: str, path: str, expected: list[str]) -> None:
    page, errors = _visit(browser, site_url + path, path.strip("/").replace("/", "_").removesuffix(".html"))
    text = page.inner_text("body")
    for fragment in expected:
        assert fragment in text
    assert errors == []
    page.close()


def test_search_finds_a_paper(browser: Any, site_url: str) -> None:
    page, errors = _visit(browser, site_url + "/index.html", "search-before")
    page.keyboard.press("/")  # Material's search shortcut focuses the search box
    page.keyboard.type("FigStep", delay=30)
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    results = page.inner_text(".md-search-result")
    page.screenshot(path=str(ARTIFACTS / "search.png"))
    assert "FigStep" in results
    assert errors == []
    page.close()
