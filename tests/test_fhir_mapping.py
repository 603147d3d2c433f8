"""What each FHIR resource becomes in the case (hand-built revision patient) and the MME arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from revspine.fhir import bundle_to_case
from revspine.fhir.codes import code_index
from revspine.fhir.map_clinical import levels_in
from revspine.fhir.map_medications import daily_mme, strength_of
from revspine.fhir.walk import Ctx, Entry, Problems
from revspine.pipeline import assess

from .conftest import TODAY
from .fhir_samples import fbss_bundle


@pytest.fixture(scope="module")
def mapped(pack):
    return bundle_to_case(fbss_bundle(), pack, today=TODAY)


def test_patient_and_vitals(mapped):
    case, report = mapped
    assert case.patient.sex.value == "female"
    assert case.patient.age == 58  # born 1968-03-14, assessed 2026-11-22
    assert case.patient.height_cm == 165 and case.patient.weight_kg == 82  # latest weight, not the 2024 one
    assert case.patient.bmi == round(82 / 1.65**2, 1)
    assert any(n.status == "skipped" and n.resource_id == "vs-w-old" and "superseded" in n.reason for n in report.notes)


def test_surgery_from_cpt_with_body_site_levels_and_device(mapped):
    case, report = mapped
    [s] = case.surgeries
    assert (s.procedure.value, s.region.value, s.levels, s.date) == ("tlif", "lumbar", ["L4-L5"], date(2025, 6, 10))
    assert s.instrumented is True
    assert any(n.status == "assumption" and n.resource_id == "op-1" for n in report.notes)


def test_conditions_to_risk_factors_and_symptoms(mapped):
    case, report = mapped
    rf = case.risk_factors
    assert rf.diabetes is True and rf.ckd_stage == 3 and rf.beta_lactam_allergy is True
    assert rf.smoking.value == "current"
    assert rf.osteoporosis is None  # refuted condition is skipped
    assert any(n.resource_id == "dx-osteo-refuted" and n.status == "skipped" for n in report.notes)
    assert {s.value for s in case.symptoms.symptoms} == {"back_pain"}
    assert report.has_tag("fbss") and report.has_tag("spine_surgery_history") and report.has_tag("pain")


def test_labs_in_canonical_units(mapped):
    case, _ = mapped
    labs = {lab.test.value: (lab.value, lab.unit) for lab in case.labs}
    assert labs["crp"] == (12, "mg/L")
    assert labs["albumin"] == (3.2, "g/dL")  # 32 g/L converted by the pack's rule
    assert labs["hba1c"] == (8.1, "%")


def test_questionnaires(mapped):
    case, report = mapped
    q = case.questionnaires
    assert (q.phq9, q.gad7, q.nrs_back) == (12, 6, 7)
    assert any(n.status == "assumption" and n.target == "questionnaires.nrs_back" for n in report.notes)


def test_medications_mme_anticoagulant_allergy(mapped):
    case, report = mapped
    # oxycodone 5 mg x 6/day x 1.5 = 45; hydrocodone 10 mg x 4/day x 1.0 = 40 (CDC 2022 factors)
    assert case.risk_factors.opioid_mme_per_day == 85
    assert case.risk_factors.anticoagulant_use is True
    assert any(n.resource_id == "rx-oxy-old" and n.status == "skipped" for n in report.notes)


def test_imaging_study_with_report_findings(mapped):
    case, _ = mapped
    [study] = case.imaging
    assert study.modality.value == "mri" and study.date == date(2026, 8, 15)
    assert [f.code.value for f in study.findings] == ["disc_degeneration"]


def test_mapped_case_assesses(mapped, pack):
    case, _ = mapped
    a = assess(case, pack)
    ids = {r.rule_id for r in a.risk_factors}
    assert {"rf_smoking", "rf_hba1c", "rf_opioids", "rf_depression"} <= ids


def _ctx() -> Ctx:
    return Ctx(Entry({}, "MedicationRequest", "x", "entry[0].resource"), Problems())


def _dosage(per_day: float, dose: float = 1, unit: str = "{tbl}") -> dict:
    return {"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": dose, "code": unit}}]}


def test_cdc_2022_worked_examples(pack):
    """The two worked examples under the CDC 2022 MME table."""
    idx = code_index(pack)
    hydro = idx.values("rx_hydrocodone")
    oxy = idx.values("rx_oxycodone")
    from revspine.fhir.codes import Match

    # hydrocodone 5 mg + acetaminophen 325 mg four times a day = 20 MME/day
    mme, _ = daily_mme(_ctx(), "Acetaminophen 325 MG / Hydrocodone Bitartrate 5 MG Oral Tablet",
                       Match(hydro, "", "", None, True), _dosage(4), "MedicationRequest")
    assert mme == 20
    # extended-release oxycodone 10 mg twice a day = 30 MME/day
    mme, _ = daily_mme(_ctx(), "12 HR Oxycodone Hydrochloride 10 MG Extended Release Oral Tablet",
                       Match(oxy, "", "", None, True), {"timing": {"repeat": {"frequency": 1, "period": 12,
                                                                              "periodUnit": "h"}},
                                                        "doseAndRate": [{"doseQuantity": {"value": 1}}]},
                       "MedicationRequest")
    assert mme == 30


def test_fentanyl_patch_and_missing_dose(pack):
    from revspine.fhir.codes import Match

    idx = code_index(pack)
    fent = Match(idx.values("rx_fentanyl_transdermal"), "", "", None, True)
    mme, _ = daily_mme(_ctx(), "72 HR Fentanyl 0.025 MG/HR Transdermal System", fent, None, "MedicationRequest")
    assert mme == 60  # 25 mcg/hr x 2.4
    mme, why = daily_mme(_ctx(), "Fentanyl 0.1 MG/ML Injectable Solution", fent, None, "MedicationRequest")
    assert mme is None and "transdermal" in why
    mme, why = daily_mme(_ctx(), "Oxycodone Hydrochloride 5 MG Oral Tablet",
                         Match(idx.values("rx_oxycodone"), "", "", None, True), None, "MedicationRequest")
    assert mme is None and "dosage" in why


def test_strength_parsing():
    assert strength_of("Acetaminophen 300 MG / HYDROcodone Bitartrate 5 MG [Vicodin]", "hydrocodone") == (5, "mg")
    assert strength_of("Acetaminophen / Hydrocodone", "hydrocodone") is None
    assert strength_of("Hydromorphone Hydrochloride 2 MG Oral Tablet", "morphine") is None  # whole word only


def test_level_parsing():
    assert levels_in("posterior fusion L4-5") == ["L4-L5"]
    assert levels_in("L3 to L5 decompression") == ["L3-L4", "L4-L5"]
    assert levels_in("L5/S1") == ["L5-S1"]
    assert levels_in("C5-C6 and C6-7") == ["C5-C6", "C6-C7"]
    assert levels_in("no levels here") == []


def test_topical_steroid_is_not_systemic(pack):
    idx = code_index(pack)
    assert not idx.match_text("medication", "Hydrocortisone 10 MG/ML Topical Cream")
    assert [v.id for v in idx.match_text("medication", "Prednisone 20 MG Oral Tablet")] == ["rx_systemic_steroid"]


@pytest.mark.parametrize(("cpt", "procedure", "approach"), [
    ("63050", "laminoplasty", "posterior"), ("63051", "laminoplasty", "posterior"),
    ("63081", "corpectomy", "anterior")])
def test_cervical_laminoplasty_and_corpectomy_from_cpt(pack, cpt, procedure, approach):
    bundle = fbss_bundle()
    [op] = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "op-1"]
    op["code"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": cpt}]}
    op["bodySite"] = [{"text": "C4-C5"}]
    case, _ = bundle_to_case(bundle, pack, today=TODAY)
    [s] = case.surgeries
    assert (s.procedure.value, s.region.value, s.approach.value if s.approach else None) == (
        procedure, "cervical", approach)


def test_a_lab_comparator_is_kept_not_dropped(pack):
    # valueQuantity.comparator "<" was ignored: a CRP reported "<5" became 5. "ad" (sufficient to achieve) is no bound.
    bundle = fbss_bundle()
    [crp] = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "lab-crp"]
    crp["valueQuantity"]["comparator"] = "<"
    crp["valueQuantity"]["value"] = 5
    case, _ = bundle_to_case(bundle, pack, today=TODAY)
    assert [(x.value, x.comparator) for x in case.labs if x.test.value == "crp"] == [(5, "<")]
    crp["valueQuantity"]["comparator"] = "ad"
    case, report = bundle_to_case(bundle, pack, today=TODAY)
    assert not [x for x in case.labs if x.test.value == "crp"]
    assert any(n.resource_id == "lab-crp" and n.status == "skipped" and "comparator" in n.reason for n in report.notes)


def test_active_teriparatide_is_anabolic_bone_treatment(pack):
    # CNS 2021 (Grade B): pre-operative teriparatide for osteoporosis before instrumentation: an active order
    # meets the bone-health target (rf_bone_treated), so the revision is not held for it.
    bundle = fbss_bundle()
    bundle["entry"].append({"fullUrl": "http://ehr.example.org/fhir/MedicationRequest/med-pth", "resource": {
        "resourceType": "MedicationRequest", "id": "med-pth", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/" + bundle["entry"][0]["resource"]["id"]},
        "medicationCodeableConcept": {"text": "Teriparatide 20 mcg subcutaneous injection daily"},
        "authoredOn": "2026-08-01"}})
    case, _ = bundle_to_case(bundle, pack, today=TODAY)
    assert case.risk_factors.bone_anabolic_treatment is True
    stopped = fbss_bundle()
    case2, _ = bundle_to_case(stopped, pack, today=TODAY)
    assert case2.risk_factors.bone_anabolic_treatment is None
