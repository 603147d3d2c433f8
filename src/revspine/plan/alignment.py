"""Sagittal alignment: SRS-Schwab modifiers, target lordosis by each cited formula, the
correction needed, osteotomy options, and a PI = PT + SS consistency check.

Pure functions over the knowledge pack; no number lives here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._construct import make
from ..case.model import Case
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.plan import AlignmentRules, LordosisFormula, Osteotomy, PiClassTable
from .models import (
    AlignmentResult,
    ConsistencyCheck,
    CorrectionSummary,
    LordosisTarget,
    ModifierResult,
    OsteotomyOption,
    PiClassMatch,
    PiClassResult,
)

__all__ = ["Measurements", "assess_alignment", "alignment_from_measurements", "measurements_from_case"]


@dataclass(frozen=True)
class Measurements:
    """Spinopelvic parameters in degrees (SVA in mm) and age in years; None = not measured."""

    pi: float | None = None
    ll: float | None = None
    pt: float | None = None
    ss: float | None = None
    sva_mm: float | None = None
    tk: float | None = None
    age: float | None = None


_PATHS = {
    "pi": "alignment.pi",
    "ll": "alignment.ll",
    "pt": "alignment.pt",
    "ss": "alignment.ss",
    "sva_mm": "alignment.sva_mm",
    "tk": "alignment.tk",
    "age": "patient.age",
}


def measurements_from_case(case: Case) -> Measurements | None:
    al = case.alignment
    if al is None:
        return None
    age = float(case.patient.age) if case.patient.age is not None else None
    return Measurements(pi=al.pi, ll=al.ll, pt=al.pt, ss=al.ss, sva_mm=al.sva_mm, tk=al.tk, age=age)


def assess_alignment(case: Case, pack: KnowledgePack) -> AlignmentResult | None:
    """The alignment section for a case, or None when no alignment was measured or the pack has no rules."""
    m = measurements_from_case(case)
    if m is None or all(v is None for v in (m.pi, m.ll, m.pt, m.ss, m.sva_mm, m.tk)):
        return None
    return alignment_from_measurements(m, pack)


def _rules(pack: KnowledgePack) -> AlignmentRules | None:
    rules = pack.sections.get("alignment_rules")
    return rules if isinstance(rules, AlignmentRules) else None


def _r1(x: float) -> float:
    return round(x + 0.0, 1)


def _consistency(m: Measurements, rules: AlignmentRules) -> ConsistencyCheck | None:
    if m.pi is None or m.pt is None or m.ss is None:
        return None
    diff = m.pi - (m.pt + m.ss)
    rule = rules.consistency
    tol = rule.tolerance_deg
    ok = abs(diff) <= tol
    basis = "" if rule.from_evidence else " (a documented convention, not a published tolerance)"
    if ok:
        msg = f"PI - (PT + SS) = {_r1(diff):g} degrees, within the {tol:g}-degree tolerance{basis}."
    else:
        msg = (
            f"PI {m.pi:g} does not equal PT {m.pt:g} + SS {m.ss:g} (difference {_r1(diff):g} degrees, tolerance "
            f"{tol:g}{basis}). Re-measure PI, PT and SS on the same standing film; targets that depend on them are "
            "withheld until they agree."
        )
    return make(ConsistencyCheck,
        pi=m.pi, pt=m.pt, ss=m.ss, difference_deg=_r1(diff), tolerance_deg=tol, consistent=ok,
        tolerance_from_evidence=rule.from_evidence, message=msg, citations=list(rule.citations),
    )


def _modifiers(m: Measurements, rules: AlignmentRules, pelvis_ok: bool) -> list[ModifierResult]:
    out: list[ModifierResult] = []
    for mod in rules.modifiers:
        if mod.parameter == "pi_minus_ll":
            if m.pi is None or m.ll is None:
                continue
            value, inputs, reliable = m.pi - m.ll, [_PATHS["pi"], _PATHS["ll"]], pelvis_ok
        elif mod.parameter == "pt":
            if m.pt is None:
                continue
            value, inputs, reliable = m.pt, [_PATHS["pt"]], pelvis_ok
        else:
            if m.sva_mm is None:
                continue
            value, inputs, reliable = m.sva_mm, [_PATHS["sva_mm"]], True
        value = round(value, 6)  # PI - LL from floats: 30.1 - 20.1 must be 10, not 10.000000000000002
        band = next(b for b in mod.bands if b.contains(value))
        out.append(
            make(ModifierResult,
                parameter=mod.parameter, label=mod.label, value=value, unit=mod.unit, grade=band.grade,
                grade_label=band.label, boundary_note=mod.boundary_note, inputs=inputs, reliable=reliable,
                citations=list(mod.citations),
            )
        )
    return out


def _quality(formula: LordosisFormula, pack: KnowledgePack) -> str:
    secondary = any(pack.citations[c].quality == "secondary" for c in formula.citations if c in pack.citations)
    return "secondary" if secondary else "primary"


def _target(f: LordosisFormula, m: Measurements, pack: KnowledgePack, withheld: bool) -> LordosisTarget:
    base = {
        "formula": f.id, "label": f.label, "expression": f.expression, "population": f.population, "kind": f.kind,
        "note": f.note, "quality": _quality(f, pack), "citations": list(f.citations),
    }
    values = {"pi": m.pi, "age": m.age, "tk": m.tk}
    missing = [_PATHS[n] for n in f.needs() if values[n] is None]
    if missing:
        return make(LordosisTarget, status="missing_input", missing_inputs=missing, **base)
    if withheld:
        return make(LordosisTarget,
            status="withheld", missing_inputs=[],
            **{**base, "note": "Withheld: PI, PT and SS disagree beyond the measurement tolerance."},
        )
    value = f.const + f.pi * (m.pi or 0.0) + f.age * (m.age or 0.0) + f.tk * (m.tk or 0.0)
    low = high = None
    target: float | None = _r1(value)
    if f.kind == "range" and f.half_range is not None:
        low, high, target = _r1(value - f.half_range), _r1(value + f.half_range), None
    cmin = cmax = None
    if m.ll is not None:
        if f.kind == "range" and low is not None and high is not None:
            cmin = _r1(max(0.0, low - m.ll)) if m.ll <= high else _r1(high - m.ll)
            cmax = _r1(high - m.ll) if m.ll <= high else cmin
        elif target is not None and f.kind == "minimum":
            cmin = cmax = _r1(max(0.0, target - m.ll))  # LL must exceed the minimum; above it nothing is needed
        elif target is not None:
            cmin = cmax = _r1(target - m.ll)
    return make(LordosisTarget,
        status="computed", target_deg=target, low_deg=low, high_deg=high, correction_min_deg=cmin,
        correction_max_deg=cmax, missing_inputs=[], **base,
    )


def _pi_class(pi: float, table: PiClassTable) -> PiClassResult:
    rows = [r for r in table.rows if r.contains(pi)]
    between = not rows
    if between:
        below = [r for r in table.rows if r.hi is not None and r.hi <= pi]
        above = [r for r in table.rows if r.lo is not None and r.lo >= pi]
        rows = ([below[-1]] if below else []) + ([above[0]] if above else [])
    matches = [
        make(PiClassMatch,
            pi_class=r.pi_class, published_range=r.published_range, pt_theoretical_deg=r.pt_theoretical,
            ll_theoretical_deg=_r1(pi + r.ll_offset),
        )
        for r in rows
    ]
    return make(PiClassResult,
        pi=pi, matches=matches, between_rows=between, note=table.gap_note if between else None,
        citations=list(table.citations),
    )


def _summary(targets: list[LordosisTarget]) -> CorrectionSummary | None:
    lows = [t.correction_min_deg for t in targets if t.correction_min_deg is not None]
    highs = [t.correction_max_deg for t in targets if t.correction_max_deg is not None]
    if not lows:
        return None
    least, most = min(lows), max(highs)
    n = len(lows)
    if most <= 0:
        text = f"None of the {n} computed formulas asks for more lordosis."
    elif least < 0:
        text = (
            f"The {n} computed formulas disagree on direction: from {-least:g} degrees less lordosis to {most:g} "
            f"degrees more (a spread of {_r1(most - least):g} degrees). Choose the target with the population in mind."
        )
    else:
        text = (
            f"The {n} computed formulas ask for between {least:g} and {most:g} degrees more lordosis; "
            f"they disagree by {_r1(most - least):g} degrees. Choose the target with the population in mind."
        )
    return make(CorrectionSummary,
        least_deg=least, most_deg=most, spread_deg=_r1(most - least), formulas=n, statement=text
    )


def _osteotomy(o: Osteotomy, summary: CorrectionSummary | None) -> OsteotomyOption:
    lo_c, hi_c = o.correction_min_deg, o.correction_max_deg
    base = {"osteotomy": o.id, "label": o.label, "grade": o.schwab_grade, "requirements": o.requirements,
            "citations": list(o.citations)}
    if lo_c is None or hi_c is None:
        return make(OsteotomyOption,
            correction_per_level="not given by the sources", levels_min=None, levels_max=None,
            note=o.missing_evidence or "", **base,
        )
    per_level = f"{lo_c:g}-{hi_c:g} degrees per level"
    if summary is None or summary.most_deg <= 0:
        return make(OsteotomyOption,
            correction_per_level=per_level, levels_min=None, levels_max=None,
            note="No lordosis correction computed, so no level count.", **base,
        )
    least = max(summary.least_deg, 0.0)
    lv_min = math.ceil(least / hi_c) if least > 0 else 0
    lv_max = math.ceil(summary.most_deg / lo_c)
    note = (
        f"{lv_min}-{lv_max} level(s) for {least:g}-{summary.most_deg:g} degrees at {per_level} "
        "(arithmetic on the published range; rigidity, bone quality and the disc decide in practice)."
    )
    return make(OsteotomyOption,
        correction_per_level=per_level, levels_min=lv_min, levels_max=lv_max, note=note, **base
    )


def alignment_from_measurements(m: Measurements, pack: KnowledgePack) -> AlignmentResult | None:
    """Read one set of measurements against the pack. None when the pack has no alignment rules."""
    rules = _rules(pack)
    if rules is None:
        return None
    consistency = _consistency(m, rules)
    pelvis_ok = consistency is None or consistency.consistent
    warnings: list[str] = []
    if consistency is not None and not consistency.consistent:
        warnings.append(consistency.message)
    modifiers = _modifiers(m, rules, pelvis_ok)
    formulas: list[LordosisFormula] = list(pack.sections.get("lordosis_formulas", {}).values())
    targets = [_target(f, m, pack, withheld=not pelvis_ok) for f in formulas]
    if m.ll is None:
        warnings.append("Lumbar lordosis (alignment.ll) not measured: targets shown, correction not computed.")
    if m.pi is None:
        warnings.append("Pelvic incidence (alignment.pi) not measured: no PI-based target can be computed.")
    table = pack.sections.get("pi_class_table")
    pi_class = _pi_class(m.pi, table) if isinstance(table, PiClassTable) and m.pi is not None and pelvis_ok else None
    summary = _summary(targets)
    osteotomies = [_osteotomy(o, summary) for o in pack.sections.get("osteotomies", {}).values()] if pelvis_ok else []
    cited: list[str] = list(rules.citations) + list(rules.regional.citations)
    for group in (modifiers, targets, osteotomies):
        for item in group:
            cited += item.citations
    if consistency:
        cited += consistency.citations
    if pi_class:
        cited += pi_class.citations
    if not pelvis_ok:
        status = "inconsistent"
    elif m.pi is None or m.ll is None or m.pt is None or m.sva_mm is None:
        status = "incomplete"
    else:
        status = "complete"
    result = make(AlignmentResult,
        status=status,
        measured={k: getattr(m, k) for k in ("pi", "ll", "pt", "ss", "sva_mm", "tk", "age")},
        modifiers=modifiers, consistency=consistency, targets=targets, pi_class=pi_class, correction=summary,
        osteotomies=osteotomies, regional_note=rules.regional.text, warnings=warnings,
        citations=sorted(set(cited)),
    )
    return result
