"""Declaring a plugin: the decorator sets its identity once, the type argument its config, ``sourced`` its fields."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from typing_extensions import TypeVar

from lvlmkb.errors import LvlmkbError
from lvlmkb.eval import (
    CraftedInput,
    Defense,
    Method,
    MethodConfig,
    Sample,
    Source,
    attack,
    benchmark,
    defense,
    registry,
    sourced,
)
from lvlmkb.eval.backends.base import Backend, GenerationRequest, GenerationResponse
from lvlmkb.kb.plugin_scan import slug_of_module

SRC = Source("owner/repo", "0123456789abcdef0123456789abcdef01234567", "src/attack.py")


class ToyConfig(MethodConfig):
    size: int = sourced(80, SRC.at("render: size"), ge=1)
    font: str = sourced("Mono.ttf", SRC.at("load_font", file="src/fonts.py"), note="any monospace font")


class ToyAttack(Method[ToyConfig]):
    """A toy attack."""

    def craft(self, sample: Sample) -> CraftedInput:
        return CraftedInput(sample.id, sample.category, f"{self.settings.size}")


@pytest.fixture(autouse=True)
def _registry_restored() -> Iterator[None]:
    """Toy plugins registered here must not leak into other tests' plugin lists."""
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def test_the_type_argument_is_the_config() -> None:
    assert ToyAttack.Config is ToyConfig
    assert ToyAttack().settings.size == 80


def test_a_generic_intermediate_base_passes_the_config_down() -> None:
    T = TypeVar("T", bound=MethodConfig, default=MethodConfig, covariant=True)

    class Intermediate(Method[T]):
        def craft(self, sample: Sample) -> CraftedInput:
            return CraftedInput(sample.id, sample.category, "")

    class Concrete(Intermediate[ToyConfig]):
        pass

    class Inheriting(Concrete):
        pass

    assert Intermediate.Config is MethodConfig
    assert Concrete.Config is ToyConfig and Inheriting.Config is ToyConfig


def test_sourced_fields_keep_constraints_and_show_on_the_card() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        ToyConfig(size=0)
    card = {row["name"]: row for row in ToyAttack.card()}
    assert card["size"] == {"name": "size", "value": "80", "source": SRC.at("render: size").cite(), "note": ""}
    assert card["font"]["source"] == "owner/repo@0123456:src/fonts.py (load_font)"
    assert card["font"]["note"] == "any monospace font"


def test_the_decorator_declares_and_registers_once() -> None:
    cls = attack(id="toy-attack-decl", paper="toy2025", version=2, dataset="safebench", judges=["refusal"])(ToyAttack)
    assert (cls.id, cls.kind, cls.paper, cls.version) == ("toy-attack-decl", "attack", "toy2025", "2")
    assert (cls.default_dataset, cls.default_judges, cls.deviations) == ("safebench", ("refusal",), ())

    class Other(Method[ToyConfig]):
        def craft(self, sample: Sample) -> CraftedInput:
            return CraftedInput(sample.id, sample.category, "")

    with pytest.raises(LvlmkbError, match="two reproductions are called 'toy-attack-decl'"):
        benchmark(id="toy-attack-decl", paper="toy2025", version=1, dataset="safebench", judges=[])(Other)


def test_a_defense_is_declared_without_dataset_or_judges() -> None:
    class Shield(Defense[ToyConfig]):
        def generate(self, inner: Backend, requests: Sequence[GenerationRequest]) -> list[GenerationResponse]:
            return inner.generate(requests)

    declared = defense(id="toy-shield-decl", paper="toy2025", version=1)(Shield)
    assert (declared.kind, declared.Config, declared.version) == ("defense", ToyConfig, "1")


@pytest.mark.parametrize(
    ("module", "slug"),
    [
        ("reproductions.figstep.attack", "figstep"),
        ("reproductions.mm_safetybench.benchmark", "mm-safetybench"),
        ("reproductions.figstep.pro", "figstep-pro"),
        ("reproductions.adashield.static", "adashield-static"),
        ("reproductions.jailbreak_in_pieces.attack", "jailbreak-in-pieces"),
        ("reproductions.flat_module", "flat-module"),
        ("tests.unit.test_x", "test-x"),
    ],
)
def test_the_default_id_comes_from_the_module(module: str, slug: str) -> None:
    assert slug_of_module(module) == slug
