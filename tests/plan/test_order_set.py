"""Order set: each patient gets what the cited guideline says (Bratzler 2013 and the items' sources)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir.resources.R4B.requestgroup import RequestGroup

from revspine import load_pack
from revspine.plan import build_order_set, order_set_to_fhir

from .cases import case


def lines(order_set):
    return {line.item: line for line in order_set.lines}


@pytest.mark.parametrize(("weight", "grams"), [(70, 2), (119.9, 2), (120, 3), (130, 3)])
def test_cefazolin_dose_by_weight(pack, weight, grams):
    o = build_order_set(case(pack, patient={"weight_kg": weight}), pack)
    cef = lines(o)["abx_cefazolin"]
    assert cef.dose_amount == grams and cef.dose_unit == "g" and cef.route == "IV"
    assert cef.rxnorm == "2180"
    assert "60 minutes before incision" in cef.timing
    assert "Every 4 hours" in cef.redosing and "1500 mL" in cef.redosing
    assert "24 hours" in cef.duration
    assert "Bratzler2013" in cef.citations


def test_130_kg_patient_gets_3_g_and_the_arithmetic(pack):
    o = build_order_set(case(pack, patient={"weight_kg": 130}), pack)
    assert lines(o)["abx_cefazolin"].dose_text == "3 g IV (weight 130 kg, at or above 120 kg)"


def test_unknown_weight_is_flagged_not_guessed(pack):
    c = case(pack)
    c.patient.weight_kg = None
    c.patient.bmi = None
    o = build_order_set(c, pack)
    cef = lines(o)["abx_cefazolin"]
    assert cef.dose_amount is None and "weight not recorded" in cef.dose_text
    assert any("weight" in w for w in o.warnings)


def test_beta_lactam_allergy_vancomycin_or_clindamycin(pack):
    o = build_order_set(case(pack, patient={"weight_kg": 70}, risk_factors={"beta_lactam_allergy": True}), pack)
    got = lines(o)
    assert "abx_cefazolin" not in got
    vanc, clinda = got["abx_vancomycin_allergy"], got["abx_clindamycin_allergy"]
    assert vanc.dose_amount == 1050 and vanc.dose_text == "15 mg/kg x 70 kg = 1050 mg IV"
    assert "120 minutes" in vanc.timing
    assert clinda.dose_amount == 900 and clinda.dose_unit == "mg"
    assert "6 hours" in clinda.redosing
    assert vanc.choose_one_of == clinda.choose_one_of == "beta_lactam_alternative"
    assert vanc.inputs == ["risk_factors.beta_lactam_allergy = True"]
    assert any("Cefazolin" in n and "no Beta-lactam allergy" in n for n in o.not_applicable)


def test_mrsa_colonisation_adds_vancomycin_to_cefazolin(pack):
    o = build_order_set(case(pack, patient={"weight_kg": 90}, risk_factors={"mrsa_colonised": True}), pack)
    got = lines(o)
    assert got["abx_cefazolin"].dose_amount == 2
    vanc = got["abx_vancomycin_mrsa"]
    assert vanc.dose_amount == 1350 and vanc.reason == "MRSA colonisation recorded"
    assert "abx_clindamycin_allergy" not in got


def test_allergy_and_mrsa_together_warn(pack):
    o = build_order_set(
        case(pack, risk_factors={"mrsa_colonised": True, "beta_lactam_allergy": True}), pack
    )
    assert "abx_vancomycin_mrsa" not in lines(o)
    assert any("MRSA" in w and "clindamycin" in w for w in o.warnings)


@pytest.mark.parametrize(
    "lab",
    [
        {"test": "albumin", "value": 3.2, "unit": "g/dL"},
        {"test": "albumin", "value": 30, "unit": "g/L"},
        {"test": "prealbumin", "value": 15, "unit": "mg/dL"},
        {"test": "transferrin", "value": 180, "unit": "mg/dL"},
    ],
)
def test_malnourished_patient_gets_nutrition_support(pack, lab):
    o = build_order_set(case(pack, labs=[{**lab, "date": "2026-09-01"}]), pack)
    item = lines(o)["nutrition_support"]
    assert "supplement" in item.instruction
    assert {"CNSNutrition2021", "AtharFBSS"} <= set(item.citations)
    assert "insufficient" in item.evidence_gap


def test_well_nourished_patient_gets_no_nutrition_item(pack):
    labs = [{"test": "albumin", "value": 4.1, "unit": "g/dL", "date": "2026-09-01"}]
    o = build_order_set(case(pack, labs=labs), pack)
    assert "nutrition_support" not in lines(o)


def test_every_patient_gets_the_standing_items_with_their_evidence(pack):
    got = lines(build_order_set(case(pack), pack))
    assert "no benefit" in got["brace"].instruction and "BraceMeta2024" in got["brace"].citations
    assert "12 weeks" in got["physical_therapy"].instruction and "Oestergaard2012" in got["physical_therapy"].citations
    assert "NassVte2" in got["vte_mechanical"].citations
    assert "vte_chemical_consider" not in got  # BMI 25.7, no cancer, no deformity


def test_smoker_and_poor_bone(pack):
    got = lines(build_order_set(case(pack, risk_factors={"smoking": "current", "dexa_t_score": -2.8}), pack))
    assert "smoking_cessation" in got and "bone_treatment" in got
    assert "teriparatide" in got["bone_treatment"].instruction


def test_local_pack_overrides_and_switches_off_items(tmp_path: Path):
    (tmp_path / "orders.yaml").write_text(
        "order_items:\n"
        "  - {id: brace, order: 60, category: bracing, title: Brace, enabled: false, instruction: x, evidence: x,"
        " citations: [BraceMeta2024]}\n"
        "  - id: abx_cefazolin\n    order: 10\n    category: antibiotic_prophylaxis\n"
        "    title: Cefuroxime (local formulary)\n"
        "    when: {none: [beta_lactam_allergy]}\n    medication: cefuroxime\n"
        "    dose: {amount: 1.5, unit: g, route: IV}\n    timing: within 60 minutes\n    instruction: local\n"
        "    evidence: Bratzler Table 1 cefuroxime 1.5 g\n    citations: [Bratzler2013]\n",
        encoding="utf-8",
    )
    pack = load_pack([tmp_path])
    assert "order_items:abx_cefazolin" in pack.overridden
    o = build_order_set(case(pack), pack)
    got = lines(o)
    assert got["abx_cefazolin"].medication == "cefuroxime" and got["abx_cefazolin"].dose_amount == 1.5
    assert "brace" not in got and any("switched off" in n for n in o.not_applicable)


def test_fhir_request_group_validates(pack):
    o = build_order_set(case(pack, patient={"weight_kg": 130}, risk_factors={"beta_lactam_allergy": True}), pack)
    bare = order_set_to_fhir(o)
    RequestGroup.model_validate(bare)
    assert bare["status"] == "draft" and bare["intent"] == "proposal" and "subject" not in bare
    abx = next(a for a in bare["action"] if a["id"] == "antibiotic_prophylaxis")
    choice = abx["action"][0]
    assert choice["selectionBehavior"] == "exactly-one" and len(choice["action"]) == 2
    with_patient = order_set_to_fhir(o, patient_reference="Patient/example")
    rg = RequestGroup.model_validate(with_patient)
    assert rg.subject.reference == "Patient/example"
    meds = [c for c in with_patient["contained"] if c["resourceType"] == "MedicationRequest"]
    vanc = next(m for m in meds if m["medicationCodeableConcept"]["text"] == "vancomycin")
    dose = vanc["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose == {"value": 1950.0, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
