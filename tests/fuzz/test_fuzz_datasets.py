"""Fuzzing the dataset loaders: a broken local copy gives a DatasetError that names the file, never a crash.

Every registered dataset loader reads its fixture copy (tests/data) with one file replaced by fuzzed bytes:
random bytes, truncations, splices, generated CSV tables or JSON documents of the wrong shape.
Examples per run (derandomized): 15 loader layouts x 20 = 300 generated examples, plus the explicit
deep-nesting, wrong-type, overlong-name and repeated-id cases below.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import datasets
from tests.conftest import DATA
from tests.fuzz.support import Examples, fuzz, nested, odd_text

pytestmark = pytest.mark.usefixtures("repo_checkout")  # the datasets are the checkout's

FIXTURES = DATA / "datasets"


@dataclass(frozen=True)
class Layout:
    """A loader's fixture (passed as ``--data``) and the file in it to fuzz."""

    name: str
    source: Path
    fuzzed: str  # relative to the copy; "" when the fixture is that file
    kind: str  # csv, json or text


LAYOUTS = [
    Layout("safebench", DATA / "safebench_fixture.csv", "", "csv"),
    Layout("safebench-tiny", DATA / "safebench_fixture.csv", "", "csv"),
    Layout("figstep-pro", DATA / "figstep_pro", "SafeBench-Tiny.csv", "csv"),
    Layout("figstep-pro", DATA / "figstep_pro", "benign_sentences_without_harmful_phase.csv", "csv"),
    Layout("jip-prompts", FIXTURES / "jip-prompts.txt", "", "text"),
    Layout("visual-adv-instructions", FIXTURES / "visual-adv-instructions.csv", "", "csv"),
    Layout(
        "harmbench-mm", FIXTURES / "harmbench-mm", "behavior_datasets/harmbench_behaviors_multimodal_all.csv", "csv"
    ),
    Layout("jailbreakv-28k-mini", FIXTURES / "jailbreakv-28k-mini", "mini_JailBreakV_28K.csv", "csv"),
    Layout("jailbreakv-28k", FIXTURES / "jailbreakv-28k", "JailBreakV_28K.csv", "csv"),
    Layout("vlsbench", FIXTURES / "vlsbench", "data.json", "json"),
    Layout("mossbench", FIXTURES / "mossbench", "images_information/information.json", "json"),
    Layout("mossbench-contrast", FIXTURES / "mossbench-contrast", "images_information/information.json", "json"),
    Layout("siuo-openqa", FIXTURES / "siuo-openqa", "siuo_gen.json", "json"),
    Layout("siuo-mcqa", FIXTURES / "siuo-mcqa", "siuo_mcqa.json", "json"),
    Layout("mm-safetybench", FIXTURES / "mm-safetybench", "processed_questions/07-Sex.json", "json"),
    Layout("hades", FIXTURES / "hades", "instructions/Animal.json", "json"),
    Layout("mml", FIXTURES / "mml", "01-Placeholder/data.json", "json"),
    Layout("vlguard-unsafes", FIXTURES / "vlguard-unsafes", "test.json", "json"),
    Layout("vlguard-safe-unsafes", FIXTURES / "vlguard-safe-unsafes", "test.json", "json"),
    Layout("vlguard-safe-safes", FIXTURES / "vlguard-safe-safes", "test.json", "json"),
    Layout("hades", FIXTURES / "hades", "instructions/Financial.json", "json"),
    Layout("cyberseceval3-vpi", FIXTURES / "cyberseceval3-vpi", "test_cases.json", "json"),
    Layout("msts", FIXTURES / "msts", "prompts/english_multimodal.csv", "csv"),
    Layout("mssbench", FIXTURES / "mssbench", "combined.json", "json"),
    Layout("holisafe-bench", FIXTURES / "holisafe-bench", "holisafe_bench.json", "json"),
    Layout("advbench-behaviors", FIXTURES / "advbench-behaviors.csv", "", "csv"),
    Layout("imgjp-behaviors", FIXTURES / "imgjp-behaviors.csv", "", "csv"),
    Layout("vscbench", FIXTURES / "vscbench", "vscbench_image_centric.xlsx", "xlsx"),
    Layout("elite", FIXTURES / "elite", "ELITE-benchmark.csv", "csv"),
    Layout("fc-attack-flowcharts", FIXTURES / "fc-attack-flowcharts", "vertical/folder_4/1.dot", "text"),
    Layout("msts-multilingual", FIXTURES / "msts-multilingual", "prompts/hindi_multimodal.csv", "csv"),
]


def test_every_loader_is_fuzzed() -> None:
    assert {layout.name for layout in LAYOUTS} == set(datasets())


