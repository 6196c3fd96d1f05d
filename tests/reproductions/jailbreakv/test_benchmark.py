"""JailBreakV-28K as a benchmark: the jailbreak query and image of each case, mini and full splits."""

from __future__ import annotations

from typing import Any

import pytest

from lvlmkb.eval.datasets.base import DatasetError
from lvlmkb.eval.datasets.registry import load_dataset
from lvlmkb.eval.registry import get_method
from tests.conftest import DATA, REPO

pytest.importorskip("PIL")


@pytest.mark.parametrize("name", ["jailbreakv-28k-mini", "jailbreakv-28k"])
def test_jailbreak_query_and_image_are_sent(name: str) -> None:
    samples = load_dataset(name, DATA / "datasets" / name).samples
    method: Any = get_method(REPO / "reproductions", "jailbreakv")
    crafted = method().craft(samples[0])
    assert crafted.prompt == samples[0].fields["jailbreak_query"] != samples[0].fields["redteam_query"]
    assert len(crafted.images) == 1 and crafted.meta["format"] == samples[0].fields["format"]
    bare = method(method.Config(text_field="redteam_query")).craft(samples[0])
    assert bare.prompt == samples[0].fields["redteam_query"]


def test_each_split_reads_its_own_file() -> None:
    with pytest.raises(DatasetError, match=r"JailBreakV_28K\.csv"):
        load_dataset("jailbreakv-28k", DATA / "datasets" / "jailbreakv-28k-mini")
