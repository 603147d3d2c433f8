"""A hand-built FHIR R4 Bundle of a patient evaluated for revision surgery (used by the FHIR and CDS tests)."""

from __future__ import annotations

from typing import Any

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
PID = "fbss-1"
SUBJ = {"reference": f"Patient/{PID}"}


def _cc(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"system": system, "code": code}
    if display:
        c["display"] = display
    out: dict[str, Any] = {"coding": [c]}
    if text:
        out["text"] = text
    return out


def condition(cid: str, system: str, code: str, onset: str = "2025-11-01", status: str = "active",
              verification: str = "confirmed") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": SUBJ, "code": _cc(system, code),
            "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", status),
            "verificationStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification),
            "onsetDateTime": onset}


def lab(oid: str, loinc: str, value: float, unit: str, when: str = "2026-09-01") -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "subject": SUBJ, "code": _cc(LNC, loinc),
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}


def med_request(mid: str, code: str, display: str, per_day: int, status: str = "active",
                dose: float = 1) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order", "subject": SUBJ,
            "medicationCodeableConcept": _cc(RX, code, display), "authoredOn": "2026-08-01",
            "dosageInstruction": [{"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                                   "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "tablet",
                                                                     "system": UCUM, "code": "{tbl}"}}]}]}


def fbss_resources() -> list[dict[str, Any]]:
    return [
        {"resourceType": "Patient", "id": PID, "gender": "female", "birthDate": "1968-03-14"},
        condition("dx-fbss", ICD, "M96.1"),
        condition("dx-clbp", SCT, "278860009", onset="2025-10-01"),
        condition("dx-dm", ICD, "E11.9", onset="2015-01-01"),
        condition("dx-smoke", ICD, "F17.210", onset="2000-01-01"),
        condition("dx-ckd", ICD, "N18.32", onset="2020-01-01"),
        condition("dx-pcn", ICD, "Z88.0", onset="1990-01-01"),
        condition("dx-osteo-refuted", SCT, "64859006", verification="refuted"),
        condition("dx-flu", SCT, "6142004", onset="2024-01-01", status="resolved"),
        {"resourceType": "Procedure", "id": "op-1", "status": "completed", "subject": SUBJ,
         "code": _cc(CPT, "22633"), "performedDateTime": "2025-06-10T08:00:00Z",
         "bodySite": [{"coding": [{"system": SCT, "code": "122496007", "display": "Lumbar spine structure"}],
                       "text": "L4-L5"}],
         "focalDevice": [{"manipulated": {"display": "pedicle screws"}}]},
        lab("lab-crp", "1988-5", 12, "mg/L"),
        lab("lab-esr", "4537-7", 35, "mm/h"),
        lab("lab-a1c", "4548-4", 8.1, "%"),
        lab("lab-alb", "1751-7", 32, "g/L"),
        lab("vs-h", "8302-2", 165, "cm"),
        lab("vs-w", "29463-7", 82, "kg"),
        lab("vs-w-old", "29463-7", 90, "kg", when="2024-01-01"),
        lab("q-phq9", "44261-6", 12, "{score}"),
        lab("q-gad7", "70274-6", 6, "{score}"),
        lab("q-nrs", "72514-3", 7, "{score}"),
        {"resourceType": "Observation", "id": "sh-smoke", "status": "final", "subject": SUBJ,
         "code": _cc(LNC, "72166-2"), "effectiveDateTime": "2026-09-01",
         "valueCodeableConcept": _cc(LNC, "LA18976-3", "Current every day smoker")},
        med_request("rx-oxy", "1049621", "Oxycodone Hydrochloride 5 MG Oral Tablet", 6),
        med_request("rx-hc", "857001", "Acetaminophen 325 MG / Hydrocodone Bitartrate 10 MG Oral Tablet", 4),
        med_request("rx-oxy-old", "1049621", "Oxycodone Hydrochloride 5 MG Oral Tablet", 6, status="stopped"),
        {"resourceType": "MedicationStatement", "id": "ms-warf", "status": "active", "subject": SUBJ,
         "medicationCodeableConcept": _cc(RX, "855332", "Warfarin Sodium 5 MG Oral Tablet")},
        {"resourceType": "AllergyIntolerance", "id": "al-amox", "patient": SUBJ,
         "code": {"text": "Amoxicillin"}, "recordedDate": "2010-05-01"},
        {"resourceType": "ImagingStudy", "id": "mri-1", "status": "available", "subject": SUBJ,
         "started": "2026-08-15", "series": [{"uid": "1.2.3", "modality": {"system":
                                              "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"},
                                              "bodySite": {"system": SCT, "code": "122496007"}}]},
        {"resourceType": "DiagnosticReport", "id": "mri-report", "status": "final", "subject": SUBJ,
         "code": {"text": "MR lumbar spine report"}, "effectiveDateTime": "2026-08-15",
         "imagingStudy": [{"reference": "ImagingStudy/mri-1"}],
         "conclusionCode": [_cc(SCT, "26538006")]},
        {"resourceType": "Encounter", "id": "enc-1", "status": "finished", "subject": SUBJ},
    ]


def fbss_bundle(kind: str = "collection") -> dict[str, Any]:
    entries = []
    for r in fbss_resources():
        e: dict[str, Any] = {"fullUrl": f"http://ehr.example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
        if kind == "transaction":
            e["request"] = {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}
        entries.append(e)
    return {"resourceType": "Bundle", "id": "fbss-example", "type": kind, "entry": entries}
