"""Decide what comes next: urgent care, revision, optimisation, non-surgical care or more work-up.

The decision rules are data (ordered, cited); each names one of the predicates below.
The first rule whose predicate holds decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..knowledge.pack import KnowledgePack
from .conditions import Hits, check
from .result import CauseResult, Decision, NonSurgicalResult, RedFlagResult, RiskFactorResult, WorkupItem, make

__all__ = ["decide", "OBJECTIVE_PREDICATES"]

OBJECTIVE_PREDICATES = frozenset({"imaging", "block", "lab", "emg", "culture"})
DISCLAIMER = (
    "Decision support for a clinician, not a diagnosis or a treatment order: check each finding "
    "and citation against the patient before acting."
)


@dataclass
class _Ctx:
    pack: KnowledgePack
    red_flags: list[RedFlagResult]
    lead: CauseResult | None
    workup: list[WorkupItem]
    risks: list[RiskFactorResult]
    has_imaging: bool
    ranked: list[CauseResult]


def _objective(c: CauseResult, pack: KnowledgePack) -> list[str]:
    return [e.label for e in c.supporting if pack.findings.get(e.finding) and
            pack.findings[e.finding].predicate in OBJECTIVE_PREDICATES]


def _red_flag(x: _Ctx) -> list[str] | None:
    return [f"{r.label}: {r.action}" for r in x.red_flags] or None


def _expected_course(x: _Ctx) -> list[str] | None:
    """No red flag (an earlier rule) and no objective finding supports any cause or mimic."""
    if any(_objective(c, x.pack) for c in x.ranked):
        return None
    return ["No imaging, block, laboratory, culture or EMG finding supports a complication or another cause."]


def _leading_is_mimic(x: _Ctx) -> list[str] | None:
    if x.lead and x.lead.kind == "mimic":
        return [f"The leading explanation is not spinal: {x.lead.label} (score {x.lead.score:.2f})."]
    return None


def _leading_not_correctable(x: _Ctx) -> list[str] | None:
    if x.lead and x.lead.correctable_by_surgery == "no":
        return [f"The leading cause, {x.lead.label}, is not corrected by another operation."]
    return None


def _no_imaging(x: _Ctx) -> list[str] | None:
    return None if x.has_imaging else ["No imaging since the operation is recorded."]


def _leading_unconfirmed(x: _Ctx) -> list[str] | None:
    if x.lead is None:
        return ["No cause could be ranked."]
    if not _objective(x.lead, x.pack):
        return [f"{x.lead.label} leads, but no imaging, block, lab or EMG finding confirms it yet."]
    return None


def _before_revision_missing(x: _Ctx) -> list[str] | None:
    out = []
    for w in x.workup:
        if w.before_revision:
            rules = x.pack.workup_rules
            why = next((r.reason for r in w.reasons if r.rule_id in rules and rules[r.rule_id].before_revision),
                       w.reasons[0].reason)
            out.append(f"Before any revision: {w.label} ({why})")
    return out or None


def _modifiable_blocks(x: _Ctx) -> list[str] | None:
    block = [r for r in x.risks if r.blocks_revision_until_met]
    return [f"{r.label}: target {r.target}" for r in block] or None


def _confirmed(x: _Ctx) -> list[str] | None:
    if x.lead and x.lead.correctable_by_surgery in ("yes", "sometimes"):
        return [f"{x.lead.label} is supported by: " + "; ".join(_objective(x.lead, x.pack))]
    return None


def _otherwise(x: _Ctx) -> list[str] | None:
    return ["No rule for surgery matched."]


_PREDICATES: dict[str, Callable[[_Ctx], list[str] | None]] = {
    "red_flag": _red_flag,
    "expected_postoperative_course": _expected_course,
    "leading_is_mimic": _leading_is_mimic,
    "leading_not_correctable": _leading_not_correctable,
    "no_imaging": _no_imaging,
    "leading_unconfirmed": _leading_unconfirmed,
    "before_revision_workup_missing": _before_revision_missing,
    "modifiable_risk_blocks": _modifiable_blocks,
    "confirmed_correctable": _confirmed,
    "otherwise": _otherwise,
}


def decide(
    pack: KnowledgePack,
    red_flags: list[RedFlagResult],
    lead: CauseResult | None,
    workup: list[WorkupItem],
    risks: list[RiskFactorResult],
    has_imaging: bool,
    options: list[NonSurgicalResult],
    hits: Hits,
    ranked: list[CauseResult],
) -> Decision:
    """The first rule, in order, whose findings (``when``) and predicate both hold decides."""
    ctx = _Ctx(pack, red_flags, lead, workup, risks, has_imaging, ranked)
    for rule in sorted(pack.decision_rules.values(), key=lambda r: r.order):
        if rule.when is not None and check(rule.when, hits) is None:
            continue
        reasons = _PREDICATES[rule.predicate](ctx)
        if reasons is not None:
            return make(
                Decision, category=rule.category, rule_id=rule.id, summary=rule.description,
                reasons=[rule.reason, *reasons], non_surgical_options=options,
                citations=list(rule.citations), disclaimer=DISCLAIMER,
            )
    raise AssertionError("the pack's decision rules end with an 'otherwise' rule")
