"""MedicationRequest / MedicationStatement -> opioids (with MME/day), systemic steroids, anticoagulants.

MME/day = opioid mg per dose unit x dose units per administration x administrations per
day x the CDC 2022 conversion factor (transdermal fentanyl: mcg/hr x factor). The
strength comes from the RxNorm display ("Oxycodone Hydrochloride 5 MG Oral Tablet"),
the dose and frequency from the first dosageInstruction. When any part is missing the
MME is not computed and the report says why.
"""

from __future__ import annotations

import re
from typing import Any

from .builder import CaseBuilder, Source
from .codes import Match
from .map_clinical import _label, _token
from .report import ContextFact
from .walk import Ctx, parse_date

__all__ = ["map_medication", "daily_mme", "strength_of"]

_ACTIVE = {"MedicationRequest": {"active"}, "MedicationStatement": {"active"}}
_STRENGTH = re.compile(r"([\d.]+)\s*(MG|MCG)(?:\s*/\s*(HR|ML|ACTUAT))?\b", re.IGNORECASE)
_COUNT_UNITS = {"", "1", "{tbl}", "{tablet}", "tablet", "tablets", "tab", "{capsule}", "capsule", "capsules", "cap",
                "{patch}", "patch", "{dose}", "dose", "{unit}", "{each}", "each", "ea"}
_PER_DAY = {"s": 86400.0, "min": 1440.0, "h": 24.0, "d": 1.0, "wk": 1 / 7, "mo": 1 / 30.4375, "a": 1 / 365.25}
# HL7 v3 GTSAbbreviation timing codes: administrations per day (definitions, not clinical numbers)
_TIMING_CODES = {"QD": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "Q4H": 6.0, "Q6H": 4.0, "Q8H": 3.0, "AM": 1.0,
                 "PM": 1.0}


def strength_of(display: str, ingredient: str) -> tuple[float, str] | None:
    """(amount, unit) of ``ingredient`` in an RxNorm display; unit 'mg', 'mcg', 'mg/ml', 'mcg/hr'...."""
    m = re.search(rf"(?<![\w-]){re.escape(ingredient)}(?![\w-])", display, re.IGNORECASE)
    if m is None:
        return None
    component = display[m.end():].split(" / ")[0]
    s = _STRENGTH.search(component)
    if s is None:
        return None
    unit = s.group(2).lower() + (f"/{s.group(3).lower()}" if s.group(3) else "")
    return float(s.group(1)), unit


def _per_day(ctx: Ctx, dosage: dict[str, Any], rtype: str) -> float | None:
    timing = ctx.obj(dosage, "timing", f"{rtype}.dosageInstruction.timing")
    if timing is None:
        return None
    repeat = ctx.obj(timing, "repeat", f"{rtype}.dosageInstruction.timing.repeat")
    if repeat is not None:
        freq = repeat.get("frequencyMax", repeat.get("frequency", 1))
        period = repeat.get("period")
        unit = repeat.get("periodUnit")
        if isinstance(freq, (int, float)) and isinstance(period, (int, float)) and period > 0 and unit in _PER_DAY:
            return float(freq) * _PER_DAY[unit] / float(period)
    code = ctx.obj(timing, "code", f"{rtype}.dosageInstruction.timing.code")
    for c in ctx.codings(code, f"{rtype}.dosageInstruction.timing.code"):
        if c.get("code") in _TIMING_CODES:
            return _TIMING_CODES[str(c["code"])]
    return None


def _dose(ctx: Ctx, dosage: dict[str, Any], rtype: str) -> tuple[float, str] | None:
    q: Any = None
    for dr in ctx.arr(dosage, "doseAndRate", f"{rtype}.dosageInstruction.doseAndRate"):
        if isinstance(dr, dict) and isinstance(dr.get("doseQuantity"), dict):
            q = dr["doseQuantity"]
            break
    if q is None:
        return None
    value = q.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    unit = q.get("code") or q.get("unit") or ""
    return float(value), str(unit).strip()


