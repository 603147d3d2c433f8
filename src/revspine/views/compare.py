"""Compare two assessments of one patient: what changed, and which finding moved it.

`compare_assessments(old, new)` lines the two Assessments up item by item (red flags,
causes with their evidence, work-up, risk factors, versions) and, given the two case
snapshots, lists the case fields whose values changed. A finding "moved" a cause when its
evidence item is present in one assessment and not the other, or its factor changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date as Date
from typing import Any, Literal

from pydantic import Field

from ..case.model import Case
from ..engine.result import CauseResult, EvidenceItem
from ..knowledge import KnowledgePack
from ..pipeline import Assessment
from .case_diff import CaseChange, case_differences
from .followup_sections import TrendView
from .labels import DECISION_HEADLINES, fmt_num
from .plan_view import instrument_trends
from .sections import CitationView, ViewModel, WorkupRef

__all__ = [
    "ComparisonView",
    "AssessmentRef",
    "DecisionChange",
    "RedFlagRef",
    "EvidenceChange",
    "CauseChange",
    "FindingEffect",
    "FindingChange",
    "RiskFactorRef",
    "VersionChange",
    "CaseChange",
    "compare_assessments",
    "case_differences",
]

Change = Literal["added", "removed", "changed"]


class AssessmentRef(ViewModel):
    assessment_id: str | None = Field(description="Id of the stored assessment, when given")
    case_id: str | None = Field(description="The case's own reference")
    assessment_date: Date = Field(description="Date of the assessment")
    engine: str = Field(description="Engine version")
    knowledge: str = Field(description="Knowledge pack id and version, `id version`")
    decision: str = Field(description="Decision category")
    decision_headline: str = Field(description="The decision, in words")
    leading: str | None = Field(description="Label of the leading cause, when there is one")


class DecisionChange(ViewModel):
    changed: bool = Field(description="True when the category differs")
    old_category: str = Field(description="Decision category before")
    new_category: str = Field(description="Decision category after")
    old_headline: str = Field(description="Category before, in words")
    new_headline: str = Field(description="Category after, in words")
    old_rule_id: str = Field(description="Decision rule that matched before")
    new_rule_id: str = Field(description="Decision rule that matched after")


class RedFlagRef(ViewModel):
    rule_id: str = Field(description="Id of the red-flag rule")
    label: str = Field(description="The red flag, in words")
    urgency: str = Field(description="`emergency` or `urgent`")


class EvidenceChange(ViewModel):
    rule_id: str = Field(description="`<cause>.<finding>`: the evidence item")
    finding: str = Field(description="Id of the finding")
    label: str = Field(description="The finding, in words")
    direction: Literal["for", "against"] = Field(description="Whether it raises (`for`) or lowers the odds")
    change: Change = Field(description="`added` (present now, not before), `removed`, or `changed` factor")
    old_factor: float | None = Field(description="Multiplier on the odds before; null when absent")
    new_factor: float | None = Field(description="Multiplier on the odds after; null when absent")
    inputs: list[str] = Field(description="The case inputs it used (from the assessment where it is present)")


class CauseChange(ViewModel):
    cause: str = Field(description="Id of the cause")
    label: str = Field(description="The cause, in words")
    kind: Literal["cause", "mimic"] = Field(description="`cause` or `mimic`")
    status: Literal["new", "dropped", "changed", "unchanged"] = Field(
        description="`new`/`dropped` when ranked in only one assessment; `changed` when rank, score or evidence moved"
    )
    old_rank: int | None = Field(description="Rank before; null when not ranked")
    new_rank: int | None = Field(description="Rank after; null when not ranked")
    rank_delta: int | None = Field(description="Places moved up (positive) or down (negative)")
    old_score: float | None = Field(description="Score before (0..1, not a probability)")
    new_score: float | None = Field(description="Score after")
    score_delta: float | None = Field(description="New score minus old score")
    evidence: list[EvidenceChange] = Field(description="The evidence that differs: the findings that moved it")


class FindingEffect(ViewModel):
    cause: str = Field(description="Id of the cause the finding bears on")
    label: str = Field(description="The cause, in words")
    direction: Literal["for", "against"] = Field(description="Whether it raises or lowers that cause's odds")
    factor: float = Field(description="Multiplier on the odds where the finding is present")


class FindingChange(ViewModel):
    finding: str = Field(description="Id of the finding")
    label: str = Field(description="The finding, in words")
    change: Change = Field(description="`added`: present now; `removed`: present before only; `changed`: new factor")
    inputs: list[str] = Field(description="The case inputs behind it")
    effects: list[FindingEffect] = Field(description="Every cause it moves and by how much, largest first")


class RiskFactorRef(ViewModel):
    rule_id: str = Field(description="Id of the risk-factor rule")
    label: str = Field(description="The risk factor, in words")
    target: str | None = Field(description="Its target, when modifiable")


class VersionChange(ViewModel):
    field: str = Field(description="`engine`, `knowledge`, `knowledge_id` or `knowledge_sources`")
    old: str = Field(description="Value before")
    new: str = Field(description="Value after")


class ComparisonView(ViewModel):
    """What changed between two assessments of one patient, and which finding moved it."""

    old: AssessmentRef = Field(description="The earlier assessment")
    new: AssessmentRef = Field(description="The later assessment")
    summary: list[str] = Field(description="The changes that matter most, one line each, most important first")
    decision: DecisionChange = Field(description="Decision category before and after")
    red_flags_added: list[RedFlagRef] = Field(description="Red flags raised now and not before")
    red_flags_removed: list[RedFlagRef] = Field(description="Red flags raised before and not now")
    findings: list[FindingChange] = Field(description="Findings present in one assessment only: what moved the causes")
    causes: list[CauseChange] = Field(description="Every ranked cause and mimic, in the new order, then dropped ones")
    workup_added: list[WorkupRef] = Field(description="Work-up asked for now and not before")
    workup_done: list[WorkupRef] = Field(description="Work-up asked for before and no longer missing")
    risk_factors_added: list[RiskFactorRef] = Field(description="Risk factors present now and not before")
    risk_factors_removed: list[RiskFactorRef] = Field(description="Risk factors present before and not now")
    uncertainties_added: list[str] = Field(description="Uncertain or missing items new in this assessment")
    uncertainties_resolved: list[str] = Field(description="Uncertain or missing items no longer listed")
    versions: list[VersionChange] = Field(description="Engine or knowledge versions that differ")
    case_changes: list[CaseChange] = Field(description="Case fields and rows that changed, in clinical words (rows "
                                                       "matched by what they are: the same study, lab, operation)")
    trends: list[TrendView] = Field(default_factory=list, description="Questionnaire scores (ODI, NRS...) over "
                                    "every assessment up to the later one, for instruments scored on two dates or more")
    citations: list[CitationView] = Field(default_factory=list, description="Sources of the trends' thresholds "
                                          "(MCID, acceptable state), sorted by id")


def _as_text(v: Any) -> str:
    return ", ".join(_as_text(x) for x in v) if isinstance(v, list) else str(v)


# -- assessment differences ------------------------------------------------------------


def _ref(a: Assessment, assessment_id: str | None) -> AssessmentRef:
    lead = a.differential[0].label if a.differential else None
    return AssessmentRef(
        assessment_id=assessment_id, case_id=a.case_id, assessment_date=a.assessment_date, engine=a.versions.engine,
        knowledge=f"{a.versions.knowledge_id} {a.versions.knowledge}", decision=a.decision.category,
        decision_headline=DECISION_HEADLINES.get(a.decision.category, a.decision.category), leading=lead,
    )


def _evidence_map(c: CauseResult | None) -> dict[str, tuple[EvidenceItem, Literal["for", "against"]]]:
    if c is None:
        return {}
    out: dict[str, tuple[EvidenceItem, Literal["for", "against"]]] = {e.rule_id: (e, "for") for e in c.supporting}
    out.update({e.rule_id: (e, "against") for e in c.opposing})
    return out


def _evidence_changes(old: CauseResult | None, new: CauseResult | None) -> list[EvidenceChange]:
    a, b = _evidence_map(old), _evidence_map(new)
    out = []
    for rid in sorted(a.keys() | b.keys()):
        ea, eb = a.get(rid), b.get(rid)
        if ea and eb and math.isclose(ea[0].factor, eb[0].factor):
            continue
        e, direction = eb or ea  # type: ignore[misc]
        change: Change = "changed" if ea and eb else ("added" if eb else "removed")
        out.append(
            EvidenceChange(
                rule_id=rid, finding=e.finding, label=e.label, direction=direction, change=change,
                old_factor=ea[0].factor if ea else None, new_factor=eb[0].factor if eb else None,
                inputs=list(e.inputs),
            )
        )
    out.sort(key=lambda c: -abs(math.log(c.new_factor or c.old_factor or 1.0)))
    return out


def _cause_changes(old: Assessment, new: Assessment) -> list[CauseChange]:
    a = {c.cause: c for c in (*old.differential, *old.mimics)}
    b = {c.cause: c for c in (*new.differential, *new.mimics)}
    order = [c.cause for c in (*new.differential, *new.mimics)]
    order += [c.cause for c in (*old.differential, *old.mimics) if c.cause not in b]
    out = []
    for cid in order:
        ca, cb = a.get(cid), b.get(cid)
        some = cb or ca
        assert some is not None
        evidence = _evidence_changes(ca, cb)
        if ca and cb:
            moved = ca.rank != cb.rank or not math.isclose(ca.score, cb.score, abs_tol=5e-5) or bool(evidence)
            status: Literal["new", "dropped", "changed", "unchanged"] = "changed" if moved else "unchanged"
        else:
            status = "new" if cb else "dropped"
        out.append(
            CauseChange(
                cause=cid, label=some.label, kind=some.kind, status=status,
                old_rank=ca.rank if ca else None, new_rank=cb.rank if cb else None,
                rank_delta=(ca.rank - cb.rank) if ca and cb else None,
                old_score=ca.score if ca else None, new_score=cb.score if cb else None,
                score_delta=round(cb.score - ca.score, 4) if ca and cb else None,
                evidence=evidence,
            )
        )
    return out


def _finding_changes(causes: list[CauseChange]) -> list[FindingChange]:
    grouped: dict[tuple[str, str], list[tuple[CauseChange, EvidenceChange]]] = {}
    for c in causes:
        for e in c.evidence:
            grouped.setdefault((e.finding, e.change), []).append((c, e))
    out = []
    for (finding, change), items in grouped.items():
        effects = [
            FindingEffect(cause=c.cause, label=c.label, direction=e.direction,
                          factor=(e.new_factor if e.new_factor is not None else e.old_factor) or 1.0)
            for c, e in items
        ]
        effects.sort(key=lambda f: (-abs(math.log(f.factor)), f.cause))
        inputs = sorted({i for _, e in items for i in e.inputs})
        out.append(FindingChange(finding=finding, label=items[0][1].label, change=change, inputs=inputs,
                                 effects=effects))
    out.sort(key=lambda f: (-max(abs(math.log(x.factor)) for x in f.effects), f.finding, f.change))
    return out


def _summary(view: dict[str, Any], old: Assessment, new: Assessment) -> list[str]:
    d: DecisionChange = view["decision"]
    lines = [
        f"Decision changed: {d.old_headline} → {d.new_headline}"
        if d.changed
        else f"Decision unchanged: {d.new_headline}"
    ]
    lo = old.differential[0].label if old.differential else None
    ln = new.differential[0].label if new.differential else None
    if lo != ln:
        lines.append(f"Leading cause changed: {lo or 'none'} → {ln or 'none'}")
    for r in view["red_flags_added"]:
        lines.append(f"New red flag: {r.label}")
    for r in view["red_flags_removed"]:
        lines.append(f"Red flag no longer raised: {r.label}")
    for c in view["causes"]:
        if c.evidence and c.old_rank is not None and c.new_rank is not None:
            rank = f"rank {c.old_rank} → {c.new_rank}" if c.old_rank != c.new_rank else f"still rank {c.new_rank}"
            lines.append(f"{c.label}: {rank}, score {c.old_score:.2f} → {c.new_score:.2f}")
        elif c.status in ("new", "dropped"):
            lines.append(f"{c.label}: {'now ranked' if c.status == 'new' else 'no longer ranked'}")
    for f in view["findings"][:5]:
        verb = {"added": "New finding", "removed": "Finding gone", "changed": "Finding re-weighted"}[f.change]
        moved = ", ".join(f"{e.label} ×{fmt_num(e.factor)}" for e in f.effects[:3])
        lines.append(f"{verb}: {f.label} ({moved})")
    for t in view["trends"]:
        unit = "%" if t.unit == "%" else f" {t.unit}"
        lines.append(f"{t.label}: {t.baseline.total:g}{unit} on {t.baseline.date} → {t.latest.total:g}{unit} on "
                     f"{t.latest.date}, {t.direction_label}")
    if view["versions"]:
        lines.append("Versions differ: " + "; ".join(f"{v.field} {v.old} → {v.new}" for v in view["versions"]))
    return lines


def compare_assessments(
    old: Assessment,
    new: Assessment,
    *,
    old_case: Case | Mapping[str, Any] | None = None,
    new_case: Case | Mapping[str, Any] | None = None,
    old_id: str | None = None,
    new_id: str | None = None,
    pack: KnowledgePack | None = None,
    history: Sequence[Assessment] = (),
) -> ComparisonView:
    """What changed from `old` to `new` (two assessments of one patient) and which finding moved it.

    Pass the two case snapshots (Case objects or their JSON) to list the changed case fields, and
    `pack` to name them as the pack does and to draw the questionnaire trends over `history` (the
    patient's assessments, oldest first, up to `new`; default: `old` and `new`).
    """
    flags_a = {r.rule_id: r for r in old.red_flags}
    flags_b = {r.rule_id: r for r in new.red_flags}
    work_a = {w.test: w for w in old.workup}
    work_b = {w.test: w for w in new.workup}
    risk_a = {r.rule_id: r for r in old.risk_factors}
    risk_b = {r.rule_id: r for r in new.risk_factors}
    causes = _cause_changes(old, new)
    trends = instrument_trends(list(history) or [old, new], pack) if pack is not None else []
    va, vb = old.versions, new.versions
    versions = [
        VersionChange(field=name, old=_as_text(getattr(va, name)), new=_as_text(getattr(vb, name)))
        for name in ("engine", "knowledge_id", "knowledge", "knowledge_sources")
        if getattr(va, name) != getattr(vb, name)
    ]
    parts: dict[str, Any] = dict(
        old=_ref(old, old_id),
        new=_ref(new, new_id),
        decision=DecisionChange(
            changed=old.decision.category != new.decision.category,
            old_category=old.decision.category, new_category=new.decision.category,
            old_headline=DECISION_HEADLINES.get(old.decision.category, old.decision.category),
            new_headline=DECISION_HEADLINES.get(new.decision.category, new.decision.category),
            old_rule_id=old.decision.rule_id, new_rule_id=new.decision.rule_id,
        ),
        red_flags_added=[RedFlagRef(rule_id=k, label=r.label, urgency=r.urgency)
                         for k, r in flags_b.items() if k not in flags_a],
        red_flags_removed=[RedFlagRef(rule_id=k, label=r.label, urgency=r.urgency)
                           for k, r in flags_a.items() if k not in flags_b],
        findings=_finding_changes(causes),
        causes=causes,
        workup_added=[WorkupRef(test=k, label=w.label) for k, w in work_b.items() if k not in work_a],
        workup_done=[WorkupRef(test=k, label=w.label) for k, w in work_a.items() if k not in work_b],
        risk_factors_added=[RiskFactorRef(rule_id=k, label=r.label, target=r.target)
                            for k, r in risk_b.items() if k not in risk_a],
        risk_factors_removed=[RiskFactorRef(rule_id=k, label=r.label, target=r.target)
                              for k, r in risk_a.items() if k not in risk_b],
        uncertainties_added=[u for u in new.uncertainties if u not in old.uncertainties],
        uncertainties_resolved=[u for u in old.uncertainties if u not in new.uncertainties],
        versions=versions,
        case_changes=case_differences(old_case, new_case, pack),
        trends=trends,
        citations=[CitationView(id=c, text=ref.text, url=ref.url, quality=ref.quality)
                   for c in sorted({c for t in trends for c in t.citations})
                   if pack is not None and (ref := pack.citation_refs.get(c)) is not None],
    )
    return ComparisonView(summary=_summary(parts, old, new), **parts)
