"""Observation, ImagingStudy and DiagnosticReport -> labs, vitals, scores, smoking and imaging."""

from __future__ import annotations

from datetime import date
from typing import Any

from .builder import CaseBuilder, Source
from .codes import LOINC, UCUM, normalise_system
from .map_clinical import _label, _token
from .walk import Ctx, parse_date

__all__ = ["map_observation", "map_imaging_study", "map_diagnostic_report", "effective_date"]

_FINAL = {"final", "amended", "corrected", "appended"}
# Unit definitions (not clinical numbers): UCUM code -> (case unit, factor to it)
_VITAL_UNITS: dict[str, dict[str, float]] = {
    "weight_kg": {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237},
    "height_cm": {"cm": 1.0, "m": 100.0, "[in_i]": 2.54},
    "bmi": {"kg/m2": 1.0},
    "oxygen_saturation": {"%": 1.0},
    "temperature_c": {"Cel": 1.0},
}
_VITAL_RANGE = {"weight_kg": (20, 400), "height_cm": (50, 250), "bmi": (10, 100), "oxygen_saturation": (49.9, 100.1),
                "temperature_c": (30, 44)}
_SCORES = {"phq9": ("phq9", 0, 27, True), "gad7": ("gad7", 0, 21, True), "pain_nrs": ("nrs_back", 0, 10, False)}


def effective_date(res: dict[str, Any]) -> date | None:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        d, _ = parse_date(res.get(key))
        if d:
            return d
    period = res.get("effectivePeriod")
    if isinstance(period, dict):
        d, _ = parse_date(period.get("start") or period.get("end"))
        return d
    return None


def _quantity(ctx: Ctx, res: dict[str, Any]) -> tuple[float | None, str | None]:
    q = ctx.obj(res, "valueQuantity", "Observation.valueQuantity")
    if q is not None:
        value = ctx.number(q, "value", "Observation.valueQuantity.value")
        unit = q.get("code") if normalise_system(q.get("system")) == UCUM and q.get("code") else q.get("unit")
        return value, unit if isinstance(unit, str) else None
    if "valueInteger" in res:
        return ctx.number(res, "valueInteger", "Observation.valueInteger"), None
    return None, None


_COMPARATORS = ("<", "<=", ">=", ">")


def _lab(b: CaseBuilder, ctx: Ctx, test: str, when: date) -> None:
    e, res = ctx.entry, ctx.entry.resource
    rule = b.pack.labs[test]
    value, unit = _quantity(ctx, res)
    if value is None or unit is None:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.valueQuantity", "Observation.valueQuantity",
                      f"{rule.label}: no numeric value with a unit")
        return
    unit = unit.strip()
    canonical = rule.to_canonical(value, unit)
    if canonical is None:
        accepted = ", ".join(rule.accepted_units())
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.valueQuantity.code",
                      "Observation.valueQuantity.code", f"{rule.label}: unit '{unit}' is not one revspine "
                      f"converts (accepted: {accepted})")
        return
    if not rule.plausible_min <= canonical <= rule.plausible_max:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.valueQuantity.value",
                      "Observation.valueQuantity.value", f"{rule.label} {value:g} {unit} is implausible "
                      f"(accepted {rule.plausible_min:g}-{rule.plausible_max:g} {rule.canonical_unit})")
        return
    q = res.get("valueQuantity")
    comparator = q.get("comparator") if isinstance(q, dict) else None
    if comparator is not None and comparator not in _COMPARATORS:  # "ad": sufficient to achieve; not a bound
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.valueQuantity.comparator",
                      "Observation.valueQuantity.comparator", f"{rule.label}: comparator {comparator!r} is not a "
                      "bound revspine can read (<, <=, >=, >)")
        return
    lab = {"test": test, "value": value, "unit": unit, "date": when.isoformat()}
    if comparator is not None:
        lab["comparator"] = comparator  # "<5" stays "below 5", never 5
    b.labs.append((lab, Source(e, "Observation.valueQuantity")))


