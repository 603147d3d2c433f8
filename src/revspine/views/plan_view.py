"""Build the plan and follow-up sections of the assessment view from the Assessment.

Each builder copies one result of the engine (alignment, revision plan, order set,
instruments, patient explanation) into its documented view model, adds words for codes,
and draws the sagittal profile and the outcome trends with the plan and instruments
renderers. No clinical logic: nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..errors import InputError
from ..instruments.models import InstrumentScore, InstrumentsResult, OutcomeTrend, SeriesPoint
from ..instruments.outcomes import track, trend_svg
from ..instruments.scoring import get_instrument, instruments
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.instruments import Instrument
from ..patient.models import PatientExplanation
from ..pipeline import Assessment
from ..plan.models import AlignmentResult, OrderSet, RevisionPlan
from ..plan.svg import sagittal_profile_svg
from .followup_sections import (
    InstrumentScoreView,
    InstrumentsView,
    PatientAnswerView,
    PatientParagraphView,
    PatientSectionView,
    PatientView,
    SafetyAlertView,
    SubscaleView,
    ThresholdView,
    TrendPointView,
    TrendView,
)
from .labels import (
    ALIGNMENT_STATUS_LABELS,
    BONE_QUALITY_LABELS,
    DECISION_HEADLINES,
    MEASUREMENTS,
    ORDER_CATEGORY_LABELS,
    SCORE_SOURCE_LABELS,
    TARGET_STATUS_LABELS,
    TREND_DIRECTION_LABELS,
    display_unit,
)
from .plan_sections import (
    AlignmentView,
    ApproachView,
    BoneQualityView,
    ConsistencyView,
    CorrectionView,
    LevelsView,
    LordosisTargetView,
    MeasurementView,
    OrderLineView,
    OrderSetView,
    OsteotomyView,
    PiClassRowView,
    PiClassView,
    PlanTimingView,
    PriorOperationsView,
    RevisionPlanView,
    SchwabModifierView,
)

__all__ = [
    "alignment_view",
    "revision_plan_view",
    "order_set_view",
    "instruments_view",
    "instrument_trends",
    "safety_alerts",
    "patient_view",
    "PROFILE_CAPTION",
]

PROFILE_CAPTION = (
    "Sagittal profile, current (solid) against the PI-class table's theoretical target (dashed). "
    "Schematic: it draws the angles, not a measurement."
)


def _profile(a: AlignmentResult) -> tuple[str | None, str]:
    if a.status == "inconsistent":
        return None, "Not drawn: PI, PT and SS are inconsistent, so the angles cannot be drawn together."
    svg = sagittal_profile_svg(a)
    if svg is None:
        return None, "Not drawn: the drawing needs the lumbar lordosis and the sacral slope (or PI and PT)."
    return svg, PROFILE_CAPTION


def alignment_view(a: AlignmentResult) -> AlignmentView:
    svg, caption = _profile(a)
    c = a.consistency
    pc = a.pi_class
    cor = a.correction
    return AlignmentView(
        status=a.status,
        status_label=ALIGNMENT_STATUS_LABELS.get(a.status, a.status),
        measured=[
            MeasurementView(parameter=k, label=label, value=a.measured.get(k), unit=unit, input=path)
            for k, (label, unit, path) in MEASUREMENTS.items()
        ],
        modifiers=[
            SchwabModifierView(
                parameter=m.parameter, label=m.label, value=m.value, unit=display_unit(m.unit), grade=m.grade,
                grade_label=m.grade_label, boundary_note=m.boundary_note, inputs=list(m.inputs), reliable=m.reliable,
                citations=list(m.citations),
            )
            for m in a.modifiers
        ],
        consistency=None if c is None else ConsistencyView(
            pi=c.pi, pt=c.pt, ss=c.ss, difference_deg=c.difference_deg, tolerance_deg=c.tolerance_deg,
            consistent=c.consistent, tolerance_from_evidence=c.tolerance_from_evidence, message=c.message,
            citations=list(c.citations),
        ),
        targets=[
            LordosisTargetView(
                formula=t.formula, label=t.label, expression=t.expression, population=t.population, kind=t.kind,
                status=t.status, status_label=TARGET_STATUS_LABELS.get(t.status, t.status), target_deg=t.target_deg,
                low_deg=t.low_deg, high_deg=t.high_deg, correction_min_deg=t.correction_min_deg,
                correction_max_deg=t.correction_max_deg, missing_inputs=list(t.missing_inputs), note=t.note,
                quality=t.quality, citations=list(t.citations),
            )
            for t in a.targets
        ],
        pi_class=None if pc is None else PiClassView(
            pi=pc.pi,
            matches=[
                PiClassRowView(pi_class=m.pi_class, published_range=m.published_range,
                               pt_theoretical_deg=m.pt_theoretical_deg, ll_theoretical_deg=m.ll_theoretical_deg)
                for m in pc.matches
            ],
            between_rows=pc.between_rows, note=pc.note, citations=list(pc.citations),
        ),
        correction=None if cor is None else CorrectionView(
            least_deg=cor.least_deg, most_deg=cor.most_deg, spread_deg=cor.spread_deg, formulas=cor.formulas,
            statement=cor.statement,
        ),
        osteotomies=[
            OsteotomyView(
                osteotomy=o.osteotomy, label=o.label, grade=o.grade, correction_per_level=o.correction_per_level,
                levels_min=o.levels_min, levels_max=o.levels_max, note=o.note, requirements=o.requirements,
                citations=list(o.citations),
            )
            for o in a.osteotomies
        ],
        regional_note=a.regional_note,
        warnings=list(a.warnings),
        profile_svg=svg,
        profile_caption=caption,
        citations=list(a.citations),
    )


def revision_plan_view(p: RevisionPlan) -> RevisionPlanView:
    t, lv, b, e = p.timing, p.levels, p.bone_quality, p.by_prior_operations
    return RevisionPlanView(
        cause=p.cause,
        cause_label=p.cause_label,
        provisional=p.provisional,
        decision_category=p.decision_category,
        decision_headline=DECISION_HEADLINES.get(p.decision_category, p.decision_category),
        timing=PlanTimingView(ready=t.ready, summary=t.summary, targets=list(t.targets), rule_ids=list(t.rule_ids),
                              citations=list(t.citations)),
        approaches=[
            ApproachView(option=x.option, label=x.label, considerations=x.considerations, inputs=list(x.inputs),
                         citations=list(x.citations))
            for x in p.approaches
        ],
        levels=LevelsView(levels=list(lv.levels), basis=lv.basis, note=lv.note),
        bone_quality=BoneQualityView(
            status=b.status, status_label=BONE_QUALITY_LABELS.get(b.status, b.status), dexa_t_score=b.dexa_t_score,
            ct_hounsfield=b.ct_hounsfield, vitamin_d_ng_ml=b.vitamin_d_ng_ml, thresholds=b.thresholds,
            advice=b.advice, augmentation=b.augmentation, citations=list(b.citations),
        ),
        expected_outcomes=list(p.expected_outcomes),
        by_prior_operations=None if e is None else PriorOperationsView(
            prior_operations=e.prior_operations, pass_percent=e.pass_percent,
            odds_ratio_not_pass=e.odds_ratio_not_pass, statement=e.statement, figures=list(e.figures),
            uncertainty=e.uncertainty, citations=list(e.citations),
        ),
        uncertainty=p.uncertainty,
        evidence_gaps=list(p.evidence_gaps),
        citations=list(p.citations),
    )


def order_set_view(o: OrderSet) -> OrderSetView:
    return OrderSetView(
        protocol=o.protocol,
        label=o.label,
        version=o.version,
        knowledge_sources=list(o.knowledge_sources),
        lines=[
            OrderLineView(
                item=x.item, category=x.category,
                category_label=ORDER_CATEGORY_LABELS.get(x.category, x.category.replace("_", " ").capitalize()),
                title=x.title, choose_one_of=x.choose_one_of, medication=x.medication, rxnorm=x.rxnorm,
                dose_text=x.dose_text, dose_amount=x.dose_amount, dose_unit=x.dose_unit, route=x.route,
                timing=x.timing, redosing=x.redosing, duration=x.duration, instruction=x.instruction,
                reason=x.reason, inputs=list(x.inputs), evidence=x.evidence, evidence_gap=x.evidence_gap,
                citations=list(x.citations),
            )
            for x in o.lines
        ],
        not_applicable=list(o.not_applicable),
        warnings=list(o.warnings),
        local_note=o.local_note,
        citations=list(o.citations),
    )


# -- instruments ----------------------------------------------------------------------------


def _instrument(instrument_id: str, pack: KnowledgePack) -> Instrument | None:
    """The pack's instrument, or None when the pack given to the view lacks it (a different local pack)."""
    try:
        return get_instrument(instrument_id, pack)
    except InputError:
        return None


