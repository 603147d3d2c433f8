"""Patient, Condition, Procedure and AllergyIntolerance -> case fields."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..case.levels import VERTEBRAE, parse_level, region_of_level
from .builder import CaseBuilder, Source
from .codes import Match
from .report import ContextFact
from .walk import Ctx, parse_date

__all__ = ["map_patient", "map_condition", "map_procedure", "map_allergy", "levels_in", "status_code",
           "apply_condition_match"]

_SEX = {"male": "male", "female": "female", "other": "other", "unknown": "unknown"}
_LEVEL = re.compile(r"\b([CTL])(\d{1,2})\s*(?:-|/|–|to)\s*([CTLS]?)(\d{1,2})\b", re.IGNORECASE)
_INACTIVE = {"inactive", "remission", "resolved"}
_VOID = {"entered-in-error", "refuted"}


def status_code(ctx: Ctx, res: dict[str, Any], key: str, rtype: str) -> str | None:
    """The first code of a status CodeableConcept (clinicalStatus, verificationStatus)."""
    codings, _ = ctx.concept(res, key, f"{rtype}.{key}")
    for c in codings:
        if isinstance(c.get("code"), str):
            return str(c["code"])
    return None


def levels_in(text: str | None) -> list[str]:
    """Motion segments named in free text or a display: 'L4-5', 'L4/L5', 'L3 to L5' -> ['L4-L5', ...]."""
    if not text:
        return []
    out: list[str] = []
    for m in _LEVEL.finditer(text):
        head, a, tail, b = m.group(1).upper(), int(m.group(2)), (m.group(3) or m.group(1)).upper(), int(m.group(4))
        upper, lower = f"{head}{a}", f"{tail}{b}"
        if upper not in VERTEBRAE or lower not in VERTEBRAE:
            continue
        i, j = VERTEBRAE.index(upper), VERTEBRAE.index(lower)
        for k in range(i, j):
            name = f"{VERTEBRAE[k]}-{VERTEBRAE[k + 1]}"
            try:
                parse_level(name)
            except ValueError:
                continue
            if name not in out:
                out.append(name)
    return out


def map_patient(b: CaseBuilder, ctx: Ctx) -> None:
    res, e = ctx.entry.resource, ctx.entry
    gender = ctx.text(res, "gender", "Patient.gender")
    if gender in _SEX:
        b.patient["sex"] = _SEX[gender]
        b.mapped(Source(e, "Patient.gender"), "patient.sex", f"sex {gender}")
    elif gender is not None:
        b.report.note("not_mapped", "Patient", e.rid, f"{e.path}.gender", "Patient.gender",
                      f"'{gender}' is not an administrative gender")
    born, precision = parse_date(res.get("birthDate"))
    if born is not None:
        age = b.today.year - born.year - ((b.today.month, b.today.day) < (born.month, born.day))
        if 0 <= age <= 120:
            b.patient["age"] = age
            b.mapped(Source(e, "Patient.birthDate"), "patient.age",
                     f"age {age} on {b.today} (birth date kept out of the case)")
            if precision != "day":
                b.report.note("assumption", "Patient", e.rid, f"{e.path}.birthDate", "Patient.birthDate",
                              f"birth date has {precision} precision; age may be one year off", "patient.age")
        else:
            b.report.note("skipped", "Patient", e.rid, f"{e.path}.birthDate", "Patient.birthDate",
                          f"birth date gives age {age} on {b.today}, outside 0-120")
    elif res.get("birthDate") is not None:
        b.report.note("skipped", "Patient", e.rid, f"{e.path}.birthDate", "Patient.birthDate",
                      "birth date is not a FHIR date")
    if res.get("deceasedBoolean") is True or "deceasedDateTime" in res:
        b.report.note("warning", "Patient", e.rid, f"{e.path}.deceased[x]", "Patient.deceased[x]",
                      "the patient is recorded as deceased")
    b.report.used.add(e.ref)


def _onset(res: dict[str, Any]) -> date | None:
    for key in ("onsetDateTime", "recordedDate"):
        d, _ = parse_date(res.get(key))
        if d:
            return d
    period = res.get("onsetPeriod")
    if isinstance(period, dict):
        d, _ = parse_date(period.get("start"))
        return d
    return None


def apply_condition_match(b: CaseBuilder, m: Match, src: Source, when: date | None, current: bool) -> list[str]:
    """Apply one condition value-set match; returns the case fields it touched."""
    touched: list[str] = []
    maps = m.maps_to
    for tag in maps.get("context", []):
        b.report.context.append(ContextFact(tag, src.ref, m.token, m.display, when.isoformat() if when else None,
                                            current))
        b.report.used.add(src.ref)
    if not current and not maps.get("include_resolved"):
        return touched
    for path, value in (maps.get("set") or {}).items():
        b.set_risk(path.split(".", 1)[1], value, when, src)
        touched.append(path)
    if current:
        for s in maps.get("symptoms", []):
            b.symptoms.setdefault(s, []).append(src)
            touched.append(f"symptoms.{s}")
    return touched


def map_condition(b: CaseBuilder, ctx: Ctx) -> None:
    e, res = ctx.entry, ctx.entry.resource
    verification = status_code(ctx, res, "verificationStatus", "Condition")
    if verification in _VOID:
        b.report.note("skipped", "Condition", e.rid, f"{e.path}.verificationStatus", "Condition.verificationStatus",
                      f"verification status is {verification}")
        return
    clinical = status_code(ctx, res, "clinicalStatus", "Condition")
    current = clinical not in _INACTIVE and not (clinical is None and ("abatementDateTime" in res
                                                                       or "abatementPeriod" in res))
    when = _onset(res)
    if when and when > b.today:
        b.report.note("skipped", "Condition", e.rid, f"{e.path}.onset[x]", "Condition.onset[x]",
                      f"dated {when}, after the assessment date {b.today}")
        return
    codings, text = ctx.concept(res, "code", "Condition.code")
    matches = b.index.match("condition", codings, text)
    if not matches:
        b.report.note("not_mapped", "Condition", e.rid, f"{e.path}.code", "Condition.code",
                      f"'{_label(codings, text)}' is not in revspine's condition value sets", code=_token(codings))
        return
    src = Source(e, "Condition.code")
    touched: list[str] = []
    for m in matches:
        touched += apply_condition_match(b, m, src, when, current)
    if not touched and not any(m.maps_to.get("context") for m in matches):
        b.report.note("skipped", "Condition", e.rid, f"{e.path}.clinicalStatus", "Condition.clinicalStatus",
                      f"'{_label(codings, text)}' is {clinical or 'abated'}; only current conditions count")
    elif not touched:
        b.report.note("not_mapped", "Condition", e.rid, f"{e.path}.code", "Condition.code",
                      f"'{_label(codings, text)}' recognised ({', '.join(m.value_set.id for m in matches)}) but the "
                      "case model has no field for it; kept as context", code=_token(codings))


def _label(codings: list[dict[str, Any]], text: str | None) -> str:
    if text:
        return text
    for c in codings:
        if c.get("display"):
            return str(c["display"])
    return _token(codings) or "(no code)"


def _token(codings: list[dict[str, Any]]) -> str | None:
    for c in codings:
        if c.get("code"):
            return f"{c.get('system', '')}|{c['code']}"
    return None


def _body_region(b: CaseBuilder, ctx: Ctx, res: dict[str, Any], rtype: str) -> tuple[str | None, list[str]]:
    """Region ('cervical'|'thoracic'|'lumbar'|'spine'|None) and levels from bodySite."""
    region: str | None = None
    levels: list[str] = []
    for i, site in enumerate(ctx.arr(res, "bodySite", f"{rtype}.bodySite")):
        if not isinstance(site, dict):
            ctx.fault(f"{rtype}.bodySite[{i}]", "must be a CodeableConcept")
            continue
        codings = ctx.codings(site, f"{rtype}.bodySite[{i}]")
        for m in b.index.match("body_site", codings):
            r = m.maps_to["region"]
            if region in (None, "spine"):
                region = r
        for t in [site.get("text"), *(c.get("display") for c in codings)]:
            if isinstance(t, str):
                levels += [lv for lv in levels_in(t) if lv not in levels]
    return region, levels


def map_procedure(b: CaseBuilder, ctx: Ctx) -> None:
    e, res = ctx.entry, ctx.entry.resource
    codings, text = ctx.concept(res, "code", "Procedure.code")
    surgery = b.index.match("procedure", codings, text)
    imaging = b.index.match("imaging_procedure", codings, text)
    if not surgery and not imaging:
        b.report.note("not_mapped", "Procedure", e.rid, f"{e.path}.code", "Procedure.code",
                      f"'{_label(codings, text)}' is not a spine operation or spine imaging in revspine's value sets",
                      code=_token(codings))
        return
    status = ctx.text(res, "status", "Procedure.status")
    if status != "completed":
        b.report.note("skipped", "Procedure", e.rid, f"{e.path}.status", "Procedure.status",
                      f"'{_label(codings, text)}' has status {status}; only completed procedures count")
        return
    when, precision = parse_date(res.get("performedDateTime"))
    if when is None and isinstance(res.get("performedPeriod"), dict):
        when, precision = parse_date(res["performedPeriod"].get("start"))
    if when is None:
        b.report.note("not_mapped", "Procedure", e.rid, f"{e.path}.performed[x]", "Procedure.performed[x]",
                      f"'{_label(codings, text)}' has no performed date; add the operation by hand")
        if surgery:
            b.report.context.append(ContextFact("spine_surgery_history", e.ref, surgery[0].token, surgery[0].display,
                                                None, True))
        return
    if when > b.today:
        b.report.note("skipped", "Procedure", e.rid, f"{e.path}.performed[x]", "Procedure.performed[x]",
                      f"dated {when}, after the assessment date {b.today}")
        return
    if precision != "day":
        b.report.note("assumption", "Procedure", e.rid, f"{e.path}.performed[x]", "Procedure.performed[x]",
                      f"date has {precision} precision; taken as {when}")
    src = Source(e, "Procedure.code")
    if imaging and not surgery:
        modality = imaging[0].maps_to["modality"]
        b.imaging.append(({"modality": modality, "date": when.isoformat()}, src))
        return
    m = surgery[0]
    spec = m.maps_to["surgery"]
    site_region, levels = _body_region(b, ctx, res, "Procedure")
    if text:
        levels += [lv for lv in levels_in(text) if lv not in levels]
    region = spec.get("region") or (site_region if site_region != "spine" else None)
    if region is None and levels:
        region = region_of_level(levels[0])
    if region is None:
        b.report.note("not_mapped", "Procedure", e.rid, f"{e.path}.bodySite", "Procedure.bodySite",
                      f"'{_label(codings, text)}' on {when}: the spinal region is not coded (code, bodySite or "
                      "levels); add the operation by hand")
        b.report.context.append(ContextFact("spine_surgery_history", e.ref, m.token, m.display, when.isoformat(),
                                            True))
        return
    levels = [lv for lv in levels if region_of_level(lv) == region or (region == "thoracic" and lv.startswith("T12"))]
    if not levels:
        b.report.note("assumption", "Procedure", e.rid, f"{e.path}.bodySite", "Procedure.bodySite",
                      "levels are not coded; the operation is recorded without levels")
    if m.maps_to.get("assumption"):
        b.report.note("assumption", "Procedure", e.rid, f"{e.path}.code", "Procedure.code", m.maps_to["assumption"])
    instrumented = True if ctx.arr(res, "focalDevice", "Procedure.focalDevice") else None
    b.surgeries.append(({
        "procedure": spec["procedure"], "region": region, "levels": levels, "date": when.isoformat(),
        "approach": spec.get("approach"), "instrumented": instrumented,
    }, src))
    b.report.context.append(ContextFact("spine_surgery_history", e.ref, m.token, m.display, when.isoformat(), True))


def map_allergy(b: CaseBuilder, ctx: Ctx) -> None:
    e, res = ctx.entry, ctx.entry.resource
    verification = status_code(ctx, res, "verificationStatus", "AllergyIntolerance")
    clinical = status_code(ctx, res, "clinicalStatus", "AllergyIntolerance")
    codings, text = ctx.concept(res, "code", "AllergyIntolerance.code")
    if verification in _VOID or clinical in ("inactive", "resolved"):
        b.report.note("skipped", "AllergyIntolerance", e.rid, f"{e.path}.clinicalStatus",
                      "AllergyIntolerance.clinicalStatus",
                      f"'{_label(codings, text)}' is {verification if verification in _VOID else clinical}")
        return
    matches = b.index.match("allergy", codings, text)
    if not matches:
        b.report.note("not_mapped", "AllergyIntolerance", e.rid, f"{e.path}.code", "AllergyIntolerance.code",
                      f"'{_label(codings, text)}' is not a beta-lactam allergy (the only allergy revspine uses)",
                      code=_token(codings))
        return
    when, _ = parse_date(res.get("recordedDate") or res.get("onsetDateTime"))
    src = Source(e, "AllergyIntolerance.code")
    for m in matches:
        for path, value in (m.maps_to.get("set") or {}).items():
            b.set_risk(path.split(".", 1)[1], value, when, src)
