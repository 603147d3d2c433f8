"""The timeline of a case: operations, symptom onset, imaging and labs against the timing windows.

`build_timeline` collects the dates into a documented :class:`TimelineView` (part of the
AssessmentView and its JSON); `timeline_svg` draws it as a static, accessible SVG with no
script. Both are deterministic: the same view gives the same bytes.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Literal

from pydantic import Field

from ..case.model import Case
from ..engine.facts import bound_prefix
from ..knowledge.pack import KnowledgePack
from ..pipeline import Assessment
from .clinical import modality_label, procedure_label
from .labels import ALERT_LAB_STATUSES, fmt_num, lab_status_label
from .sections import ViewModel

__all__ = ["TimelineView", "TimelineBand", "TimelineEvent", "LabSeries", "LabPoint", "build_timeline"]

#: Items more than this many days before the index operation are listed, not plotted,
#: so that an operation years earlier does not squeeze the windows into a sliver.
EARLIER_CUTOFF_DAYS = 120
#: Lab tests drawn first, in this order; any other test follows alphabetically.
LAB_ORDER = ("crp", "esr", "procalcitonin", "wbc")


class TimelineBand(ViewModel):
    window: Literal["early", "intermediate", "late"] = Field(description="Timing window id from the pack")
    label: str = Field(description="Short label as drawn, e.g. `Early, days 0-21`")
    description: str = Field(description="The window's label in the knowledge pack")
    start_day: int = Field(description="First day of the window after the index operation")
    end_day: int | None = Field(description="Last day of the window (inclusive); null when open-ended")
    start: Date = Field(description="Calendar date the window starts")
    end: Date | None = Field(description="Calendar date the window ends; null when open-ended")
    current: bool = Field(description="True for the window the symptom onset falls in")


class TimelineEvent(ViewModel):
    kind: Literal["surgery", "onset", "imaging", "lab", "assessment"] = Field(description="What happened")
    date: Date = Field(description="When")
    day: int | None = Field(description="Days after the index operation (negative before it); null without one")
    label: str = Field(description="The event, in words, as drawn")
    is_index: bool = Field(description="True for the operation the current symptoms follow")


class LabPoint(ViewModel):
    date: Date = Field(description="Date of the sample")
    day: int | None = Field(description="Days after the index operation")
    value: float = Field(description="Value in the canonical unit")
    status: str = Field(description="Status the engine gave the reading (see `labs[].status`)")
    alert: bool = Field(description="True when the reading needs attention")


class LabSeries(ViewModel):
    test: str = Field(description="Lab test id")
    label: str = Field(description="The test, in words")
    unit: str = Field(description="Canonical unit of the values")
    threshold: float | None = Field(description="Threshold drawn as a dashed line, when the pack has one")
    points: list[LabPoint] = Field(description="Values in date order")


class TimelineView(ViewModel):
    start: Date = Field(description="First date on the axis")
    end: Date = Field(description="Last date on the axis")
    index_date: Date | None = Field(description="Date of the index operation; the windows are counted from it")
    bands: list[TimelineBand] = Field(description="Timing windows shaded behind the plot; empty without an operation")
    events: list[TimelineEvent] = Field(description="Operations, onset, imaging and the assessment on the axis")
    earlier: list[TimelineEvent] = Field(
        description=f"Items more than {EARLIER_CUTOFF_DAYS} days before the index operation: listed, not plotted"
    )
    labs: list[LabSeries] = Field(description="One panel per lab test, CRP and ESR first")
    summary: str = Field(description="The timeline in words: the SVG's description for screen readers")


def _surgery_label(procedure: str, levels: list[str]) -> str:
    return f"{procedure_label(procedure)} {', '.join(levels)}".strip()


def _collect_events(assessment: Assessment, case: Case | None) -> list[TimelineEvent]:
    index = assessment.index_surgery
    idate = index.date if index else None

    def day(d: Date) -> int | None:
        return (d - idate).days if idate else None

    events: list[TimelineEvent] = []
    if case is not None:
        for pos, s in enumerate(case.surgeries):
            is_index = index is not None and pos == index.position
            label = ("Index: " if is_index else "Surgery: ") + _surgery_label(s.procedure.value, list(s.levels))
            events.append(TimelineEvent(kind="surgery", date=s.date, day=day(s.date), label=label, is_index=is_index))
        for study in case.imaging:
            events.append(
                TimelineEvent(kind="imaging", date=study.date, day=day(study.date),
                              label=modality_label(study.modality.value), is_index=False)
            )
    elif index is not None:
        events.append(
            TimelineEvent(kind="surgery", date=index.date, day=0, is_index=True,
                          label="Index: " + _surgery_label(index.procedure, index.levels))
        )
    t = assessment.timing_window
    if idate is not None and t.days_after_surgery is not None and t.basis == "symptom_onset":
        onset = idate + timedelta(days=t.days_after_surgery)
        events.append(
            TimelineEvent(kind="onset", date=onset, day=t.days_after_surgery, is_index=False,
                          label=f"Onset, day {t.days_after_surgery}")
        )
    elif case is not None and case.symptoms.onset_date is not None:
        onset = case.symptoms.onset_date
        events.append(TimelineEvent(kind="onset", date=onset, day=day(onset), is_index=False, label="Onset"))
    events.append(
        TimelineEvent(kind="assessment", date=assessment.assessment_date, day=day(assessment.assessment_date),
                      label="Assessed", is_index=False)
    )
    order = {"surgery": 0, "onset": 1, "imaging": 2, "lab": 3, "assessment": 4}
    return sorted(events, key=lambda e: (e.date, order[e.kind], e.label))


def _lab_series(
    assessment: Assessment, pack: KnowledgePack, cutoff: Date | None
) -> tuple[list[LabSeries], list[TimelineEvent]]:
    by_test: dict[str, list[LabPoint]] = {}
    units: dict[str, str] = {}
    thresholds: dict[str, float | None] = {}
    earlier: list[TimelineEvent] = []
    for r in assessment.labs:
        rule = pack.labs.get(r.test)
        name = rule.label if rule else r.test
        if cutoff is not None and r.date < cutoff:
            earlier.append(
                TimelineEvent(kind="lab", date=r.date, day=r.day_after_surgery, is_index=False,
                              label=f"{name} {bound_prefix(r.comparator)}{fmt_num(r.value)} {r.unit} "
                                    f"({lab_status_label(r.status)})")
            )
            continue
        by_test.setdefault(r.test, []).append(
            LabPoint(date=r.date, day=r.day_after_surgery, value=r.value, status=r.status,
                     alert=r.status in ALERT_LAB_STATUSES)
        )
        units[r.test] = r.unit
        if r.threshold is not None:
            thresholds[r.test] = r.threshold
        else:
            thresholds.setdefault(r.test, None)

    def order(test: str) -> tuple[int, str]:
        return (LAB_ORDER.index(test) if test in LAB_ORDER else len(LAB_ORDER), test)

    series = []
    for test in sorted(by_test, key=order):
        rule = pack.labs.get(test)
        series.append(
            LabSeries(test=test, label=rule.label if rule else test, unit=units[test], threshold=thresholds[test],
                      points=sorted(by_test[test], key=lambda p: p.date))
        )
    return series, earlier


def _bands(assessment: Assessment, pack: KnowledgePack) -> list[TimelineBand]:
    index = assessment.index_surgery
    if index is None:
        return []
    out = []
    for w in pack.timing.windows:
        rng = f"days {w.start_day}-{w.end_day}" if w.end_day is not None else f"day {w.start_day} on"
        out.append(
            TimelineBand(
                window=w.id, label=f"{w.id.capitalize()}, {rng}", description=w.label, start_day=w.start_day,
                end_day=w.end_day, start=index.date + timedelta(days=w.start_day),
                end=index.date + timedelta(days=w.end_day) if w.end_day is not None else None,
                current=assessment.timing_window.window == w.id,
            )
        )
    return out


def _summary(events: list[TimelineEvent], earlier: list[TimelineEvent], labs: list[LabSeries],
             bands: list[TimelineBand]) -> str:
    parts = [f"{e.label} on {e.date.isoformat()}" for e in earlier]
    for e in events:
        when = e.date.isoformat() + (f" (day {e.day})" if e.day is not None and e.kind != "onset" else "")
        parts.append(f"{e.label} on {when}")
    current = next((b for b in bands if b.current), None)
    if current is not None:
        parts.append(f"onset falls in the {current.window} window")
    elif not bands:
        parts.append("no operation recorded, so no timing windows")
    for s in labs:
        vals = ", ".join(
            f"{fmt_num(p.value)} on {p.date.isoformat()} ({lab_status_label(p.status)})" for p in s.points
        )
        parts.append(f"{s.label} in {s.unit}: {vals}")
    return "Timeline: " + "; ".join(parts) + "."


def build_timeline(assessment: Assessment, case: Case | None, pack: KnowledgePack) -> TimelineView:
    """Collect the dated items of one assessment (and its case) into a TimelineView."""
    index = assessment.index_surgery
    cutoff = index.date - timedelta(days=EARLIER_CUTOFF_DAYS) if index else None
    every = _collect_events(assessment, case)
    earlier = [e for e in every if cutoff is not None and e.date < cutoff]
    events = [e for e in every if not (cutoff is not None and e.date < cutoff)]
    labs, early_labs = _lab_series(assessment, pack, cutoff)
    earlier = sorted(earlier + early_labs, key=lambda e: (e.date, e.label))
    dates = [e.date for e in events] + [p.date for s in labs for p in s.points]
    bands = _bands(assessment, pack)
    start, end = min(dates), max(dates)
    pad = max(3, (end - start).days // 30)
    return TimelineView(
        start=start - timedelta(days=pad), end=end + timedelta(days=pad),
        index_date=index.date if index else None, bands=bands, events=events, earlier=earlier, labs=labs,
        summary=_summary(events, earlier, labs, bands),
    )