def _score(s: InstrumentScore, inst: Instrument | None) -> InstrumentScoreView:
    sub_labels = {x.id: x.label for x in inst.subscales} if inst else {}
    return InstrumentScoreView(
        instrument=s.instrument, label=s.label, date=s.date, source=s.source,
        source_label=SCORE_SOURCE_LABELS.get(s.source, s.source), item_scores=list(s.items),
        missing_items=list(s.missing_items), total=s.total, unit=s.unit,
        range_min=inst.total_min if inst else None, range_max=inst.total_max if inst else None,
        higher_is_worse=inst.higher_is_worse if inst else None, band=s.band, band_meaning=s.band_meaning,
        subscales=[SubscaleView(name=k, label=sub_labels.get(k, k.replace("_", " ")), value=v)
                   for k, v in s.subscales.items()],
        scoring_text=s.scoring_text, working=s.working, alerts=list(s.alerts), warnings=list(s.warnings),
        case_field=s.case_field, citations=list(s.citations),
    )


def _trend(t: OutcomeTrend, inst: Instrument | None) -> TrendView:
    def point(p: SeriesPoint) -> TrendPointView:
        return TrendPointView(date=p.date, total=p.total)

    return TrendView(
        instrument=t.instrument, label=t.label, unit=t.unit, points=[point(p) for p in t.points],
        baseline=point(t.baseline), latest=point(t.latest), change_points=t.change_points,
        change_percent=t.change_percent, slope_per_month=t.slope_per_month, direction=t.direction,
        direction_label=TREND_DIRECTION_LABELS.get(t.direction, t.direction.replace("_", " ")),
        mcid=[
            ThresholdView(kind=m.kind, threshold=m.threshold, change=m.change, reached=m.reached,
                          population=m.population, citations=list(m.citations))
            for m in t.mcid
        ],
        mcid_note=t.mcid_note, pass_reached=t.pass_reached, pass_threshold=t.pass_threshold, pass_note=t.pass_note,
        summary=t.summary, svg=trend_svg(t, inst) if inst else None, citations=list(t.citations),
    )


