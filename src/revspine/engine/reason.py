"""reason(case, pack) -> Reasoning: the engine over one case, before the plan and the patient's explanation.

Derives the facts, evaluates the findings, raises the red flags (before and independently of the
ranking), ranks the causes and mimics, lists the missing work-up and decides; with the lab readings,
the index operation, what is uncertain and what was recorded but weighed by no rule. The pipeline
(``revspine.pipeline.assess``) builds the Assessment from it with the plan, order set, questionnaires
and the explanation for the patient.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..case.model import Case
from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from .conditions import Hits, evaluate_findings, evaluate_negatives
from .decision import decide
from .differential import rank_causes
from .facts import Facts, derive_facts, no_symptom_present
from .labs import read_labs
from .organisms import culture_virulence
from .result import (
    CauseResult,
    Decision,
    ExcludedCause,
    IndexSurgery,
    LabReading,
    NonSurgicalResult,
    RedFlagResult,
    RiskFactorResult,
    TimingResult,
    WorkupItem,
    make,
)
from .rules import lead_cause, leading, non_surgical_options, red_flags, risk_factors
from .timing import timing_window
from .uncertainty import uncertainties
from .unweighed import unweighed
from .workup import done_tests, elective_waits, missing_workup

__all__ = ["reason", "case_facts", "Reasoning", "NOT_APPLICABLE_RULE"]

#: The decision rule that says the failed-surgery pathway does not apply (decision.yaml).
NOT_APPLICABLE_RULE = "applicability.no_prior_spine_operation"


@dataclass(slots=True)
class Reasoning:
    """What the engine concluded for one case: the engine's parts of the Assessment, and the facts and
    findings the plan reads."""

    facts: Facts
    hits: Hits
    applies: bool
    index_surgery: IndexSurgery | None
    timing: TimingResult
    red_flags: list[RedFlagResult]
    differential: list[CauseResult]
    mimics: list[CauseResult]
    top: CauseResult | None
    leading_note: str
    not_applicable: list[ExcludedCause]
    labs: list[LabReading]
    workup: list[WorkupItem]
    workup_deferred: list[WorkupItem]
    risk_factors: list[RiskFactorResult]
    options: list[NonSurgicalResult]
    """the non-surgical options the decision weighed (their citations are the assessment's)"""
    decision: Decision
    uncertainties: list[str]
    unweighed: list[str]


def _asymptomatic(case: Case) -> bool:
    """No symptom recorded as present, and some asked about and denied."""
    return no_symptom_present(case) and bool(case.symptoms.denied)


def case_facts(case: Case, pack: KnowledgePack) -> Facts:
    """The facts the findings read: the case's own (``derive_facts``), with what the pack reads into it (each lab
    value against its expected course, each cultured organism's virulence from its name)."""
    facts = derive_facts(case)
    facts.lab_reads = read_labs(facts, pack)
    facts.culture_virulence = culture_virulence(case, pack)
    return facts


def reason(case: Case, pack: KnowledgePack) -> Reasoning:
    """The engine over one case. Pure: same case and pack, same Reasoning."""
    if case.assessment_date is None:
        raise InputError(
            "the case has no assessment date",
            [Problem("assessment_date", "required; parse_case fills in today's date when it is absent")],
        )
    facts = case_facts(case, pack)
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
    risks = risk_factors(hits, pack, top.cause if top is not None else None)
    decision = decide(
        pack, flags, top, workup, risks, bool(case.imaging), options, hits, [*causes, *mimics], leading_note,
        asymptomatic=_asymptomatic(case), applies=applies,
    )
    if not applies and decision.rule_id != NOT_APPLICABLE_RULE:  # a red flag decided: say why nothing is ranked
        decision.reasons.append(pack.decision_rules[NOT_APPLICABLE_RULE].reason)
    rule = pack.decision_rules.get(decision.rule_id)
    deferred = workup if rule is not None and rule.defers_workup else []
    if deferred and top is None and rule is not None and rule.deferral_note is None:
        leading_note = (
            "No leading cause yet: within the expected post-operative course, without a red flag or an objective "
            "finding; reassess if the pain persists or a red flag appears."
        )
    if deferred:
        workup = []
    waiting: list[WorkupItem] = []
    if decision.category == "urgent":  # the urgent problem first: elective tests wait (named in the uncertainties)
        workup, waiting = elective_waits(workup, pack)
    labs = [
        make(
            LabReading, rule_id=f"labs.{r.test}.{r.status}", test=r.test, value=r.value, unit=r.unit, date=r.date,
            day_after_surgery=r.day_after_surgery, status=r.status, reading=r.reading, threshold=r.threshold,
            input=r.path, citations=r.citations, comparator=r.comparator,
        )
        for reads in facts.lab_reads.values()
        for r in reads
    ]
    labs.sort(key=lambda r: (r.date, r.test))
    index = None
    if facts.index is not None and facts.index_position is not None and facts.days_since_index is not None:
        s = facts.index
        index = make(
            IndexSurgery, position=facts.index_position, procedure=s.procedure._value_, region=s.region._value_,
            levels=list(s.levels), date=s.date, days_since=facts.days_since_index,
        )
    return Reasoning(
        facts=facts, hits=hits, applies=applies, index_surgery=index, timing=timing, red_flags=flags,
        differential=causes, mimics=mimics, top=top, leading_note=leading_note, not_applicable=excluded, labs=labs,
        workup=workup, workup_deferred=deferred, risk_factors=risks, options=options, decision=decision,
        uncertainties=uncertainties(facts, timing, causes, labs, workup, pack, deferred, waiting,
                                    rule.deferral_note if rule is not None else None) if applies else [],
        unweighed=unweighed(case, pack),
    )
