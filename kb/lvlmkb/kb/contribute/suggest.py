"""Classification suggestions from keyword rules on a paper's title and abstract.

The rules only propose a starting point for ``lvlmkb add-paper``; the contributor confirms or
changes each choice. A rule matching the title counts three times as much as one in the abstract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """A pattern and the taxonomy leaf (and facet values) it points to."""

    pattern: str
    category: str
    facets: dict[str, list[str]] = field(default_factory=dict)


RULES: tuple[Rule, ...] = (
    Rule(r"\bsurvey\b|\bsok\b|systematization", "surveys-and-analyses"),
    Rule(r"over-?refus|over-?sensitiv|exaggerated safety", "over-refusal-benchmark", {"objective": ["over-refusal"]}),
    Rule(r"cross-modal(?:ity)? safety|situational|safe inputs? but unsafe", "cross-modal-safety-benchmark"),
    Rule(r"trustworth|holistic", "holistic-benchmark"),
    Rule(r"\bbenchmark\b|\bdataset\b|evaluation suite", "harmful-query-benchmark", {"objective": ["jailbreak"]}),
    Rule(r"\bjudge\b|evaluator", "model-based-evaluation"),
    Rule(r"typograph|text in (?:the )?image", "black-box-typography", {"access": ["black-box"]}),
    Rule(r"role[- ]?play|persona", "black-box-visual-role-play", {"access": ["black-box"]}),
    Rule(r"red[- ]?team", "black-box-red-teaming", {"access": ["black-box"]}),
    Rule(r"prompt injection|injected instruction", "black-box-prompt-injection", {"objective": ["prompt-injection"]}),
    Rule(r"puzzle|decompos|reasoning chain|multi-?step", "black-box-logical-decomposition", {"access": ["black-box"]}),
    Rule(r"zeroth-order|query-based|black-box optimi[sz]", "black-box-query-optimization", {"access": ["black-box"]}),
    Rule(
        r"membership inference|privacy|attribute inference|geolocat|model (?:stealing|extraction)",
        "black-box-privacy-inference",
        {"objective": ["privacy-leakage"]},
    ),
    Rule(r"transfer(?:able|ability)?|surrogate", "gray-box-single-modal", {"access": ["gray-box"]}),
    Rule(
        r"adversarial (?:image|example|perturbation|attack)|gradient|\bpgd\b",
        "white-box-single-modal",
        {"access": ["white-box"], "modality": ["image"]},
    ),
    Rule(r"backdoor|trojan|trigger", "backdoor-trigger", {"objective": ["backdoor"]}),
    Rule(r"poison", "label-poisoning", {"objective": ["backdoor"]}),
    Rule(r"guard(?:rail)? model|moderation|\bguard\b", "guard-model"),
    Rule(r"steer|activation|decoding|logit|hidden state", "internal-optimization"),
    Rule(r"self-?check|output (?:filter|validation)|detoxif|response rewrit", "output-validation"),
    Rule(r"safety prompt|defensive prompt|purif|denois|mutation|detect", "input-sanitization"),
    Rule(r"fine-?tun|safety data|instruction data|alignment data", "data-driven"),
    Rule(r"\brlhf\b|\bdpo\b|preference|adversarial training|unlearn|robust clip", "strategy-driven"),
)
DEFENSE_WORDS = re.compile(r"defen[cs]|protect|safeguard|mitigat|shield|guard|align|robust", re.IGNORECASE)
ATTACK_WORDS = re.compile(r"attack|jailbreak|exploit|hijack|break", re.IGNORECASE)
TITLE_WEIGHT = 3


@dataclass(frozen=True)
class Suggestion:
    """The best-scoring leaf, its facets, the words that matched and the score (``discover`` ranks by it)."""

    category: str
    facets: dict[str, list[str]]
    matched: list[str]
    score: float = 0.0
    """Title hits count :data:`TITLE_WEIGHT` times, abstract hits once, times the kind bias of the wording."""


def suggest(title: str, abstract: str, leaf_kinds: dict[str, str]) -> Suggestion | None:
    """Score each rule on title and abstract; prefer leaves whose kind the wording supports.

    ``leaf_kinds`` maps each taxonomy leaf to its kind; rules naming other leaves are skipped.
    """
    kind_bias = _kind_bias(title, abstract)
    best: tuple[float, Rule, list[str]] | None = None
    for order, rule in enumerate(RULES):
        if rule.category not in leaf_kinds:
            continue
        word = rf"[\w-]*(?:{rule.pattern})[\w-]*"
        hits_title = re.findall(word, title, re.IGNORECASE)
        hits_abstract = re.findall(word, abstract, re.IGNORECASE)
        score: float = TITLE_WEIGHT * len(hits_title) + len(hits_abstract)
        if not score:
            continue
        score = score * kind_bias.get(leaf_kinds[rule.category], 1.0) - order * 1e-3
        if best is None or score > best[0]:
            best = (score, rule, sorted({h.lower() for h in hits_title + hits_abstract}))
    if best is None:
        return None
    score, rule, matched = best
    return Suggestion(rule.category, {k: list(v) for k, v in rule.facets.items()}, matched, round(score, 3))


def _kind_bias(title: str, abstract: str) -> dict[str, float]:
    """Weight kinds by how the title speaks: 'defending ...' vs 'attacking ...' vs 'a benchmark'."""
    bias = {"attack": 1.0, "defense": 1.0, "evaluation": 1.0}
    if DEFENSE_WORDS.search(title):
        bias["defense"] = 2.0
    if ATTACK_WORDS.search(title) and not DEFENSE_WORDS.search(title):
        bias["attack"] = 2.0
    if re.search(r"benchmark|evaluat|survey|assess", title, re.IGNORECASE):
        bias["evaluation"] = 2.5
    return bias