def instruments_view(r: InstrumentsResult, pack: KnowledgePack) -> InstrumentsView:
    insts = {i: _instrument(i, pack) for i in {s.instrument for s in r.scores} | {t.instrument for t in r.trends}}
    return InstrumentsView(
        scores=[_score(s, insts[s.instrument]) for s in r.scores],
        trends=[_trend(t, insts[t.instrument]) for t in r.trends],
        alerts=list(r.alerts),
        citations=list(r.citations),
    )


def instrument_trends(assessments: Sequence[Assessment], pack: KnowledgePack) -> list[TrendView]:
    """Each instrument's scores across a patient's assessments (oldest first) as a trend, where scored on two
    dates or more. A score without its own date counts on its assessment's date; a later assessment's score
    for the same date replaces an earlier one (the case was corrected)."""
    series: dict[str, dict[date, float]] = {}
    for a in assessments:
        if a.instruments is None:
            continue
        for t in a.instruments.trends:
            for p in t.points:
                series.setdefault(t.instrument, {})[p.date] = p.total
        for sc in a.instruments.scores:
            series.setdefault(sc.instrument, {})[sc.date or a.assessment_date] = sc.total
    order = list(instruments(pack))
    out = []
    for inst_id in sorted(series, key=lambda i: (order.index(i) if i in order else len(order), i)):
        points = sorted(series[inst_id].items())
        if len(points) < 2:
            continue
        try:
            trend = track(inst_id, points, pack)
        except InputError:  # the pack in use lacks the instrument, or bounds it more narrowly
            continue
        out.append(_trend(trend, _instrument(inst_id, pack)))
    return out


def safety_alerts(r: InstrumentsResult | None, pack: KnowledgePack) -> list[SafetyAlertView]:
    """Every item alert, with the item, the answer and the alert's own citations where the pack names them."""
    if r is None:
        return []
    out: list[SafetyAlertView] = []
    for s in r.scores:
        inst = _instrument(s.instrument, pack)
        defs = {a.message: a for a in inst.alerts} if inst else {}
        for msg in s.alerts:
            d = defs.get(msg)
            item = d.item if d else None
            answer = s.items[item - 1] if item is not None and item <= len(s.items) else None
            out.append(SafetyAlertView(
                instrument=s.instrument, label=s.label, date=s.date, item=item, answer=answer, message=msg,
                citations=list(d.citations) if d else list(s.citations),
            ))
    shown = {a.message for a in out}
    for msg in r.alerts:  # an alert the engine lists without a score carrying it: still shown
        if msg not in shown:
            out.append(SafetyAlertView(instrument="", label="Questionnaire", date=None, item=None, answer=None,
                                       message=msg, citations=list(r.citations)))
    return out


def patient_view(p: PatientExplanation) -> PatientView:
    return PatientView(
        title=p.title,
        sections=[
            PatientSectionView(
                id=s.id, heading=s.heading,
                paragraphs=[PatientParagraphView(text=x.text, source=x.source, citations=list(x.citations))
                            for x in s.paragraphs],
            )
            for s in p.sections
        ],
        answers=[
            PatientAnswerView(id=a.id, question=a.question, answer=a.answer, personalised=a.personalised,
                              citations=list(a.citations))
            for a in p.answers
        ],
        citations=list(p.citations),
    )
