"""Rank the causes of failure and the mimics: prior odds times the evidence present."""

from __future__ import annotations

from typing import Literal

from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import Cause
from .conditions import Hits, check
from .facts import Facts
from .result import CauseResult, EvidenceItem, ExcludedCause, TimingResult, make

__all__ = ["rank_causes", "score_cause"]

Applicability = Literal["applies", "unknown"]


def score_cause(
    cause: Cause, hits: Hits, timing: TimingResult, pack: KnowledgePack
) -> tuple[float, list[EvidenceItem]]:
    """Score in 0..1 = posterior odds / (1 + odds); the evidence items that moved it."""
    odds = cause.prior.value / (1 - cause.prior.value)
    items: list[EvidenceItem] = []
    if timing.window is not None and timing.window in cause.timing:
        tw = cause.timing[timing.window]
        factor = pack.ordinal_lr[tw.weight]
        odds *= factor
        items.append(
            make(
                EvidenceItem, rule_id=f"{cause.id}.timing.{timing.window}", finding=f"timing_{timing.window}",
                label=f"Onset in the {timing.window} window ({timing.days_after_surgery} days after surgery)",
                kind="ordinal", lr=None, weight=tw.weight, factor=factor, reason=tw.reason,
                inputs=[f"onset {timing.days_after_surgery} days after surgery ({timing.basis})"],
                citations=list(tw.citations),
            )
        )
    for finding, factor, static, citations in pack.cause_evidence[cause.id]:
        used = hits.get(finding)
        if used:
            odds *= factor
            items.append(make(EvidenceItem, **static, inputs=list(used), citations=list(citations)))
    return odds / (1 + odds), items


def rank_causes(
    facts: Facts, hits: Hits, timing: TimingResult, pack: KnowledgePack, done_tests: set[str]
) -> tuple[list[CauseResult], list[CauseResult], list[ExcludedCause]]:
    """Score every cause that applies; rank causes and mimics separately, best first.

    Ties go to the higher prior, then to the id, so the order never depends on chance.
    """
    scored: list[tuple[float, float, str, Cause, Applicability, float, list[EvidenceItem]]] = []
    excluded: list[ExcludedCause] = []
    for cause in pack.causes.values():
        applicability: Applicability = "unknown"
        if facts.surgery_count and cause.applies_when is not None:
            if check(cause.applies_when, hits) is None:
                excluded.append(
                    make(
                        ExcludedCause, cause=cause.id, label=cause.label,
                        reason=cause.applies_reason or "does not apply",
                    )
                )
                continue
            applicability = "applies"
        elif facts.surgery_count:
            applicability = "applies"
        score, items = score_cause(cause, hits, timing, pack)
        scored.append((-score, -cause.prior.value, cause.id, cause, applicability, score, items))
    scored.sort(key=lambda t: t[:3])
    causes: list[CauseResult] = []
    mimics: list[CauseResult] = []
    for *_, cause, applicability, score, items in scored:
        ranked = causes if cause.kind == "cause" else mimics
        ranked.append(_result(cause, applicability, score, items, len(ranked) + 1, done_tests, pack))
    return causes, mimics, excluded


def _result(
    cause: Cause, applicability: Applicability, score: float, items: list[EvidenceItem], rank: int,
    done_tests: set[str], pack: KnowledgePack,
) -> CauseResult:
    base_citations = pack.cause_citations[cause.id]
    if items:
        supporting = sorted((e for e in items if e.factor > 1), key=lambda e: -e.factor)
        opposing = sorted((e for e in items if e.factor < 1), key=lambda e: e.factor)
        kinds = sorted({e.kind for e in items})
        citations = sorted({c for e in items for c in e.citations}.union(base_citations))
    else:  # most causes in a case: nothing found for or against them
        supporting, opposing, kinds, citations = [], [], [], list(base_citations)
    return make(
        CauseResult, cause=cause.id, label=cause.label, kind=cause.kind, rank=rank, score=round(score, 4),
        prior=cause.prior.value, prior_basis=cause.prior.basis, applicability=applicability,
        supporting=supporting, opposing=opposing, evidence_kinds=kinds,
        correctable_by_surgery=cause.correctable_by_surgery, icd10cm=list(pack.cause_codes[cause.id]),
        workup_missing=[t for t in cause.workup if t not in done_tests], citations=citations,
    )
