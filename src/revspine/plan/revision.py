"""A revision plan for the leading cause: timing, approaches, levels, bone quality and expected
outcomes (by cause and by number of previous operations), each with its citations and uncertainty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from .._construct import make
from ..case.enums import FUSION_PROCEDURES
from ..case.levels import adjacent_levels, parse_level
from ..case.model import Case
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.plan import BoneQualityRules, PriorOperationOutcomes, RevisionStrategy
from .models import ApproachResult, BoneQualityAdvice, LevelsAdvice, OutcomeEstimate, RevisionPlan, TimingAdvice

if TYPE_CHECKING:
    from ..engine.conditions import Hits

__all__ = ["RiskLike", "revision_plan", "case_hits", "bone_quality", "outcome_by_prior_operations"]

REVISION_CATEGORIES = frozenset({"revision", "revision_after_optimisation"})


class RiskLike(Protocol):
    """What the plan reads from the assessment's risk factors (engine.result.RiskFactorResult)."""

    rule_id: str
    label: str
    modifiable: bool
    target: str | None
    blocks_revision_until_met: bool
    citations: list[str]


def case_hits(case: Case, pack: KnowledgePack) -> Hits:
    """Evaluate every finding of the pack for a case (what the engine does once per assessment)."""
    from ..engine.conditions import evaluate_findings
    from ..engine.reason import case_facts

    return evaluate_findings(case_facts(case, pack), pack)


def _sorted_levels(levels: Iterable[str]) -> list[str]:
    return sorted(set(levels), key=parse_level)


def _index_levels(case: Case) -> list[str]:
    pos = case.index_surgery_position()
    return list(case.surgeries[pos].levels) if pos is not None else []


def _levels(case: Case, strat: RevisionStrategy) -> LevelsAdvice:
    found = [
        f.level
        for study in case.imaging
        for f in study.findings
        if f.level and f.code.value in strat.imaging_codes
    ]
    fused = [lv for s in case.surgeries if s.procedure in FUSION_PROCEDURES for lv in s.levels]
    if strat.levels_rule == "adjacent":
        near = adjacent_levels(fused) if fused else set()
        located = [lv for lv in found if not near or lv in near]
        if located:
            return make(LevelsAdvice, levels=_sorted_levels(located), basis="imaging", note=strat.levels_note)
        if near:
            return make(LevelsAdvice,
                levels=_sorted_levels(near), basis="next to the fusion",
                note=strat.levels_note + " Confirm the symptomatic level on imaging.",
            )
    elif strat.levels_rule == "imaging" and found:
        return make(LevelsAdvice, levels=_sorted_levels(found), basis="imaging", note=strat.levels_note)
    index = _index_levels(case)
    basis = "index operation" if index else "not known"
    note = strat.levels_note if index else strat.levels_note + " No index levels are recorded."
    return make(LevelsAdvice, levels=_sorted_levels(index), basis=basis, note=note)


def _latest_lab(case: Case, test: str) -> float | None:
    """The latest value as measured; one reported as a bound ('<10') only when it is an upper bound, which still
    tells a value below a limit that is at or above it (a lower bound tells nothing of a low value)."""
    labs = sorted((lab for lab in case.labs if lab.test.value == test), key=lambda lab: lab.date)
    if not labs or labs[-1].comparator in (">", ">="):
        return None
    return labs[-1].value


def bone_quality(case: Case, pack: KnowledgePack) -> BoneQualityAdvice | None:
    rules = pack.sections.get("bone_quality")
    if not isinstance(rules, BoneQualityRules):
        return None
    rf = case.risk_factors
    t, hu, vitd = rf.dexa_t_score, rf.ct_hounsfield_l1, _latest_lab(case, "vitamin_d")
    poor = any(
        (v is not None and v < limit)
        for v, limit in ((t, rules.dexa_t_score_below), (hu, rules.ct_hu_below), (vitd, rules.vitamin_d_below_ng_ml))
    ) or bool(rf.osteoporosis)
    measured = t is not None or hu is not None
    status = "poor" if poor else ("not_poor" if measured else "unknown")
    thresholds = (
        f"DEXA T-score below {rules.dexa_t_score_below:g}, CT attenuation below {rules.ct_hu_below:g} HU, "
        f"vitamin D below {rules.vitamin_d_below_ng_ml:g} ng/mL. {rules.meaning}"
    )
    if status == "poor":
        advice = rules.when_poor
    elif status == "unknown":
        advice = f"Bone quality not measured. {rules.screening} {rules.opportunistic.text}"
    else:
        advice = "Measured bone quality is above the guideline thresholds."
    cited = list(rules.citations)
    if status == "poor":
        cited += rules.augmentation.citations
    if status == "unknown":
        cited += rules.opportunistic.citations
    return make(BoneQualityAdvice,
        status=status, dexa_t_score=t, ct_hounsfield=hu, vitamin_d_ng_ml=vitd, thresholds=thresholds, advice=advice,
        augmentation=rules.augmentation.text if status == "poor" else "", citations=sorted(set(cited)),
    )


