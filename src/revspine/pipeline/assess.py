"""assess(case, pack) -> Assessment: the whole pure pipeline.

The engine (red flags, ranking, work-up, decision) first, then the plan (alignment, revision plan,
order set), the questionnaires and the explanation for the patient, all over one case and one pack."""

from __future__ import annotations

from ..case.model import Case
from ..engine.conditions import evaluate_findings, evaluate_negatives
from ..engine.decision import decide
from ..engine.differential import rank_causes
from ..engine.facts import derive_facts
from ..engine.labs import read_labs
from ..engine.result import IndexSurgery, LabReading, Versions, make
from ..engine.rules import lead_cause, leading, non_surgical_options, red_flags, risk_factors
from ..engine.timing import timing_window
from ..engine.uncertainty import uncertainties
from ..engine.unweighed import unweighed
from ..engine.workup import done_tests, missing_workup
from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from ..patient.explain import explain_for_patient
from ..plan.alignment import assess_alignment
from ..plan.order_set import build_order_set
from ..plan.revision import revision_plan
from ..version import __version__
from .instruments import instruments_result
from .result import Assessment

__all__ = ["assess"]

#: The decision rule that says the failed-surgery pathway does not apply (decision.yaml).
NOT_APPLICABLE_RULE = "applicability.no_prior_spine_operation"


def _asymptomatic(case: Case) -> bool:
    """No symptom recorded as present, and some asked about and denied."""
    sym = case.symptoms
    return not sym.symptoms and sym.pattern is None and bool(sym.denied)


def assess(case: Case, pack: KnowledgePack) -> Assessment:
    """Assess one case. Pure: same case and pack, same Assessment."""
    if case.assessment_date is None:
        raise InputError(
            "the case has no assessment date",
            [Problem("assessment_date", "required; parse_case fills in today's date when it is absent")],
        )
    facts = derive_facts(case)
    facts.lab_reads = read_labs(facts, pack)
    hits = evaluate_findings(facts, pack)
    negatives = evaluate_negatives(facts, pack, hits)
    timing = timing_window(facts, pack)
    done = done_tests(facts, hits, pack)
    flags = red_flags(hits, pack)  # before and independent of the ranking
    applies = facts.index is not None
    if applies:
        causes, mimics, excluded = rank_causes(facts, hits, timing, pack, done, flags, negatives)
        lead = leading(causes, mimics, pack)
        top, leading_note = lead_cause(causes, mimics, pack)
        # The work-up reads the case (to name exactly the missing part of a lab panel) and the leading cause
        # (its pathway: spinal-revision tests are not suggested for an SI-joint or non-spinal lead).
        workup = missing_workup(hits, lead, done, pack, facts, top)
        options = non_surgical_options(hits, lead, pack)
    else:  # no prior spine operation: the failed-surgery pathway does not apply; the red flags still do
        causes, mimics, excluded, lead, workup, options = [], [], [], [], [], []
        top = None
        leading_note = "No leading cause yet: no prior spine operation is recorded, so the pathway does not apply."
    risks = risk_factors(hits, pack)
    decision = decide(
        pack, flags, top, workup, risks, bool(case.imaging), options, hits, [*causes, *mimics], leading_note,
        asymptomatic=_asymptomatic(case), applies=applies,
    )
    if not applies and decision.rule_id != NOT_APPLICABLE_RULE:  # a red flag decided: say why nothing is ranked
        decision.reasons.append(pack.decision_rules[NOT_APPLICABLE_RULE].reason)
    rule = pack.decision_rules.get(decision.rule_id)
    deferred = workup if rule is not None and rule.defers_workup else []
    if deferred and top is None:
        leading_note = (
            "No leading cause yet: within the expected post-operative course, without a red flag or an objective "
            "finding; reassess if the pain persists or a red flag appears."
        )
    if deferred:
        workup = []
    labs = [
        make(
            LabReading, rule_id=f"labs.{r.test}.{r.status}", test=r.test, value=r.value, unit=r.unit, date=r.date,
            day_after_surgery=r.day_after_surgery, status=r.status, reading=r.reading, threshold=r.threshold,
            input=r.path, citations=r.citations,
        )
        for reads in facts.lab_reads.values()
        for r in reads
    ]
    labs.sort(key=lambda r: (r.date, r.test))
    index = None
    if facts.index is not None and facts.index_position is not None and facts.days_since_index is not None:
        s = facts.index
        index = make(
            IndexSurgery, position=facts.index_position, procedure=s.procedure.value, region=s.region.value,
            levels=list(s.levels), date=s.date, days_since=facts.days_since_index,
        )
    alignment = assess_alignment(case, pack)
    plan = (
        revision_plan(case, pack, cause=top.cause, decision_category=decision.category, risk_factors=risks, hits=hits)
        if top is not None and applies
        else None
    )
    orders = build_order_set(case, pack, hits) if plan is not None else None
    scores = instruments_result(case, pack)
    cited: set[str] = set(timing.citations) | set(decision.citations)
    for extra in (alignment, plan, orders, scores):
        if extra is not None:
            cited.update(extra.citations)
    for group in (flags, labs, risks, options):
        for item in group:
            cited.update(item.citations)
    for c in (*causes, *mimics):
        cited.update(c.citations)
    for w in (*workup, *deferred):
        for r in w.reasons:
            cited.update(r.citations)
    refs = pack.citation_refs
    versions = make(
        Versions, engine=__version__, knowledge=pack.version, knowledge_id=pack.info.id,
        knowledge_sources=pack.sources,
    )
    result = make(
        Assessment,
        versions=versions,
        case_id=case.case_id,
        assessment_date=case.assessment_date,
        applicability="applies" if applies else "not_applicable",
        index_surgery=index,
        timing_window=timing,
        red_flags=flags,
        differential=causes,
        mimics=mimics,
        leading=top.cause if top is not None else None,
        leading_note=leading_note,
        not_applicable=excluded,
        labs=labs,
        workup=workup,
        workup_deferred=deferred,
        risk_factors=risks,
        decision=decision,
        uncertainties=uncertainties(facts, timing, causes, labs, workup, pack, deferred) if applies else [],
        alignment=alignment,
        revision_plan=plan,
        order_set=orders,
        instruments=scores,
        patient=None,
        unweighed=unweighed(case, pack),
        citations={},
    )
    result.patient = explain_for_patient(result, case, pack)
    cited.update(result.patient.citations)
    result.citations = {cid: refs[cid] for cid in sorted(cited)}
    return result