def _vital(b: CaseBuilder, ctx: Ctx, name: str, when: date) -> None:
    e, res = ctx.entry, ctx.entry.resource
    value, unit = _quantity(ctx, res)
    factor = _VITAL_UNITS[name].get(unit or "")
    if value is None or factor is None:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.valueQuantity", "Observation.valueQuantity",
                      f"{name}: value {value} with unit '{unit}' is not one revspine converts")
        return
    value = round(value * factor, 1)
    lo, hi = _VITAL_RANGE[name]
    if not lo < value < hi:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.valueQuantity.value",
                      "Observation.valueQuantity.value", f"{name} {value:g} is outside {lo}-{hi}")
        return
    b.latest(b.vitals, name, value, when, Source(e, "Observation.valueQuantity"))


def _score(b: CaseBuilder, ctx: Ctx, name: str, when: date, assumption: str | None) -> None:
    e, res = ctx.entry, ctx.entry.resource
    field, lo, hi, integer = _SCORES[name]
    value, _ = _quantity(ctx, res)
    if value is None or not lo <= value <= hi or (integer and value != int(value)):
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.value[x]", "Observation.value[x]",
                      f"{name}: value {value} is not a score in {lo}-{hi}")
        return
    old = b.scores.get(field)
    b.latest(b.scores, field, int(value) if integer else value, when, Source(e, "Observation.value[x]"))
    if assumption and old is None:
        b.report.note("assumption", "Observation", e.rid, f"{e.path}.code", "Observation.code", assumption,
                      f"questionnaires.{field}")


def _smoking(b: CaseBuilder, ctx: Ctx, when: date) -> None:
    e, res = ctx.entry, ctx.entry.resource
    codings, text = ctx.concept(res, "valueCodeableConcept", "Observation.valueCodeableConcept")
    matches = b.index.match("observation_answer", codings, text)
    if not matches:
        b.report.note("not_mapped", "Observation", e.rid, f"{e.path}.valueCodeableConcept",
                      "Observation.valueCodeableConcept", f"smoking status '{_label(codings, text)}' is not in "
                      "revspine's smoking answers", code=_token(codings))
        return
    for path, value in (matches[0].maps_to.get("set") or {}).items():
        b.set_risk(path.split(".", 1)[1], value, when, Source(e, "Observation.valueCodeableConcept"))


def map_observation(b: CaseBuilder, ctx: Ctx) -> None:
    e, res = ctx.entry, ctx.entry.resource
    codings, text = ctx.concept(res, "code", "Observation.code")
    test = next((b.index.lab_by_loinc[c["code"]] for c in codings
                 if normalise_system(c.get("system")) == LOINC and c.get("code") in b.index.lab_by_loinc), None)
    matches = b.index.match("observation", codings) if test is None else []
    if test is None and not matches:
        b.report.note("not_mapped", "Observation", e.rid, f"{e.path}.code", "Observation.code",
                      f"'{_label(codings, text)}' is not an observation revspine uses", code=_token(codings))
        return
    status = ctx.text(res, "status", "Observation.status")
    if status not in _FINAL:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.status", "Observation.status",
                      f"'{_label(codings, text)}' has status {status}; only final results count")
        return
    when = effective_date(res)
    if when is None:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.effective[x]", "Observation.effective[x]",
                      f"'{_label(codings, text)}' has no date")
        return
    if when > b.today:
        b.report.note("skipped", "Observation", e.rid, f"{e.path}.effective[x]", "Observation.effective[x]",
                      f"dated {when}, after the assessment date {b.today}")
        return
    if test is not None:
        _lab(b, ctx, test, when)
        return
    m = matches[0].maps_to
    kind = m["observation"]
    if kind in _VITAL_UNITS:
        _vital(b, ctx, kind, when)
    elif kind == "smoking_status":
        _smoking(b, ctx, when)
    else:
        _score(b, ctx, kind, when, m.get("assumption"))


def _study_key(e: Any) -> list[str]:
    keys = [e.ref]
    if e.full_url:
        keys.append(e.full_url)
    return keys