def outcome_by_prior_operations(prior: int, pack: KnowledgePack) -> OutcomeEstimate | None:
    table = pack.sections.get("prior_operation_outcomes")
    if not isinstance(table, PriorOperationOutcomes):
        return None
    rows = sorted(table.rows, key=lambda r: r.prior_operations)
    row = [r for r in rows if r.prior_operations <= prior][-1] if prior >= rows[0].prior_operations else rows[0]
    last = row is rows[-1]
    n = f"{row.prior_operations} or more" if last and row.prior_operations else str(prior)
    base = rows[0].pass_percent
    bits = [f"After {n} previous operation(s):"]
    if row.pass_percent is not None:
        bits.append(f"{row.pass_percent:g}% reached an acceptable state ({table.outcome_definition}).")
    if row.odds_ratio_not_pass is not None:
        bits.append(
            f"The odds of not reaching it were {row.odds_ratio_not_pass:g} times those of a first operation"
            + (f" ({base:g}% reached it after no previous operation)." if base is not None else ".")
        )
    return make(OutcomeEstimate,
        prior_operations=prior, pass_percent=row.pass_percent, odds_ratio_not_pass=row.odds_ratio_not_pass,
        statement=" ".join(bits), figures=[f.statement for f in table.other_figures],
        uncertainty=table.uncertainty,
        citations=sorted({*table.citations, *(c for f in table.other_figures for c in f.citations)}),
    )


def _timing(decision_category: str, risks: Sequence[RiskLike]) -> TimingAdvice:
    blocking = [r for r in risks if r.blocks_revision_until_met]
    other = [r for r in risks if r.modifiable and not r.blocks_revision_until_met and r.target]
    cited = sorted({c for r in [*blocking, *other] for c in r.citations})
    if decision_category == "urgent":
        return make(TimingAdvice,
            ready=False, summary="Urgent: act on the red flags first; elective timing does not apply.", targets=[],
            rule_ids=[], citations=[],
        )
    if blocking:
        summary = "Schedule an elective revision after these optimisation targets are met."
        targets = [f"{r.label}: {r.target}" for r in blocking]
    else:
        summary = "No recorded modifiable risk blocks an elective revision."
        targets = []
    targets += [f"Also optimise - {r.label}: {r.target}" for r in other]
    return make(TimingAdvice,
        ready=not blocking, summary=summary, targets=targets, rule_ids=[r.rule_id for r in [*blocking, *other]],
        citations=cited,
    )


def revision_plan(
    case: Case,
    pack: KnowledgePack,
    *,
    cause: str,
    decision_category: str,
    risk_factors: Sequence[RiskLike] = (),
    hits: Hits | None = None,
) -> RevisionPlan | None:
    """The plan for one cause; None when the cause is not one another operation corrects."""
    c = pack.causes.get(cause)
    if c is None or c.correctable_by_surgery == "no":
        return None
    from ..engine.conditions import check

    hits = hits if hits is not None else case_hits(case, pack)
    strat: RevisionStrategy | None = pack.sections.get("revision_strategies", {}).get(cause)
    approaches: list[ApproachResult] = []
    gaps: list[str] = []
    if strat is None:
        gaps.append(f"The knowledge pack has no revision strategy for {c.label}; see the cause's surgical note.")
        note = c.surgical_note or ""
        levels = make(LevelsAdvice, levels=_index_levels(case), basis="index operation", note=note)
        outcomes: list[str] = []
        uncertainty = c.surgical_note or "No cause-specific outcome figures in the pack."
        cited = list(c.citations)
    else:
        for a in strat.approaches:
            used = check(a.when, hits)
            if used is None:
                continue
            approaches.append(
                make(ApproachResult,
                    option=a.id, label=a.label, considerations=a.considerations, inputs=used,
                    citations=list(a.citations),
                )
            )
        levels = _levels(case, strat)
        outcomes = [f"{o.statement} ({o.population})" for o in strat.expected_outcomes]
        uncertainty = strat.uncertainty
        gaps += strat.evidence_gaps
        cited = [*strat.citations, *(x for a in approaches for x in a.citations),
                 *(x for o in strat.expected_outcomes for x in o.citations)]
    pos = case.index_surgery_position()
    if pos is not None and case.surgeries[pos].region.value != "lumbar":
        gaps.append(
            f"The strategies and figures above come from lumbar surgery; evidence for "
            f"{case.surgeries[pos].region.value} "
            "revision is not in the pack."
        )
    timing = _timing(decision_category, risk_factors)
    bone = bone_quality(case, pack)
    prior = outcome_by_prior_operations(len(case.surgeries), pack)
    cited += timing.citations + (bone.citations if bone else []) + (prior.citations if prior else [])
    if bone is None:
        bone = make(BoneQualityAdvice,
            status="unknown", dexa_t_score=None, ct_hounsfield=None, vitamin_d_ng_ml=None, thresholds="",
            advice="The knowledge pack has no bone-quality rules.", augmentation="", citations=[],
        )
    return make(RevisionPlan,
        cause=cause, cause_label=c.label, provisional=decision_category not in REVISION_CATEGORIES,
        decision_category=decision_category, timing=timing, approaches=approaches, levels=levels, bone_quality=bone,
        expected_outcomes=outcomes, by_prior_operations=prior, uncertainty=uncertainty, evidence_gaps=gaps,
        citations=sorted(set(cited)),
    )