def _copy(layout: Layout, tmp_path: Path) -> tuple[Path, Path]:
    """Copy the fixture; return the ``--data`` path and the file to fuzz."""
    copy = tmp_path / "copy" / layout.source.name
    if layout.source.is_dir():
        shutil.copytree(layout.source, copy)
    else:
        copy.parent.mkdir(parents=True)
        shutil.copy(layout.source, copy)
    return copy, copy / layout.fuzzed if layout.fuzzed else copy


cells = st.one_of(
    odd_text,
    st.sampled_from(["", '"', '""', '"unclosed', "a,b", "1", "x" * 140_000, "line\nbreak", "\x00", "\r"]),
)


@st.composite
def csv_tables(draw: st.DrawFn, header: list[str]) -> bytes:
    """A table whose header is the right one, a shuffle, a subset or noise, and whose rows are ragged."""
    columns = draw(
        st.sampled_from([header, header[::-1], header[:-1], [*header, "extra"]]) | st.lists(odd_text, max_size=6)
    )
    rows = draw(st.lists(st.lists(cells, max_size=len(columns) + 2), max_size=4))
    quoting: Literal[0, 1, 2, 3] = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONE, csv.QUOTE_ALL]))
    try:
        return _write_csv([columns, *rows], quoting)
    except csv.Error:  # QUOTE_NONE cannot write a row that is one empty field
        return _write_csv([columns, *rows], csv.QUOTE_ALL)


def _write_csv(rows: list[list[str]], quoting: Literal[0, 1, 2, 3]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=quoting, escapechar="\\").writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


names = st.sampled_from(["x" * 300, "../" * 40 + "etc/hosts", "/etc/hosts", "imgs/\x00.png", "imgs", ".", ""])
json_values = nested(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text | names, 8)


