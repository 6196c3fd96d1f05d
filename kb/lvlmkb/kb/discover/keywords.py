"""The arXiv search query of ``lvlmkb discover``, derived from the taxonomy and the suggestion rules.

The query is ``(SYSTEM terms) AND (TOPIC terms) [AND --query] AND submittedDate:[since TO today]``.
SYSTEM terms name the systems of ``taxonomy/scope.yaml`` (vision-language models, multimodal LLMs, VLA
policies). TOPIC terms are the words and two-word phrases of the taxonomy's own text (node labels and
definitions, facet values, the scope) that a suggestion rule of :mod:`lvlmkb.kb.contribute.suggest`
matches in full, plus the objective facet's values: so a new rule or a new taxonomy node widens the
search without a second list to keep in step.
"""

from __future__ import annotations

import re

from lvlmkb.kb.contribute.suggest import ATTACK_WORDS, DEFENSE_WORDS, RULES
from lvlmkb.kb.knowledge import Taxonomy

SYSTEM_TERMS = (
    "vision-language model",
    "vision language model",
    "vision-language models",
    "multimodal large language model",
    "multimodal large language models",
    "multimodal LLM",
    "LVLM",
    "LVLMs",
    "MLLM",
    "MLLMs",
    "VLM",
    "VLMs",
    "vision-language-action",
)
"""The systems in scope (taxonomy/scope.yaml ``include``), as papers name them."""
MAX_TOPIC_TERMS = 60
_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_TOO_GENERIC = frozenset({"model", "models", "image", "images", "text", "input", "inputs", "output", "outputs"})


def taxonomy_words(taxonomy: Taxonomy) -> list[str]:
    """Lower-case words and two-word phrases of the taxonomy's labels and definitions, in file order."""
    texts: list[str] = []
    for node in taxonomy.nodes.values():
        texts += [node.label, node.definition]
    for facet in taxonomy.facets.values():
        for value in facet.values:
            texts += [value.label, value.definition]
    if taxonomy.scope is not None:
        texts += [item.definition for item in taxonomy.scope.include]
    found: dict[str, None] = {}
    for text in texts:
        tokens = _TOKEN.findall(text.lower())
        for index, token in enumerate(tokens):
            found.setdefault(token)
            if index + 1 < len(tokens):
                found.setdefault(f"{token} {tokens[index + 1]}")
    return list(found)


def topic_terms(taxonomy: Taxonomy) -> list[str]:
    """Search terms for the topics the KB covers: the objective facet's values, then rule-matched taxonomy words."""
    terms: dict[str, None] = {}
    objective = taxonomy.facets.get("objective")
    for value in objective.values if objective else []:
        terms.setdefault(value.label.lower())
    words = taxonomy_words(taxonomy)
    patterns = [rule.pattern for rule in RULES] + [ATTACK_WORDS.pattern, DEFENSE_WORDS.pattern]
    for pattern in patterns:
        whole = re.compile(rf"[\w-]*(?:{pattern})[\w-]*", re.IGNORECASE)
        for word in words:
            if word not in _TOO_GENERIC and whole.fullmatch(word):
                terms.setdefault(word)
    return _without_covered(list(terms))[:MAX_TOPIC_TERMS]


def _without_covered(terms: list[str]) -> list[str]:
    """Drop a phrase when one of its words is already a term (``all:jailbreak`` finds ``visual jailbreak``)."""
    singles = {t for t in terms if " " not in t}
    return [t for t in terms if " " not in t or not any(w in singles for w in t.split())]


def arxiv_query(taxonomy: Taxonomy, since: str, until: str, extra: str | None = None) -> str:
    """The ``search_query`` for papers submitted from ``since`` to ``until`` (YYYY-MM-DD, inclusive)."""
    systems = " OR ".join(_field(t) for t in SYSTEM_TERMS)
    topics = " OR ".join(_field(t) for t in topic_terms(taxonomy))
    parts = [f"({systems})", f"({topics})"]
    if extra and extra.strip():
        parts.append(_field(extra))
    window = f"submittedDate:[{since.replace('-', '')}0000 TO {until.replace('-', '')}2359]"
    return " AND ".join([*parts, window])


def _field(term: str) -> str:
    clean = " ".join(re.sub(r'["()\[\]:]', " ", term).split())
    return f'all:"{clean}"' if " " in clean or "-" in clean else f"all:{clean}"
