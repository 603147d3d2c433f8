"""Decide what comes next: urgent care, revision, optimisation, non-surgical care or more work-up.

The decision rules are data (ordered, cited); each names one of the predicates below.
The first rule whose predicate holds decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import DecisionRule
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
    hits: Hits
    leading_note: str
    asymptomatic: bool
    applies: bool


_LEADS = ("confirmatory", "supportive")


def _objective(c: CauseResult, pack: KnowledgePack, tiers: tuple[str, ...] = _LEADS) -> list[str]:
    """Objective findings (imaging, block, lab, culture, EMG) of these tiers that support the cause (by default
    not compatible-only ones)."""
    return [e.label for e in c.supporting if e.tier in tiers and pack.findings.get(e.finding) and
            pack.findings[e.finding].predicate in OBJECTIVE_PREDICATES]


_ANY_SUPPORT = ("confirmatory", "supportive", "compatible")


def _red_flag(x: _Ctx) -> list[str] | None:
    return [f"{r.label}: {r.action}" for r in x.red_flags] or None


def _no_prior_operation(x: _Ctx) -> list[str] | None:
    """The failed-surgery pathway does not apply (an earlier red flag still decides)."""
    return None if x.applies else []


def _expected_course(x: _Ctx) -> list[str] | None:
    """No red flag (an earlier rule), no objective finding supports any cause or mimic, and the lead is not a cause
    that is never deferred (an infection supported by the wound is not the usual course, whatever the day)."""
    if any(_objective(c, x.pack) for c in x.ranked):
        return None
    if x.lead is not None and _never_deferred(x, x.lead):
        return None
    return ["No imaging, block, laboratory, culture or EMG finding supports a complication or another cause."]


def _improving_not_deferred(x: _Ctx) -> list[str] | None:
    """Symptoms improving (the rule's findings say so, with no deficit), and the lead is not a cause that is never
    deferred (an infection, a compressive haematoma): non-surgical care continues while they improve."""
    if x.lead is None:
        return []
    if _never_deferred(x, x.lead):
        return None
    return [f"{x.lead.label} leads ({x.lead.tier} evidence); revision is reconsidered if the symptoms stop improving."]


def _own_pathway(x: _Ctx) -> list[str] | None:
    """A supported lead that is not spinal, or the SI joint: its own pathway, not the spinal-revision work-up."""
    if x.lead is None:
        return None
    pathway = x.pack.causes[x.lead.cause].pathway
    if pathway == "non_spinal" or x.lead.kind == "mimic":
        return [f"The leading explanation is not spinal: {x.lead.label} ({x.lead.tier} evidence); "
                "treat it or refer on its own pathway."]
    if pathway == "si_joint":
        return [f"The leading cause is the sacroiliac joint ({x.lead.tier} evidence): SI-joint pathway "
                "(physiotherapy, SI-directed injection or radiofrequency, and SI fusion only after confirmed "
                "blocks and failed care); the spinal-revision work-up does not apply."]
    return None


def _no_imaging(x: _Ctx) -> list[str] | None:
    return None if x.has_imaging else ["No imaging since the operation is recorded."]


def _no_supported_lead(x: _Ctx) -> list[str] | None:
    if x.lead is not None:
        return None
    return [x.leading_note or "No cause could be ranked."]


def _looked_for_and_not_found(c: CauseResult, pack: KnowledgePack) -> bool:
    """The cause's lesion was looked for and not found: an opposing finding that reads imaging's report of
    no such lesion at the operated levels (``imaging_absent``: an MRI without stenosis or root compression
    there). A finding merely not mentioned while the same imaging shows something compatible (a collection
    without the word pseudomeningocele) does not exclude the cause."""
    return any((f := pack.findings.get(e.finding)) is not None and f.predicate == "imaging_absent"
               for e in c.opposing)


def _open_alternative(x: _Ctx) -> CauseResult | None:
    """A correctable cause in the top three with an objective finding of its own (even a compatible one, such
    as a collection on imaging) while the lead is not confirmed: its lesion is not yet explained or excluded
    (a cause whose lesion was looked for and not found is excluded, whatever else is compatible with it)."""
    if x.lead is None or x.lead.tier == "confirmatory":
        return None
    for c in x.ranked[:3]:
        if c.cause == x.lead.cause or c.correctable_by_surgery == "no":
            continue
        if _objective(c, x.pack, _ANY_SUPPORT) and not _looked_for_and_not_found(c, x.pack):
            return c
    return None


def _leading_not_correctable(x: _Ctx) -> list[str] | None:
    if x.lead and x.lead.correctable_by_surgery == "no" and _open_alternative(x) is None:
        return [f"The leading cause, {x.lead.label}, is not corrected by another operation "
                f"({x.lead.tier} evidence: " + "; ".join(e.label for e in x.lead.supporting if e.tier in _LEADS)
                + ")."]
    return None


def _confirmed_not_correctable(x: _Ctx) -> list[str] | None:
    """A lead confirmed by objective evidence that another operation does not correct: no imaging needed
    to decide against a revision."""
    if x.lead is None or x.lead.tier != "confirmatory":
        return None
    return _leading_not_correctable(x)


def _asymptomatic(x: _Ctx) -> list[str] | None:
    if not x.asymptomatic:
        return None
    return ["No symptom is recorded as present and the symptoms asked about were denied: findings on imaging "
            "without symptoms are not an indication for treatment."]


def _leading_unconfirmed(x: _Ctx) -> list[str] | None:
    if x.lead is None:
        return ["No cause could be ranked."]
    if x.lead.tier != "confirmatory":
        tests = [x.pack.workup_tests[t].label if t in x.pack.workup_tests else t for t in x.lead.workup_missing]
        more = (" Tests that would confirm or exclude it: " + ", ".join(tests) + ".") if tests else ""
        reasons = [f"{x.lead.label} leads on supportive evidence, but no objective finding confirms it yet.{more}"]
        alt = _open_alternative(x)
        if alt is not None and x.lead.correctable_by_surgery == "no":
            seen = "; ".join(_objective(alt, x.pack, _ANY_SUPPORT))
            reasons.append(f"Non-surgical care is not concluded yet: {alt.label}, which an operation can correct, "
                           f"has findings not yet explained ({seen}); the tests that separate it from the lead "
                           "come first.")
        return reasons
    return None


def _checklist(x: _Ctx) -> list[str]:
    out = []
    for w in x.workup:
        if w.before_revision:
            rules = x.pack.workup_rules
            why = next((r.reason for r in w.reasons if r.rule_id in rules and rules[r.rule_id].before_revision),
                       w.reasons[0].reason)
            out.append(f"{w.label} ({why})")
    return out


def _with_checklist(x: _Ctx, reasons: list[str]) -> list[str]:
    items = _checklist(x)
    if items:
        reasons.append("Pre-operative checklist (does not delay the decision): " + "; ".join(items) + ".")
    return reasons


def _not_deferrable(x: _Ctx) -> list[str] | None:
    """A confirmed lesion that must not wait for optimisation: infection, haematoma, a progressive deficit,
    instability with neural compromise (the cause's ``never_deferred`` / ``never_deferred_when``). The lead, or
    another confirmed cause in the top three (a culture-proven infection behind loose screws does not wait because
    the loosening ranks first)."""
    if x.lead is None or x.lead.tier != "confirmatory" or x.lead.correctable_by_surgery == "no":
        return None
    progressive = bool(x.hits.get("motor_deficit_progressive"))
    urgent = next((c for c in [x.lead, *x.ranked[:3]] if c.tier == "confirmatory"
                   and c.correctable_by_surgery != "no" and ((progressive and c is x.lead) or _never_deferred(x, c))),
                  None)
    if urgent is None:
        return None
    reasons = [f"{urgent.label} is confirmed by: " + "; ".join(_objective(urgent, x.pack) or ["its findings"])
               + ". It is not deferred for optimisation."]
    block, notes = _blocking(x)
    advisory = [
        f"{r.label}: target {r.target}" + (f" ({r.advisory_note})" if r.advisory_note else "") for r in block
    ] + notes
    if advisory:
        reasons.append("Optimise alongside, without delaying surgery (advisory): " + "; ".join(advisory) + ".")
    return _with_checklist(x, reasons)


def _never_deferred(x: _Ctx, c: CauseResult) -> bool:
    cause = x.pack.causes[c.cause]
    return cause.never_deferred or (
        cause.never_deferred_when is not None and check(cause.never_deferred_when, x.hits) is not None)


_NRT_NOTE = (
    "On nicotine replacement, cotinine (a nicotine metabolite) cannot show abstinence from tobacco; urine "
    "anabasine or anatabine (tobacco alkaloids absent from nicotine replacement) can."
)


def _cotinine_only(r: RiskFactorResult) -> bool:
    """A risk raised only by a cotinine result (not by recorded smoking or a tobacco-specific alkaloid)."""
    return bool(r.inputs) and all("cotinine" in q for q in r.inputs)


def _blocking(x: _Ctx) -> tuple[list[RiskFactorResult], list[str]]:
    """The risks that hold an elective revision until met, and notes. A patient on nicotine replacement is not
    held back by a cotinine result alone: it cannot be read (the note says why and what to test instead)."""
    nrt = bool(x.hits.get("nicotine_replacement"))
    block, notes = [], []
    for r in x.risks:
        if not r.blocks_revision_until_met:
            continue
        if nrt and _cotinine_only(r):
            notes.append(f"{r.label} rests on cotinine alone: {_NRT_NOTE}")
            continue
        block.append(r)
    if nrt and not notes:
        notes.append(_NRT_NOTE)
    return block, notes


def _modifiable_blocks(x: _Ctx) -> list[str] | None:
    block, notes = _blocking(x)
    if not block:
        return None
    return _with_checklist(x, [f"{r.label}: target {r.target}" for r in block] + notes)


def _confirmed(x: _Ctx) -> list[str] | None:
    if x.lead and x.lead.tier == "confirmatory" and x.lead.correctable_by_surgery in ("yes", "sometimes"):
        reasons = [f"{x.lead.label} is supported by: " + "; ".join(_objective(x.lead, x.pack))]
        reasons += _blocking(x)[1]
        return _with_checklist(x, reasons)
    return None


def _otherwise(x: _Ctx) -> list[str] | None:
    return ["No rule for surgery matched."]


_PREDICATES: dict[str, Callable[[_Ctx], list[str] | None]] = {
    "red_flag": _red_flag,
    "no_prior_spine_operation": _no_prior_operation,
    "expected_postoperative_course": _expected_course,
    "leading_is_mimic": _own_pathway,
    "leading_own_pathway": _own_pathway,
    "improving_not_deferred": _improving_not_deferred,
    "leading_not_correctable": _leading_not_correctable,
    "confirmed_not_correctable": _confirmed_not_correctable,
    "asymptomatic": _asymptomatic,
    "no_imaging": _no_imaging,
    "no_supported_lead": _no_supported_lead,
    "leading_unconfirmed": _leading_unconfirmed,
    "before_revision_workup_missing": lambda x: None,  # no longer a gate: a pre-operative checklist
    "confirmed_not_deferrable": _not_deferrable,
    "modifiable_risk_blocks": _modifiable_blocks,
    "confirmed_correctable": _confirmed,
    "otherwise": _otherwise,
}


@per_pack
def _in_order(pack: KnowledgePack) -> tuple[DecisionRule, ...]:
    """The pack's decision rules in their order."""
    return tuple(sorted(pack.decision_rules.values(), key=lambda r: r.order))


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
    leading_note: str = "",
    asymptomatic: bool = False,
    applies: bool = True,
) -> Decision:
    """The first rule, in order, whose findings (``when``) and predicate both hold decides.

    ``lead`` is the supported leading cause (None while no cause has a supporting finding).
    """
    ctx = _Ctx(pack, red_flags, lead, workup, risks, has_imaging, ranked, hits, leading_note, asymptomatic, applies)
    for rule in _in_order(pack):
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
