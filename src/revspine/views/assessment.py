"""AssessmentView: the documented context of the assessment page, its JSON twin and the PDF.

Built from one Assessment (and the Case, for the timeline). It copies the Assessment's
conclusions as they are, in the order a clinician reads them, and adds only words the
knowledge pack already holds (band names, test and lab labels). No clinical logic here.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import Field

from ..case.model import Case
from ..engine.result import CauseResult, EvidenceItem, WorkupItem
from ..knowledge.pack import KnowledgePack
from ..pipeline import Assessment
from ..settings import configured_pack
from .bottom_line import BottomLineView, build_bottom_line
from .followup_sections import InstrumentsView, PatientView, SafetyAlertView
from .labels import (
    ALERT_LAB_STATUSES,
    DECISION_HEADLINES,
    PLAN_SECTION_TITLES,
    SAFETY_TITLE,
    SECTION_TITLES,
    lab_status_label,
)
from .plan_sections import AlignmentView, OrderSetView, RevisionPlanView
from .plan_view import (
    alignment_view,
    instruments_view,
    order_set_view,
    patient_view,
    revision_plan_view,
    safety_alerts,
)
from .sections import (
    CauseView,
    CitationView,
    DecisionView,
    EvidenceView,
    ExcludedCauseView,
    IndexSurgeryView,
    LabView,
    NonSurgicalView,
    RedFlagView,
    RiskFactorView,
    SectionRef,
    TimingView,
    VersionsView,
    ViewModel,
    WorkupReasonView,
    WorkupRef,
    WorkupView,
)
from .timeline import TimelineView, build_timeline

__all__ = ["AssessmentView", "build_assessment_view"]


class AssessmentView(ViewModel):
    """Everything the assessment page, its JSON twin and the PDF report show, in display order."""

    title: str = Field(description="Heading of the page and the report")
    patient_label: str | None = Field(description="How the clinic names the patient (given by the caller)")
    assessment_id: str | None = Field(description="Id of the stored assessment, when it is stored")
    case_id: str | None = Field(description="The case's own reference (`case_id` in the case)")
    assessment_date: Date = Field(description="Date the case was assessed")
    index_surgery: IndexSurgeryView | None = Field(description="The operation the current symptoms follow")
    notes: str | None = Field(description="Free-text notes from the case, shown as entered")
    sections: list[SectionRef] = Field(description="The sections below, in display order (the page's contents)")
    urgent: bool = Field(description="True when any red flag is raised: the page leads with them")
    bottom_line: BottomLineView = Field(
        description="What to read first: decision with what blocks it, top three causes with their strongest "
        "finding, modifiable risks, next steps"
    )
    safety_alerts: list[SafetyAlertView] = Field(
        description="Questionnaire answers that need action today (e.g. PHQ-9 item 9), shown first, beside the red "
        "flags"
    )
    red_flags: list[RedFlagView] = Field(description="Red flags with the action each needs, most urgent first")
    timing: TimingView = Field(description="Window of symptom onset after the index operation")
    timeline: TimelineView = Field(description="Dates of operations, onset, imaging and labs, drawn as an SVG")
    differential: list[CauseView] = Field(description="Causes of the failed surgery, ranked, with evidence")
    score_caveat: str = Field(description="What the scores are and are not (from the pack's scoring)")
    leading_count: int = Field(
        description="How many leading causes the page opens in full: the pack's `scoring.top_n`, the number the "
        "work-up and the decision consider"
    )
    not_applicable: list[ExcludedCauseView] = Field(description="Causes that cannot apply to this case, and why")
    mimics: list[CauseView] = Field(description="Non-spinal and systemic mimics still to exclude, ranked")
    labs: list[LabView] = Field(description="Lab values read against the days since surgery, in date order")
    workup: list[WorkupView] = Field(description="Missing work-up, in the order to do it, with reasons")
    workup_deferred: list[WorkupView] = Field(
        description="Work-up the decision defers (e.g. during the expected post-operative course), in order"
    )
    risk_factors: list[RiskFactorView] = Field(description="Risk factors present, with targets where modifiable")
    decision: DecisionView = Field(description="The decision category with its reasons and non-surgical options")
    applies: bool = Field(
        True, description="False when no prior spine operation is recorded: the pathway does not apply (the decision "
        "says why)"
    )
    unweighed: list[str] = Field(
        default_factory=list, description="Recorded, not weighed: entries of the case no rule of the pack weighs"
    )
    alignment: AlignmentView | None = Field(
        description="Sagittal alignment: Schwab modifiers, lordosis targets side by side, correction, osteotomies, "
        "the profile drawing; null when no alignment was measured"
    )
    revision_plan: RevisionPlanView | None = Field(
        description="Plan for the leading cause when another operation could correct it; null otherwise"
    )
    order_set: OrderSetView | None = Field(description="Peri-operative orders, when there is a revision plan")
    instruments: InstrumentsView | None = Field(
        description="Questionnaire scores with bands and working, and trends over time; null when none recorded"
    )
    patient: PatientView | None = Field(description="The plain-language explanation for the patient")
    uncertainties: list[str] = Field(description="What is uncertain or missing, one line each")
    versions: VersionsView = Field(description="Engine and knowledge versions that produced the assessment")
    citations: list[CitationView] = Field(description="Every source the assessment cites, sorted by id")


def _evidence(e: EvidenceItem, direction: Literal["for", "against"], bands: dict[int, str]) -> EvidenceView:
    band = bands.get(e.weight) if e.kind == "ordinal" and e.weight is not None else None
    return EvidenceView(
        rule_id=e.rule_id, finding=e.finding, label=e.label, direction=direction,
        kind=e.kind, lr=e.lr, weight=e.weight, band=band, factor=e.factor, reason=e.reason,
        inputs=list(e.inputs), citations=list(e.citations),
    )


def _cause(c: CauseResult, pack: KnowledgePack, bands: dict[int, str]) -> CauseView:
    tests = pack.workup_tests
    return CauseView(
        rank=c.rank, cause=c.cause, label=c.label, kind=c.kind, score=c.score, prior=c.prior,
        prior_basis=c.prior_basis, applicability=c.applicability, correctable_by_surgery=c.correctable_by_surgery,
        supporting=[_evidence(e, "for", bands) for e in c.supporting],
        opposing=[_evidence(e, "against", bands) for e in c.opposing],
        evidence_kinds=list(c.evidence_kinds), icd10cm=list(c.icd10cm),
        workup_missing=[WorkupRef(test=t, label=tests[t].label if t in tests else t) for t in c.workup_missing],
        citations=list(c.citations),
    )


def _index(a: Assessment) -> IndexSurgeryView | None:
    s = a.index_surgery
    if s is None:
        return None
    return IndexSurgeryView(
        position=s.position, procedure=s.procedure, region=s.region, levels=list(s.levels), date=s.date,
        days_since=s.days_since,
    )


def _workup(items: list[WorkupItem]) -> list[WorkupView]:
    return [
        WorkupView(
            order=i, test=w.test, label=w.label, priority=w.priority, before_revision=w.before_revision,
            reasons=[WorkupReasonView(rule_id=r.rule_id, reason=r.reason, citations=list(r.citations))
                     for r in w.reasons],
        )
        for i, w in enumerate(items, start=1)
    ]


def build_assessment_view(
    assessment: Assessment,
    case: Case | None,
    patient_label: str | None = None,
    assessment_id: str | None = None,
    *,
    pack: KnowledgePack | None = None,
) -> AssessmentView:
    """The view of one assessment. `case` feeds the timeline (all operations, imaging dates);
    `pack` gives labels and the timing windows (default: the built-in pack)."""
    pack = pack or configured_pack()
    a = assessment
    bands = {b.weight: b.label for b in pack.scoring.ordinal_bands}
    t = a.timing_window
    d = a.decision
    alerts = safety_alerts(a.instruments, pack)
    plan_present = {
        "alignment": a.alignment, "revision-plan": a.revision_plan, "order-set": a.order_set,
        "instruments": a.instruments, "patient": a.patient,
    }
    titles = {**SECTION_TITLES, "red-flags": SAFETY_TITLE if alerts else SECTION_TITLES["red-flags"]}
    urgency_order = {"emergency": 0, "urgent": 1}
    numbers = {cid: n for n, cid in enumerate(sorted(a.citations), start=1)}
    headline = DECISION_HEADLINES.get(d.category, d.category)
    flags = sorted(a.red_flags, key=lambda r: urgency_order[r.urgency])  # stable: pack order within a level
    return AssessmentView(
        title="Revision spine surgery assessment",
        patient_label=patient_label,
        assessment_id=assessment_id,
        case_id=a.case_id,
        assessment_date=a.assessment_date,
        index_surgery=_index(a),
        notes=case.notes if case is not None else None,
        sections=[
            SectionRef(id=k, title=v) for k, v in titles.items()
            if k not in PLAN_SECTION_TITLES or plan_present[k] is not None
        ],
        urgent=bool(a.red_flags),
        bottom_line=build_bottom_line(a, numbers, headline),
        applies=a.applicability == "applies",
        unweighed=list(a.unweighed),
        safety_alerts=alerts,
        red_flags=[
            RedFlagView(rule_id=r.rule_id, label=r.label, urgency=r.urgency, action=r.action, inputs=list(r.inputs),
                        citations=list(r.citations))
            for r in flags
        ],
        timing=TimingView(
            window=t.window, label=t.label, days_after_surgery=t.days_after_surgery, basis=t.basis,
            boundary=t.boundary, note=t.note, citations=list(t.citations),
        ),
        timeline=build_timeline(a, case, pack),
        differential=[_cause(c, pack, bands) for c in a.differential],
        score_caveat=pack.scoring.caveat if a.applicability == "applies" else "",
        leading_count=pack.scoring_top_n,
        not_applicable=[ExcludedCauseView(cause=x.cause, label=x.label, reason=x.reason) for x in a.not_applicable],
        mimics=[_cause(c, pack, bands) for c in a.mimics],
        labs=[
            LabView(
                rule_id=r.rule_id, test=r.test, label=pack.labs[r.test].label if r.test in pack.labs else r.test,
                value=r.value, comparator=r.comparator, unit=r.unit, date=r.date,
                day_after_surgery=r.day_after_surgery, status=r.status,
                status_label=lab_status_label(r.status), alert=r.status in ALERT_LAB_STATUSES, reading=r.reading,
                threshold=r.threshold, input=r.input, citations=list(r.citations),
            )
            for r in a.labs
        ],
        workup=_workup(a.workup),
        workup_deferred=_workup(a.workup_deferred),
        risk_factors=[
            RiskFactorView(
                rule_id=r.rule_id, label=r.label, modifiable=r.modifiable, target=r.target, effect=r.effect,
                blocks_revision_until_met=r.blocks_revision_until_met, inputs=list(r.inputs),
                citations=list(r.citations),
            )
            for r in a.risk_factors
        ],
        decision=DecisionView(
            category=d.category, headline=headline, rule_id=d.rule_id,
            summary=d.summary, reasons=list(d.reasons),
            non_surgical_options=[
                NonSurgicalView(rule_id=o.rule_id, option=o.option, label=o.label, reason=o.reason,
                                citations=list(o.citations))
                for o in d.non_surgical_options
            ],
            citations=list(d.citations), disclaimer=d.disclaimer,
        ),
        alignment=alignment_view(a.alignment) if a.alignment is not None else None,
        revision_plan=revision_plan_view(a.revision_plan) if a.revision_plan is not None else None,
        order_set=order_set_view(a.order_set) if a.order_set is not None else None,
        instruments=instruments_view(a.instruments, pack) if a.instruments is not None else None,
        patient=patient_view(a.patient) if a.patient is not None else None,
        uncertainties=list(a.uncertainties),
        versions=VersionsView(
            engine=a.versions.engine, knowledge=a.versions.knowledge, knowledge_id=a.versions.knowledge_id,
            knowledge_sources=list(a.versions.knowledge_sources),
        ),
        citations=[
            CitationView(id=cid, text=c.text, url=c.url, quality=c.quality) for cid, c in sorted(a.citations.items())
        ],
    )
