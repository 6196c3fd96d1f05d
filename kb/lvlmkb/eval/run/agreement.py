"""How far judges agree on the same responses: pairwise Cohen's κ, raw agreement and each judge's ASR.

The verdicts come from finished runs (``samples.jsonl``), so nothing is generated or judged again: run
a reproduction with several ``--judge`` options (a rerun with other judges makes no model call), then
compare them. Cohen's κ for two binary raters is a closed formula, written here rather than pulling in
scikit-learn for it; it is checked against a worked textbook example in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from lvlmkb.errors import NotFoundError, UsageError
from lvlmkb.eval.run.records import RecordError, read_record, read_samples


@dataclass(frozen=True)
class JudgeRate:
    """One judge's attack success rate over the samples it judged."""

    judge: str
    successes: int
    n: int
    hashes: dict[str, str]
    """The judge's list or template hashes, from the runs' records (an ASR is never shown without them)."""

    @property
    def asr(self) -> float:
        """Successes over samples (0 for no sample)."""
        return self.successes / self.n if self.n else 0.0


@dataclass(frozen=True)
class PairAgreement:
    """Two judges over the samples both judged: raw agreement and Cohen's κ (None when undefined)."""

    first: str
    second: str
    n: int
    agreement: float
    kappa: float | None


@dataclass(frozen=True)
class AgreementReport:
    """Every judge's ASR and every pair's agreement, over the given runs."""

    runs: list[str]
    judges: list[JudgeRate]
    pairs: list[PairAgreement]


def cohens_kappa(first: list[bool], second: list[bool]) -> float | None:
    """Cohen's κ of two binary ratings of the same items; None when chance agreement is 1 (κ undefined)."""
    n = len(first)
    if n == 0 or n != len(second):
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    p_first, p_second = sum(first) / n, sum(second) / n
    chance = p_first * p_second + (1 - p_first) * (1 - p_second)
    return None if chance == 1 else (observed - chance) / (1 - chance)


def read_verdicts(folder: Path) -> dict[str, dict[str, bool]]:
    """Sample id → judge id → success, from a run folder's ``samples.jsonl``.

    Raises:
        NotFoundError: The folder holds no readable ``samples.jsonl``.
    """
    path = folder / "samples.jsonl"
    if not path.is_file() or path.is_symlink():
        raise NotFoundError(f"no samples.jsonl in {folder}", "pass run folders, as listed by `lvlmkb runs`")
    try:
        rows = read_samples(path)
    except (OSError, RecordError) as err:
        raise NotFoundError(f"{path} is not a readable run file", "rerun the reproduction to rewrite it") from err
    return {row.sample_id: {judge: v.success for judge, v in row.verdicts.items()} for row in rows}


def judge_hashes(folders: list[Path]) -> dict[str, dict[str, str]]:
    """Judge id → the ``*sha256`` fields of its card in the runs' ``run.json`` (the first run that has it)."""
    found: dict[str, dict[str, str]] = {}
    for folder in folders:
        try:
            record = read_record(folder / "run.json")
        except (OSError, RecordError):
            continue
        for agg in record.aggregates:
            hashes = {k: str(v) for k, v in agg.judge_info.items() if k.endswith("sha256")}
            found.setdefault(agg.judge, hashes)
    return found


def judge_agreement(folders: list[Path]) -> AgreementReport:
    """Agreement of every pair of judges over the samples of ``folders`` (each sample counted once per run).

    Raises:
        NotFoundError: A folder is not a run folder.
        UsageError: Fewer than two judges judged the samples.
    """
    items: list[dict[str, bool]] = []
    for folder in folders:
        items += list(read_verdicts(folder).values())
    judges = sorted({judge for item in items for judge in item})
    if len(judges) < 2:
        raise UsageError(
            f"these runs were judged by {len(judges)} judge(s); agreement needs two or more",
            "add judges with `lvlmkb rejudge FOLDER --judge ID` (no model call for the target), then compare",
        )
    hashes = judge_hashes(folders)
    rates = [
        JudgeRate(j, sum(item[j] for item in items if j in item), sum(j in item for item in items), hashes.get(j, {}))
        for j in judges
    ]
    pairs = []
    for first, second in combinations(judges, 2):
        both = [item for item in items if first in item and second in item]
        a, b = [item[first] for item in both], [item[second] for item in both]
        agreement = sum(x == y for x, y in zip(a, b, strict=True)) / len(both) if both else 0.0
        pairs.append(PairAgreement(first, second, len(both), agreement, cohens_kappa(a, b)))
    return AgreementReport([str(f) for f in folders], rates, pairs)