def map_imaging_study(b: CaseBuilder, ctx: Ctx, studies: dict[str, int]) -> None:
    e, res = ctx.entry, ctx.entry.resource
    status = ctx.text(res, "status", "ImagingStudy.status")
    if status in ("cancelled", "entered-in-error", "registered"):
        b.report.note("skipped", "ImagingStudy", e.rid, f"{e.path}.status", "ImagingStudy.status",
                      f"status is {status}")
        return
    spine = False
    modality: str | None = None
    sites: list[str] = []
    for i, pc in enumerate(ctx.arr(res, "procedureCode", "ImagingStudy.procedureCode")):
        if isinstance(pc, dict):
            ms = b.index.match("imaging_procedure", ctx.codings(pc, f"ImagingStudy.procedureCode[{i}]"), pc.get("text"))
            if ms:
                modality = modality or ms[0].maps_to["modality"]
                spine = spine or ms[0].maps_to.get("order") == "spine_imaging"
    for i, s in enumerate(ctx.arr(res, "series", "ImagingStudy.series")):
        if not isinstance(s, dict):
            ctx.fault(f"ImagingStudy.series[{i}]", "must be an object")
            continue
        site = ctx.obj(s, "bodySite", f"ImagingStudy.series[{i}].bodySite")
        if site is not None:
            sites.append(str(site.get("display") or site.get("code")))
            if b.index.match("body_site", [site]):
                spine = True
        mod = ctx.obj(s, "modality", f"ImagingStudy.series[{i}].modality")
        if mod is not None and modality is None:
            ms = b.index.match("imaging_modality", [mod])
            modality = ms[0].maps_to["modality"] if ms else None
    if not spine:
        where = ", ".join(sorted(set(sites))) or "body site not coded"
        b.report.note("not_mapped", "ImagingStudy", e.rid, f"{e.path}.series", "ImagingStudy.series.bodySite",
                      f"not spine imaging ({where})")
        return
    when, _ = parse_date(res.get("started"))
    if modality is None or when is None or when > b.today:
        why = "modality not recognised" if modality is None else "no start date" if when is None else "dated later"
        b.report.note("not_mapped", "ImagingStudy", e.rid, f"{e.path}.started", "ImagingStudy.started",
                      f"spine imaging, but {why}")
        return
    for k in _study_key(e):
        studies[k] = len(b.imaging)
    b.imaging.append(({"modality": modality, "date": when.isoformat(), "findings": []},
                      Source(e, "ImagingStudy.series")))


def map_diagnostic_report(b: CaseBuilder, ctx: Ctx, studies: dict[str, int]) -> None:
    e, res = ctx.entry, ctx.entry.resource
    codings, text = ctx.concept(res, "code", "DiagnosticReport.code")
    categories = [c.get("code") for i, cat in enumerate(ctx.arr(res, "category", "DiagnosticReport.category"))
                  if isinstance(cat, dict) for c in ctx.codings(cat, f"DiagnosticReport.category[{i}]")]
    procedure = b.index.match("imaging_procedure", codings, text)
    findings = []
    for i, cc in enumerate(ctx.arr(res, "conclusionCode", "DiagnosticReport.conclusionCode")):
        if isinstance(cc, dict):
            findings += b.index.match("imaging_finding", ctx.codings(cc, f"DiagnosticReport.conclusionCode[{i}]"))
    linked = [studies[r] for ref in ctx.arr(res, "imagingStudy", "DiagnosticReport.imagingStudy")
              if isinstance(ref, dict) and (r := ref.get("reference")) in studies]
    if not procedure and not findings and not linked:
        reason = ("a laboratory report; its results are read from their Observations" if "LAB" in categories
                  else f"'{_label(codings, text)}' is not spine imaging revspine reads")
        b.report.note("not_mapped", "DiagnosticReport", e.rid, f"{e.path}.code", "DiagnosticReport.code", reason,
                      code=_token(codings))
        return
    status = ctx.text(res, "status", "DiagnosticReport.status")
    when = effective_date(res)
    if status not in _FINAL or when is None or when > b.today:
        why = f"status {status}" if status not in _FINAL else "no date" if when is None else "dated later"
        b.report.note("skipped", "DiagnosticReport", e.rid, f"{e.path}.status", "DiagnosticReport.status",
                      f"imaging report skipped: {why}")
        return
    codes = [{"code": m.maps_to["finding"]} for m in findings]
    src = Source(e, "DiagnosticReport.conclusionCode")
    if linked:
        study = b.imaging[linked[0]][0]
        study["findings"] = study.get("findings", []) + codes
        if codes:
            b.mapped(src, f"imaging[{linked[0]}].findings", "coded report conclusion")
        return
    if not procedure:
        b.report.note("not_mapped", "DiagnosticReport", e.rid, f"{e.path}.conclusionCode",
                      "DiagnosticReport.conclusionCode", "coded findings without a known imaging modality")
        return
    b.imaging.append(({"modality": procedure[0].maps_to["modality"], "date": when.isoformat(), "findings": codes},
                      src))
