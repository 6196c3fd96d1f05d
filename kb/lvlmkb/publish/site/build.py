"""Stage the docs (hand-written + generated pages + SVG) and build them with MkDocs Material."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lvlmkb.errors import LvlmkbError, UsageError, relpath
from lvlmkb.eval.run.runs import find_runs
from lvlmkb.kb.knowledge import KnowledgeBase
from lvlmkb.kb.validate import open_kb
from lvlmkb.project import Project
from lvlmkb.publish.site.gaps_page import gaps_page
from lvlmkb.publish.site.kb_pages import kb_pages
from lvlmkb.publish.site.links import Pages
from lvlmkb.publish.site.paper_pages import paper_pages
from lvlmkb.publish.site.perf_page import performance_page
from lvlmkb.publish.site.run_pages import run_pages
from lvlmkb.publish.site.svg import category_chart, relation_graph_svg, taxonomy_tree, timeline_chart

MARKER = ".lvlmkb-site"


class SiteBuildError(LvlmkbError):
    """MkDocs is missing or the build failed."""


@dataclass(frozen=True)
class SiteBuild:
    """Where the site was written and how long it took."""

    out: Path
    pages: int
    seconds: float

    @property
    def index(self) -> Path:
        """The home page, to open in a browser."""
        return self.out / "index.html"


def generate_pages(kb: KnowledgeBase) -> Pages:
    """Every generated Markdown page and SVG asset, keyed by path inside the docs folder."""
    pages = {**kb_pages(kb), **paper_pages(kb)}
    runs, _unreadable = find_runs(kb.project.root)  # listed as unreadable on the Results page
    pages.update(run_pages(kb, runs))
    pages["performance.md"] = performance_page(kb.project.root)
    pages["gaps.md"] = gaps_page(kb)
    pages["assets/timeline.svg"] = timeline_chart(kb)
    pages["assets/categories.svg"] = category_chart(kb)
    pages["assets/taxonomy.svg"] = taxonomy_tree(kb)
    pages["assets/relations.svg"] = relation_graph_svg(kb)
    return pages


def stage(project: Project, kb: KnowledgeBase, staging: Path, out: Path) -> Path:
    """Write docs and a ``mkdocs.yml`` into ``staging``; return the config path."""
    source = project.site_dir
    docs = staging / "docs"
    _refuse_links(project, source, staging)
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source / "docs", docs)
    for relative, text in generate_pages(kb).items():
        target = docs / relative
        if target.exists():
            raise SiteBuildError(f"site/docs/{relative} clashes with a generated page", "rename the hand-written file")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    config: dict[str, Any] = yaml.safe_load((source / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(docs_dir="docs", site_dir=str(out))
    config_path = staging / "mkdocs.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return config_path


def _refuse_links(project: Project, source: Path, staging: Path) -> None:
    """The hand-written pages are copied and published: a link could publish any file of the machine."""
    root = project.root.resolve()
    if staging.is_symlink() or not staging.resolve().is_relative_to(root):
        raise SiteBuildError(f"{staging} is a link or lies outside the checkout", "remove the link")
    for path in [source, source / "mkdocs.yml", source / "docs", *(source / "docs").rglob("*")]:
        if path.is_symlink():
            raise SiteBuildError(f"{relpath(path, project.root)} is a symbolic link", "commit the file itself")


def check_out_dir(project: Project, out: Path) -> Path:
    """Refuse output folders whose contents the build would delete or that lie inside the sources."""
    out = out.expanduser().resolve()
    root = project.root.resolve()
    protected = [root, root / "site", root / "papers", root / "taxonomy", root / "kb", root / "reproductions"]
    if out in protected or any(p in out.parents for p in protected[1:]):
        raise UsageError(f"--out {out} is inside the sources", "choose a folder under build/ or outside the checkout")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise UsageError(f"--out {out} exists and was not written by lvlmkb", "choose a new or empty folder")
    return out


def default_site_dir(project: Project) -> Path:
    """Where ``site build`` writes the site unless told otherwise."""
    return project.root / "build" / "site"


def build_site(project: Project, out: Path | None = None, strict: bool = False) -> SiteBuild:
    """Validate the KB, stage the pages and run the MkDocs build."""
    start = time.perf_counter()
    target = check_out_dir(project, out or default_site_dir(project))
    kb, _ = open_kb(project, strict=True)
    config_path = stage(project, kb, project.root / "build" / "site-src", target)
    _run_mkdocs(config_path, strict)
    (target / MARKER).write_text("written by lvlmkb site build\n", encoding="utf-8")
    pages = sum(1 for _ in target.rglob("*.html"))
    return SiteBuild(target, pages, time.perf_counter() - start)


def _run_mkdocs(config_path: Path, strict: bool) -> None:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    os.environ.setdefault("DISABLE_MKDOCS_2_WARNING", "true")
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException
    except ImportError as err:
        raise SiteBuildError("MkDocs is not installed", "pip install 'lvlmkb[site]'") from err
    try:
        config = load_config(config_file=str(config_path), strict=strict)
        build(config)
    except (MkDocsException, OSError) as err:
        raise SiteBuildError(f"the site build failed: {err}", "rerun with --strict off to see warnings") from err


class PortUnavailableError(UsageError):
    """The port is out of range, taken, or not ours to bind."""


def bind_server(port: int, folder: Path) -> http.server.ThreadingHTTPServer:
    """Bind 127.0.0.1:``port`` to serve ``folder``, before the build, so a busy port fails at once.

    Raises:
        PortUnavailableError: the port is invalid, in use or needs privileges.
    """
    if not 0 < port < 65536:
        raise PortUnavailableError(f"--port {port} is not a TCP port", "use a number from 1 to 65535, e.g. 8000")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except PermissionError:
        raise PortUnavailableError(f"port {port} needs privileges to bind", "use a port above 1023") from None
    except OSError as err:
        raise PortUnavailableError(
            f"port {port} is not free on 127.0.0.1 ({err.strerror or err})", f"pass another --port, e.g. {port + 1}"
        ) from None


def serve_folder(server: http.server.ThreadingHTTPServer) -> None:
    """Serve until interrupted, then close the socket."""
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            return
