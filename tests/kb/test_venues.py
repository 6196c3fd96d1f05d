"""Venue spellings: the source lists' variants map to one ``NAME'YY [qualifier]`` form."""

from __future__ import annotations

import pytest

from lvlmkb.kb.venues import is_canonical, normalise_venue
from tests.contract.test_kb import report


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Arxiv2025", "arXiv'25"),
        ("Arxiv 2025", "arXiv'25"),
        ("arXiv 2026", "arXiv'26"),
        ("ICLR 2026", "ICLR'26"),
        ("NeurIPs2023", "NeurIPS'23"),
        ("NeurIPS SafeGenAi Workshop 2024", "NeurIPS'24 SafeGenAi Workshop"),
        ("NAACL Workshop 2024", "NAACL'24 Workshop"),
        ("ACMMM2024", "MM'24"),
        ("COLINGworkshop2024", "COLING'24 Workshop"),
        ("USENIX Security 2024", "USENIX Security'24"),
        ("EMNLP'25 Findings", "EMNLP'25 Findings"),
        ("  ICCV'23   AROW ", "ICCV'23 AROW"),
    ],
)
def test_variants_are_normalised(given: str, expected: str) -> None:
    assert normalise_venue(given) == expected
    assert is_canonical(expected) and normalise_venue(expected) == expected


@pytest.mark.parametrize("odd", ["Blog", "Proceedings of Something", ""])
def test_unknown_shapes_are_left_alone_and_not_canonical(odd: str) -> None:
    assert normalise_venue(odd) == odd.strip()
    assert not is_canonical(odd)


def test_every_venue_in_the_kb_is_canonical() -> None:
    odd = {p.id: p.venue for p in report().kb.papers.values() if p.venue and not is_canonical(p.venue)}
    assert odd == {}
