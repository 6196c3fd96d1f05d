"""Property tests: malformed YAML and schema inputs never escape as tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lvlmkb.kb.validate import validate
from lvlmkb.project import Project
from tests.conftest import VALID_PAPER, make_kb

FIELDS = [
    "id",
    "title",
    "authors",
    "year",
    "venue",
    "date",
    "arxiv",
    "urls",
    "kind",
    "phase",
    "category",
    "facets",
    "summary",
    "tags",
    "targets",
    "relations",
    "reproductions",
    "reported_results",
    "notes",
]
yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _check(root: Path, content: bytes) -> None:
    (root / "papers" / "doe2024example.yaml").write_bytes(content)
    report = validate(Project(root))
    for diagnostic in report.diagnostics:
        assert diagnostic.path.startswith("papers/")
        assert diagnostic.message


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path_factory: object, data: bytes) -> None:
    root = make_kb(Path(str(tmp_path_factory.mktemp("kb"))))  # type: ignore[attr-defined]
    _check(root, data)
    shutil.rmtree(root)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=yaml_values)
def test_field_replaced_by_random_value(tmp_path_factory: object, field: str, value: object) -> None:
    import yaml

    root = make_kb(Path(str(tmp_path_factory.mktemp("kb"))))  # type: ignore[attr-defined]
    data = yaml.safe_load(VALID_PAPER)
    data[field] = value
    _check(root, yaml.safe_dump(data, allow_unicode=True).encode())
    shutil.rmtree(root)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(min_value=0, max_value=len(VALID_PAPER)),
    junk=st.sampled_from(["", ":", "- ", "[", "{", "'", "\t", "&a ", "*a", "!!python/name:os.system"]),
)
def test_truncated_and_spliced_text(tmp_path_factory: object, cut: int, junk: str) -> None:
    root = make_kb(Path(str(tmp_path_factory.mktemp("kb"))))  # type: ignore[attr-defined]
    _check(root, (VALID_PAPER[:cut] + junk + VALID_PAPER[cut:]).encode())
    shutil.rmtree(root)
