"""One patient's OMOP rows -> a FHIR R4 Bundle -> the FHIR reader's Case -> the engine.

The screen does not map codes itself: each OMOP row becomes the FHIR resource it stands for (a Condition,
Procedure, Observation or MedicationRequest with its codings), and the same reader that maps a hospital's
FHIR data builds the case, so a patient gets the same answer from the worklist as from the EHR.
``assess_group`` is the function Spark runs inside its executors (``applyInPandas``) and DuckDB runs locally.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

__all__ = ["CASE_ROWS_COLUMNS", "RESULT_COLUMNS", "case_rows_sql", "bundle_of", "assess_rows", "assess_group",
           "missing_fields"]

_SYSTEM = {
    "SNOMED": "http://snomed.info/sct", "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "CPT4": "http://www.ama-assn.org/go/cpt", "LOINC": "http://loinc.org",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm", "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
}
_GENDER = {8507: "male", 8532: "female"}

CASE_ROWS_COLUMNS = ("person_id", "kind", "row_id", "event_date", "end_date", "vocab1", "code1", "name1", "vocab2",
                     "code2", "name2", "source_value", "value", "unit", "days", "birth_year", "birth_month",
                     "birth_day", "gender")
RESULT_COLUMNS = ("person_id", "engine_lead", "engine_lead_label", "engine_decision", "engine_decision_summary",
                  "engine_red_flags", "case_missing", "engine_error", "case_bundle")


def case_rows_sql(present: set[str]) -> str:
    """A long table of every row of the selected persons (``sc_top``), with both codings when a vocabulary is there."""
    vocab = "concept" in present
    parts = []
    spec = [
        ("condition", "condition_occurrence", "condition_occurrence_id", "condition_start_date", "CAST(NULL AS DATE)",
         "condition_concept_id", "condition_source_concept_id", "condition_source_value", "NULL", "NULL", "NULL"),
        ("procedure", "procedure_occurrence", "procedure_occurrence_id", "procedure_date", "CAST(NULL AS DATE)",
         "procedure_concept_id", "procedure_source_concept_id", "procedure_source_value", "NULL", "NULL", "NULL"),
        ("measurement", "measurement", "measurement_id", "measurement_date", "CAST(NULL AS DATE)",
         "measurement_concept_id", "measurement_source_concept_id", "measurement_source_value", "value_as_number",
         "unit_source_value", "NULL"),
        ("observation", "observation", "observation_id", "observation_date", "CAST(NULL AS DATE)",
         "observation_concept_id", "observation_source_concept_id", "observation_source_value", "value_as_number",
         "unit_source_value", "NULL"),
        ("drug", "drug_exposure", "drug_exposure_id", "drug_exposure_start_date", "drug_exposure_end_date",
         "drug_concept_id", "drug_source_concept_id", "drug_source_value", "quantity", "NULL", "days_supply"),
    ]
    for kind, table, rid, d, end, cid, scid, sv, value, unit, days in spec:
        if table not in present:
            continue
        c1, c2 = (("c1.vocabulary_id AS vocab1, c1.concept_code AS code1, c1.concept_name AS name1",
                   "c2.vocabulary_id AS vocab2, c2.concept_code AS code2, c2.concept_name AS name2") if vocab else
                  ("NULL AS vocab1, NULL AS code1, NULL AS name1", "NULL AS vocab2, NULL AS code2, NULL AS name2"))
        joins = (f" LEFT JOIN stg_concept c1 ON c1.concept_id = x.{scid} AND x.{scid} <> 0"
                 f" LEFT JOIN stg_concept c2 ON c2.concept_id = x.{cid} AND x.{cid} <> 0") if vocab else ""
        parts.append(
            f"SELECT x.person_id, '{kind}' AS kind, CAST(x.{rid} AS VARCHAR) AS row_id, x.{d} AS event_date, "
            f"{end} AS end_date, {c1}, {c2}, "
            f"x.{sv} AS source_value, CAST({value} AS DOUBLE) AS value, CAST({unit} AS VARCHAR) AS unit, "
            f"CAST({days} AS INTEGER) AS days, CAST(NULL AS INTEGER) AS birth_year, "
            "CAST(NULL AS INTEGER) AS birth_month, CAST(NULL AS INTEGER) AS birth_day, CAST(NULL AS BIGINT) AS gender "
            f"FROM stg_{table} x{joins} WHERE x.person_id IN (SELECT person_id FROM sc_top)")
    parts.append(
        "SELECT person_id, 'person' AS kind, CAST(person_id AS VARCHAR) AS row_id, CAST(NULL AS DATE) AS event_date, "
        "CAST(NULL AS DATE) AS end_date, NULL AS vocab1, NULL AS code1, NULL AS name1, NULL AS vocab2, NULL AS code2, "
        "NULL AS name2, NULL AS source_value, CAST(NULL AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS unit, "
        "CAST(NULL AS INTEGER) AS days, year_of_birth AS birth_year, month_of_birth AS birth_month, "
        "day_of_birth AS birth_day, gender_concept_id AS gender FROM stg_person "
        "WHERE person_id IN (SELECT person_id FROM sc_top)")
    cast = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" if c in ("vocab1", "code1", "name1", "vocab2", "code2", "name2",
                                                           "source_value") else c for c in CASE_ROWS_COLUMNS)
    return f"SELECT {cast} FROM (" + " UNION ALL ".join(parts) + ") u"


def _guess_system(kind: str, code: str) -> str | None:
    """System of a bare source value (no vocabulary tables): by its shape, reported as an assumption."""
    if re.fullmatch(r"\d{1,7}-\d", code):
        return _SYSTEM["LOINC"]
    if re.fullmatch(r"[A-TV-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?", code, flags=re.I) and kind == "condition":
        c = code.upper()
        return _SYSTEM["ICD10CM"] if "." in c or len(c) <= 3 else _SYSTEM["ICD10CM"]
    if kind == "procedure" and re.fullmatch(r"\d{5}", code):
        return _SYSTEM["CPT4"]
    if kind == "procedure" and re.fullmatch(r"[0-9A-HJ-NP-Z]{7}", code, flags=re.I):
        return _SYSTEM["ICD10PCS"]
    if kind == "drug" and re.fullmatch(r"\d{2,8}", code):
        return _SYSTEM["RxNorm"]
    if re.fullmatch(r"\d{6,18}", code):
        return _SYSTEM["SNOMED"]
    return None


def _icd_dot(system: str, code: str) -> str:
    if system == _SYSTEM["ICD10CM"] and "." not in code and len(code) > 3:
        return f"{code[:3]}.{code[3:]}"
    return code


def _codings(kind: str, r: dict[str, Any]) -> tuple[list[dict[str, str]], str | None]:
    out: list[dict[str, str]] = []
    for v, c, n in ((r.get("vocab1"), r.get("code1"), r.get("name1")), (r.get("vocab2"), r.get("code2"),
                                                                        r.get("name2"))):
        if v and c and v in _SYSTEM:
            out.append({"system": _SYSTEM[v], "code": _icd_dot(_SYSTEM[v], c), **({"display": n} if n else {})})
    sv = (r.get("source_value") or "").strip()
    if not out and sv:
        system = _guess_system(kind, sv)
        if system:
            out.append({"system": system, "code": _icd_dot(system, sv)})
    text = r.get("name1") or r.get("name2") or (sv or None)
    return out, text


def _iso(d: Any) -> str | None:
    if d is None:
        return None
    if isinstance(d, str):
        return d[:10]
    try:
        return str(d.isoformat())[:10]
    except AttributeError:
        return None


def bundle_of(person_id: int, rows: Iterable[dict[str, Any]], today: date) -> dict[str, Any]:
    pref = f"Patient/p{person_id}"
    entries: list[dict[str, Any]] = []
    patient: dict[str, Any] = {"resourceType": "Patient", "id": f"p{person_id}"}
    for r in rows:
        kind = r["kind"]
        if kind == "person":
            y, m, d = r.get("birth_year"), r.get("birth_month"), r.get("birth_day")
            if y is not None and y == y:  # not NaN
                patient["birthDate"] = (f"{int(y):04d}-{int(m):02d}-{int(d):02d}" if m == m and d == d and m and d
                                        else f"{int(y):04d}")
            g = r.get("gender")
            if g is not None and g == g and int(g) in _GENDER:
                patient["gender"] = _GENDER[int(g)]
            continue
        codings, text = _codings(kind, r)
        code: dict[str, Any] = {"coding": codings}
        if text:
            code["text"] = text
        when = _iso(r.get("event_date"))
        rid = f"{kind}-{r['row_id']}"
        if kind == "condition":
            res: dict[str, Any] = {"resourceType": "Condition", "id": rid, "subject": {"reference": pref},
                                   "code": code, "clinicalStatus": {"coding": [{
                                       "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]}}
            if when:
                res["onsetDateTime"] = when
        elif kind == "procedure":
            res = {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": {"reference": pref},
                   "code": code}
            if when:
                res["performedDateTime"] = when
        elif kind in ("measurement", "observation"):
            res = {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": pref},
                   "code": code}
            if when:
                res["effectiveDateTime"] = when
            v = r.get("value")
            if v is not None and v == v:
                q: dict[str, Any] = {"value": float(v)}
                if r.get("unit"):
                    q["unit"] = r["unit"]
                    q["system"] = "http://unitsofmeasure.org"
                    q["code"] = r["unit"]
                res["valueQuantity"] = q
        else:  # drug
            end = _iso(r.get("end_date"))
            active = end is None or end >= today.isoformat()
            res = {"resourceType": "MedicationRequest", "id": rid, "status": "active" if active else "completed",
                   "intent": "order", "subject": {"reference": pref}, "medicationCodeableConcept": code}
            if when:
                res["authoredOn"] = when
        entries.append({"fullUrl": f"urn:revspine:{rid}", "resource": res})
    entries.insert(0, {"fullUrl": f"urn:revspine:{pref}", "resource": patient})
    return {"resourceType": "Bundle", "type": "collection", "id": f"omop-{person_id}", "entry": entries}


def missing_fields(case: Any) -> list[str]:
    """The case fields the engine uses most that OMOP rows did not fill."""
    out = []
    if not case.surgeries:
        out.append("surgeries (no spine operation mapped)")
    s = case.symptoms
    if not s.symptoms:
        out.append("symptoms")
    if s.onset_date is None and s.onset_days_after_surgery is None:
        out.append("symptoms.onset")
    if s.pain_free_interval is None:
        out.append("symptoms.pain_free_interval")
    if case.exam.motor_deficit is None and case.exam.reflexes is None:
        out.append("exam")
    if not case.imaging:
        out.append("imaging")
    if not case.labs:
        out.append("labs")
    if case.risk_factors.smoking is None:
        out.append("risk_factors.smoking")
    if case.surgeries and all(not sg.levels for sg in case.surgeries):
        out.append("surgeries.levels")
    return out


def assess_rows(person_id: int, rows: list[dict[str, Any]], today: date) -> dict[str, Any]:
    from ..fhir.reader import bundle_to_case
    from ..settings import configured_pack
    from ..workflow import assess_case

    pack = configured_pack()
    out: dict[str, Any] = {c: None for c in RESULT_COLUMNS}
    out["person_id"] = int(person_id)
    try:
        bundle = bundle_of(int(person_id), rows, today)
        # the FHIR bundle the case came from, kept so a clinician can open the patient's assessment from the worklist
        out["case_bundle"] = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
        case, _report = bundle_to_case(bundle, pack, today)
        case = case.model_copy(update={"assessment_date": today})
        a = assess_case(case, pack)
    except Exception as exc:  # one patient's bad data must not stop the worklist; the row says why
        out["engine_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return out
    lead = a.differential[0] if a.differential else None
    out["engine_lead"] = lead.cause if lead else None
    out["engine_lead_label"] = lead.label if lead else None
    out["engine_decision"] = a.decision.category
    out["engine_decision_summary"] = a.decision.summary
    out["engine_red_flags"] = "; ".join(f.label for f in a.red_flags)
    out["case_missing"] = "; ".join(missing_fields(case))
    return out


def _clean(r: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if (isinstance(v, float) and v != v) else v) for k, v in r.items()}


def _row_order(r: dict[str, Any]) -> tuple[str, str, str]:
    return str(r["kind"]), str(r.get("event_date")), str(r["row_id"])


def assess_group(pdf: Any, today: date) -> Any:
    """pandas DataFrame of the rows of one or more persons -> one row of RESULT_COLUMNS per person.

    Spark calls it once per bucket of persons (``applyInPandas``), not once per person: the per-call cost of the
    pandas and Arrow conversions is paid per batch."""
    import pandas as pd

    by: dict[int, list[dict[str, Any]]] = {}
    for r in pdf.to_dict("records"):
        by.setdefault(int(r["person_id"]), []).append(_clean(r))
    out = []
    for pid in sorted(by):
        rows = sorted(by[pid], key=_row_order)
        out.append(assess_rows(pid, rows, today))
    return pd.DataFrame(out, columns=list(RESULT_COLUMNS))
