"""Facts derived once from a case: the index operation, days, levels, latest labs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from ..case.enums import FUSION_PROCEDURES, Approach, Procedure, Region
from ..case.levels import adjacent_levels
from ..case.model import Case, ImagingFinding, ImagingStudy, LabResult, PriorSurgery

__all__ = [
    "Facts", "LabRead", "SurgeryFacts", "StudyFacts", "ImagingEntry", "derive_facts", "implied_approach", "fuses",
    "no_symptom_present", "reported_interval", "bound_prefix",
]

ImagingEntry = tuple[int, int, ImagingStudy, ImagingFinding]  # (study index, finding index, study, finding)


@dataclass(frozen=True, slots=True)
class SurgeryFacts:
    """One prior operation, with the plain values predicates compare and the line they quote."""

    position: int
    procedure: str
    region: str
    instrumented: bool
    levels: frozenset[str]
    quote: str
    approach: str | None = None  # as recorded, or implied by the procedure (ACDF is anterior)
    incidental_durotomy: bool | None = None


class StudyFacts(NamedTuple):
    """One imaging study, with the plain values predicates compare and the start of the line they quote."""

    modality: str
    date: date
    limited_by_artefact: bool
    quote: str
    """``imaging[i]: <modality> <date>``"""


@dataclass(slots=True)
class LabRead:
    """One lab value read against the days since surgery."""

    test: str
    value: float
    unit: str
    date: date
    path: str
    day_after_surgery: int | None
    status: str  # normal | not_interpreted | raised | raised_expected | raised_beyond_expected | low | second_rise
    reading: str
    citations: list[str] = field(default_factory=list)
    threshold: float | None = None
    comparator: str = "="  # as the laboratory reported it: "<" 5 means below 5


@dataclass(slots=True)
class Facts:
    case: Case
    ref_date: date
    index: PriorSurgery | None
    index_position: int | None
    days_since_index: int | None
    onset_days: int | None
    procedures: frozenset[Procedure]
    fusion_done: bool
    instrumented: bool
    index_fusion_instrumented: bool
    operated_levels: frozenset[str]
    fused_levels: frozenset[str]
    adjacent_to_fusion: frozenset[str]
    surgery_count: int
    labs_by_test: dict[str, list[tuple[int, LabResult]]]
    surgeries: tuple[SurgeryFacts, ...]
    imaging_by_code: dict[str, list[ImagingEntry]]
    lab_reads: dict[str, list[LabRead]] = field(default_factory=dict)
    studies: tuple[StudyFacts, ...] = ()
    """``case.imaging`` in order, as ``StudyFacts``"""
    culture_virulence: tuple[tuple[str | None, bool], ...] = ()
    """For each of ``case.cultures``: the organism's virulence (high, low or None) and whether it was read from the
    organism's name (the pack's organism value sets, ``reason.case_facts``) rather than recorded"""


def reported_interval(value: float, comparator: str) -> tuple[float, bool, float, bool]:
    """The values a report allows, as (low, low open, high, high open): "> 1" is (1, open, inf), "<= 3" is
    (0, closed, 3, closed), "= 2" is (2, 2). Measurements and lab values are never negative."""
    lo, lo_open, hi, hi_open = 0.0, False, float("inf"), True
    if comparator in ("=", ">", ">="):
        lo, lo_open = value, comparator == ">"
    if comparator in ("=", "<", "<="):
        hi, hi_open = value, comparator == "<"
    return lo, lo_open, hi, hi_open


def bound_prefix(comparator: str) -> str:
    """How a value reported as a bound is quoted before its number ("< " for "<5"); nothing for a measured one."""
    return "" if comparator == "=" else f"{comparator} "


def no_symptom_present(case: Case) -> bool:
    """No symptom is recorded as present, and no pain pattern (denied ones may be recorded)."""
    return not case.symptoms.symptoms and case.symptoms.pattern is None


def implied_approach(s: PriorSurgery) -> str | None:
    """The approach as recorded, or the one the procedure implies (ACDF, cervical disc replacement and
    cervical corpectomy are anterior, ALIF anterior, LLIF lateral, posterior cervical fusion, PLIF, TLIF,
    laminectomy, laminoplasty, foraminotomy and posterolateral fusion posterior; a thoracic or lumbar
    corpectomy may be done from the front, the side or the back, so it implies none)."""
    if s.approach is not None:
        return s.approach._value_
    if s.procedure in (Procedure.acdf, Procedure.alif) or (
        s.procedure in (Procedure.disc_replacement, Procedure.corpectomy) and s.region == Region.cervical
    ):
        return Approach.anterior._value_
    if s.procedure == Procedure.llif:
        return Approach.lateral._value_
    if s.procedure in (Procedure.posterior_cervical_fusion, Procedure.plif, Procedure.tlif, Procedure.laminectomy,
                       Procedure.posterolateral_fusion, Procedure.laminoplasty, Procedure.foraminotomy):
        return Approach.posterior._value_
    return None


def fuses(s: PriorSurgery) -> bool:
    """The operation fused its levels: a fusion procedure, or an instrumented operation coded "other" (e.g. a
    corpectomy)."""
    return s.procedure in FUSION_PROCEDURES or (s.procedure == Procedure.other and bool(s.instrumented))


def derive_facts(case: Case) -> Facts:
    ref = case.assessment_date
    assert ref is not None, "assessment_date is filled in by parse_case"
    pos = case.index_surgery_position()
    index = case.surgeries[pos] if pos is not None else None
    days = (ref - index.date).days if index else None
    onset: int | None = None
    sym = case.symptoms
    if sym.onset_days_after_surgery is not None:
        onset = sym.onset_days_after_surgery
    elif sym.onset_date is not None and index is not None:
        onset = (sym.onset_date - index.date).days
    procs = frozenset(s.procedure for s in case.surgeries)
    fused = frozenset(lv for s in case.surgeries if fuses(s) for lv in s.levels)
    # levels whose neighbours take the adjacent-segment load: fused levels and disc replacements (adjacent
    # segment pathology is reported after cervical arthroplasty too, less often than after fusion)
    bridged = fused | frozenset(lv for s in case.surgeries if s.procedure == Procedure.disc_replacement
                                for lv in s.levels)
    by_test: dict[str, list[tuple[int, LabResult]]] = {}
    for i, lab in enumerate(case.labs):
        by_test.setdefault(lab.test._value_, []).append((i, lab))
    for items in by_test.values():
        items.sort(key=lambda t: t[1].date)
    imaging_by_code: dict[str, list[ImagingEntry]] = {}
    studies: list[StudyFacts] = []
    for i, study in enumerate(case.imaging):
        mod = study.modality._value_
        studies.append(StudyFacts(mod, study.date, study.limited_by_artefact, f"imaging[{i}]: {mod} {study.date}"))
        for j, fnd in enumerate(study.findings):
            imaging_by_code.setdefault(fnd.code._value_, []).append((i, j, study, fnd))
    surgeries = tuple(
        SurgeryFacts(
            position=i, procedure=s.procedure._value_, region=s.region._value_, instrumented=bool(s.instrumented),
            levels=frozenset(s.levels), quote=_quote(i, s), approach=implied_approach(s),
            incidental_durotomy=s.incidental_durotomy,
        )
        for i, s in enumerate(case.surgeries)
    )
    index_instr = bool(
        index is not None and index.procedure in FUSION_PROCEDURES and index.instrumented is not False
    )
    return Facts(
        case=case,
        ref_date=ref,
        index=index,
        index_position=pos,
        days_since_index=days,
        onset_days=onset,
        procedures=procs,
        fusion_done=bool(procs & FUSION_PROCEDURES),
        instrumented=any(s.instrumented for s in case.surgeries),
        index_fusion_instrumented=index_instr,
        operated_levels=frozenset(lv for s in case.surgeries for lv in s.levels),
        fused_levels=fused,
        adjacent_to_fusion=frozenset(adjacent_levels(sorted(bridged))) if bridged else frozenset(),
        surgery_count=len(case.surgeries),
        labs_by_test=by_test,
        surgeries=surgeries,
        imaging_by_code=imaging_by_code,
        studies=tuple(studies),
        culture_virulence=tuple((c.organism_virulence, False) for c in case.cultures),
    )


def _quote(i: int, s: PriorSurgery) -> str:
    extra = " (incidental durotomy)" if s.incidental_durotomy else ""
    return f"surgeries[{i}]: {s.procedure._value_} {' '.join(s.levels)} {s.date}{extra}"