def daily_mme(ctx: Ctx, display: str, m: Match, dosage: dict[str, Any] | None, rtype: str) -> tuple[float | None, str]:
    """(MME/day or None, explanation)."""
    maps = m.maps_to
    factor, ingredient = maps.get("mme_factor"), maps.get("ingredient")
    if factor is None or ingredient is None:
        return None, "no conversion factor in the CDC 2022 table"
    need = maps.get("requires_word")
    if need and not re.search(rf"\b{re.escape(need)}\b", display, re.IGNORECASE):
        return None, f"the CDC 2022 factor for {ingredient} applies to the {need} form only"
    strength = strength_of(display, ingredient)
    if strength is None:
        return None, f"no {ingredient} strength in '{display}'"
    amount, unit = strength
    if maps.get("mme_unit") == "mcg_per_hr":
        mcg_hr = amount * (1000 if unit == "mg/hr" else 1) if unit in ("mg/hr", "mcg/hr") else None
        if mcg_hr is None:
            return None, f"strength unit {unit} is not per hour"
        return round(mcg_hr * factor, 1), f"{mcg_hr:g} mcg/hr x {factor:g}"
    if dosage is None:
        return None, "no dosage instruction"
    per_day = _per_day(ctx, dosage, rtype)
    dose = _dose(ctx, dosage, rtype)
    if per_day is None or dose is None:
        return None, "dose or frequency not coded"
    value, dose_unit = dose
    mg_each = amount / 1000 if unit == "mcg" else amount if unit == "mg" else None
    if unit == "mg/ml" and dose_unit.lower() == "ml":
        mg_per_dose = amount * value
    elif mg_each is not None and dose_unit.lower() in _COUNT_UNITS:
        mg_per_dose = mg_each * value
    elif dose_unit.lower() == "mg" and " / " not in display:
        mg_per_dose = value
    else:
        return None, f"dose unit '{dose_unit}' with strength {amount:g} {unit} cannot be converted"
    mg_day = mg_per_dose * per_day
    return round(mg_day * factor, 1), f"{mg_day:g} mg/day {ingredient} x {factor:g}"


def _medication_concept(b: CaseBuilder, ctx: Ctx, res: dict[str, Any], rtype: str,
                        medications: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    if "medicationCodeableConcept" in res:
        return ctx.concept(res, "medicationCodeableConcept", f"{rtype}.medicationCodeableConcept")
    ref = ctx.obj(res, "medicationReference", f"{rtype}.medicationReference")
    if ref is not None:
        target = medications.get(str(ref.get("reference")))
        if target is not None:
            return ctx.concept(target, "code", "Medication.code")
        if isinstance(ref.get("display"), str):
            return [], ref["display"]
    return [], None


def map_medication(b: CaseBuilder, ctx: Ctx, medications: dict[str, dict[str, Any]]) -> None:
    e, res, rtype = ctx.entry, ctx.entry.resource, ctx.entry.rtype
    codings, text = _medication_concept(b, ctx, res, rtype, medications)
    matches = b.index.match("medication", codings, text)
    label = _label(codings, text)
    if not matches:
        b.report.note("not_mapped", rtype, e.rid, f"{e.path}.medication[x]", f"{rtype}.medication[x]",
                      f"'{label}' is not an opioid, systemic steroid or anticoagulant", code=_token(codings))
        return
    status = ctx.text(res, "status", f"{rtype}.status")
    if status not in _ACTIVE[rtype]:
        b.report.note("skipped", rtype, e.rid, f"{e.path}.status", f"{rtype}.status",
                      f"'{label}' has status {status}; only active medicines count")
        return
    when, _ = parse_date(res.get("authoredOn") or res.get("dateAsserted") or res.get("effectiveDateTime"))
    src = Source(e, f"{rtype}.medication[x]")
    dosage_list = ctx.arr(res, "dosageInstruction" if rtype == "MedicationRequest" else "dosage", f"{rtype}.dosage")
    dosage = dosage_list[0] if dosage_list and isinstance(dosage_list[0], dict) else None
    display = label if not codings else next((str(c["display"]) for c in codings if c.get("display")), label)
    for m in matches:
        maps = m.maps_to
        if maps["class"] == "opioid":
            b.report.context.append(ContextFact("opioid_active", e.ref, m.token, display,
                                                when.isoformat() if when else None, True))
            mme, why = daily_mme(ctx, display, m, dosage, rtype)
            if mme is None:
                b.opioid_unknown.append(src)
                b.report.note("warning", rtype, e.rid, f"{e.path}.dosageInstruction", f"{rtype}.dosageInstruction",
                              f"active opioid '{display}': MME/day not computable ({why})",
                              "risk_factors.opioid_mme_per_day")
            else:
                b.opioid_mme.append((mme, src))
                b.report.note("assumption", rtype, e.rid, f"{e.path}.dosageInstruction",
                              f"{rtype}.dosageInstruction", f"'{display}': {mme:g} MME/day ({why}); the maximum "
                              "frequency is used for as-needed doses", "risk_factors.opioid_mme_per_day")
            break
        for path, value in (maps.get("set") or {}).items():
            b.set_risk(path.split(".", 1)[1], value, when, src)
        if maps.get("assumption"):
            b.report.note("assumption", rtype, e.rid, f"{e.path}.medication[x]", f"{rtype}.medication[x]",
                          maps["assumption"])