def _replace_somewhere(document: Any, value: Any, path: list[int]) -> Any:
    """``document`` with one node (chosen by ``path``, numbers taken modulo each container's size) replaced."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    if isinstance(document, dict):
        key = list(document)[path[0] % len(document)]
        return {**document, key: _replace_somewhere(document[key], value, path[1:])}
    index = path[0] % len(document)
    return [*document[:index], _replace_somewhere(document[index], value, path[1:]), *document[index + 1 :]]


def _drop_somewhere(document: Any, path: list[int]) -> Any:
    if not isinstance(document, dict | list) or not document:
        return document
    if len(path) <= 1:
        index = path[0] % len(document) if path else 0
        if isinstance(document, dict):
            return {k: v for i, (k, v) in enumerate(document.items()) if i != index}
        return document[:index] + document[index + 1 :]
    if isinstance(document, dict):
        key = list(document)[path[0] % len(document)]
        return {**document, key: _drop_somewhere(document[key], path[1:])}
    index = path[0] % len(document)
    return [*document[:index], _drop_somewhere(document[index], path[1:]), *document[index + 1 :]]


@st.composite
def json_documents(draw: st.DrawFn, original: bytes) -> bytes:
    """The original with a node replaced or dropped, a random document, or deep nesting."""
    document = json.loads(original)
    path = draw(st.lists(st.integers(0, 50), max_size=4))
    choice = draw(st.sampled_from(["replace", "drop", "random", "deep"]))
    if choice == "replace":
        document = _replace_somewhere(document, draw(json_values), path)
    elif choice == "drop":
        document = _drop_somewhere(document, path)
    elif choice == "random":
        document = draw(json_values)
    else:
        depth = draw(st.integers(1, 100_000))
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def _contents(layout: Layout, original: bytes) -> st.SearchStrategy[bytes]:
    damaged = st.one_of(
        st.binary(max_size=300),
        st.just(b""),
        st.integers(0, len(original)).map(lambda cut: original[:cut]),
        st.builds(lambda a, b: original + original[min(a, b) : max(a, b)], st.integers(0, len(original)),
                  st.integers(0, len(original))),
        st.builds(lambda cut, junk: original[:cut] + junk + original[cut:], st.integers(0, len(original)), st.binary()),
        st.builds(lambda cut, text: original[:cut] + text.encode("utf-8", "surrogatepass") + original[cut:],
                  st.integers(0, len(original)), odd_text),
    )  # fmt: skip
    if layout.kind == "csv":
        header = original.decode("utf-8").splitlines()[0].split(",")
        return damaged | csv_tables(header)
    if layout.kind == "json":
        return damaged | json_documents(original)
    return damaged | st.lists(odd_text, max_size=5).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


def _check_load(name: str, data: Path, fuzzed: Path) -> None:
    try:
        loaded = load_dataset(name, data)
    except DatasetError as err:
        repeated = "appears twice" in err.message and str(fuzzed.parent) in err.message  # a folder-shaped dataset
        assert str(fuzzed) in err.message or repeated, err.message
        return
    ids = [sample.id for sample in loaded.samples]
    assert len(set(ids)) == len(ids), f"{name}: repeated sample ids {ids}"
    for sample in loaded.samples:
        assert isinstance(sample.id, str) and sample.id and isinstance(sample.category, str), sample
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in sample.fields.items()), sample
        assert sample.image is None or sample.image.is_file(), sample


@pytest.mark.parametrize("layout", LAYOUTS, ids=[f"{x.name}:{Path(x.fuzzed).name or x.source.name}" for x in LAYOUTS])
def test_broken_copy_is_a_dataset_error_naming_the_file(layout: Layout, tmp_path: Path) -> None:
    data, fuzzed = _copy(layout, tmp_path)
    original, seen = fuzzed.read_bytes(), Examples()
    load_dataset(layout.name, data)  # the untouched copy loads

    @fuzz(20)
    @given(content=_contents(layout, original))
    def prop(content: bytes) -> None:
        seen()
        fuzzed.write_bytes(content)
        _check_load(layout.name, data, fuzzed)

    prop()
    assert seen.count >= 20


def _edit_json(fuzzed: Path, change: Any) -> None:
    document = json.loads(fuzzed.read_text(encoding="utf-8"))
    first = document[0] if isinstance(document, list) else document[next(iter(document))]
    first.update(change)
    fuzzed.write_text(json.dumps(document), encoding="utf-8")


JSON_TEXT_FIELDS = {  # the text each JSON loader sends to the model, and the field naming its image
    "vlsbench": ("instruction", "image_path"),
    "mossbench": ("question", "image"),
    "mossbench-contrast": ("question", "image"),
    "siuo-openqa": ("question", "image"),
    "siuo-mcqa": ("question", "image"),
    "mm-safetybench": ("Question", None),
    "hades": ("instruction", "id"),
    "mml": ("original_prompt", "id"),
    "cyberseceval3-vpi": ("user_input_text", "id"),
    "holisafe-bench": ("query", "image"),
}
JSON_LAYOUTS = [layout for layout in LAYOUTS if layout.name in JSON_TEXT_FIELDS and "Financial" not in layout.fuzzed]
WRONG = [None, True, 2.5, [], {}, ["a list"], {"a": "map"}]


@pytest.mark.parametrize("layout", JSON_LAYOUTS, ids=[layout.name for layout in JSON_LAYOUTS])
def test_hostile_json_values_are_dataset_errors(layout: Layout, tmp_path: Path) -> None:
    data, fuzzed = _copy(layout, tmp_path)
    original = fuzzed.read_bytes()
    text_field, image_field = JSON_TEXT_FIELDS[layout.name]
    fuzzed.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset(layout.name, data)
    for wrong in WRONG:
        fuzzed.write_bytes(original)
        _edit_json(fuzzed, {text_field: wrong})
        with pytest.raises(DatasetError) as err:
            load_dataset(layout.name, data)
        assert str(fuzzed) in err.value.message
    if image_field is not None:
        fuzzed.write_bytes(original)
        _edit_json(fuzzed, {image_field: "x" * 300})
        _check_load(layout.name, data, fuzzed)
    else:
        fuzzed.write_bytes(original)
        document = json.loads(original)
        fuzzed.write_text(json.dumps({**document, "x" * 300: next(iter(document.values()))}), encoding="utf-8")
        _check_load(layout.name, data, fuzzed)


@pytest.mark.parametrize(("name", "column"), [("jailbreakv-28k-mini", "image_path"), ("harmbench-mm", "ImageFileName")])
def test_overlong_image_names_in_csv_are_dataset_errors(name: str, column: str, tmp_path: Path) -> None:
    layout = next(layout for layout in LAYOUTS if layout.name == name)
    data, fuzzed = _copy(layout, tmp_path)
    with fuzzed.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = "y" * 300
    with fuzzed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DatasetError) as err:
        load_dataset(name, data)
    assert str(fuzzed) in err.value.message


def test_figstep_pro_mismatch_names_both_files(tmp_path: Path) -> None:
    data, sentences = _copy(LAYOUTS[3], tmp_path)
    sentences.write_text("sentence\nonly one.\n", encoding="utf-8")
    with pytest.raises(DatasetError) as err:
        load_dataset("figstep-pro", data)
    assert str(sentences) in err.value.message and str(data / "SafeBench-Tiny.csv") in err.value.message


def test_a_repeated_sample_id_is_a_dataset_error(tmp_path: Path) -> None:
    data, fuzzed = _copy(LAYOUTS[0], tmp_path)
    lines = fuzzed.read_text(encoding="utf-8").splitlines()
    fuzzed.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="sample id '8-1' appears twice") as err:
        load_dataset("safebench", data)
    assert str(fuzzed) in err.value.message
