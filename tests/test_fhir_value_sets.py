"""The pack's EHR value sets: real codes, valid targets, and matching that behaves."""

from __future__ import annotations

import warnings

import pytest

from revspine.errors import KnowledgeError
from revspine.fhir.codes import ICD10CM, CodeIndex, code_index
from revspine.knowledge.schema import ValueSet

with warnings.catch_warnings():  # the package reads its data with a deprecated importlib call
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10_cm as icd


def test_every_icd10cm_code_exists_in_the_fy2026_tabular(pack):
    bad = []
    for vs in pack.value_sets.values():
        if vs.system != ICD10CM:
            continue
        for c in vs.codes:
            if vs.match == "prefix" and len(c.code) == 1:  # a chapter letter: some valid code starts with it
                ok = any(code.startswith(c.code) for code in icd.get_all_codes(with_dots=True))
            else:
                ok = icd.is_valid_item(c.code)
            if not ok:
                bad.append(f"{vs.id}: {c.code}")
            elif vs.match == "exact" and not icd.is_leaf(c.code):
                bad.append(f"{vs.id}: {c.code} is a category; use match: prefix")
    assert bad == []


def test_index_builds_and_validates_targets(pack):
    idx = code_index(pack)
    assert idx is code_index(pack)  # cached
    bad = ValueSet(id="bad", label="x", system="http://snomed.info/sct", codes=[{"code": "1", "display": "x"}],
                   maps_to={"domain": "condition", "set": {"risk_factors.not_a_field": True}}, citations=["LOINC"])
    pack2 = type("P", (), {"value_sets": {"bad": bad}, "labs": {}})()
    with pytest.raises(KnowledgeError) as exc:
        CodeIndex(pack2)  # type: ignore[arg-type]
    assert "not_a_field" in str(exc.value)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("M51.36", {"icd_disc"}),  # the pre-FY2025 parent
        ("M51.362", {"icd_disc"}),  # and its FY2025 child
        ("M51.16", {"icd_disc", "icd_disc_radiculopathy_lumbar"}),
        ("M5116", {"icd_disc", "icd_disc_radiculopathy_lumbar"}),  # sent without the dot
        ("N18.32", {"icd_ckd_3"}),
        ("C50.911", {"icd_cancer"}),
        ("F17.211", {"icd_tobacco_former"}),
        ("F17.210", {"icd_tobacco_current"}),
        ("M96.1", {"icd_fbss"}),
        ("E66.813", set()),
    ],
)
def test_icd10cm_prefix_matching(pack, code, expected):
    assert {v.id for v in code_index(pack).match_code("condition", ICD10CM, code)} == expected


def test_oid_system_alias(pack):
    found = code_index(pack).match_code("condition", "urn:oid:2.16.840.1.113883.6.96", "27151001")
    assert [v.id for v in found] == ["sct_fbss"]


def test_opioid_factors_are_the_cdc_2022_table(pack):
    factors = {v.maps_to["ingredient"]: v.maps_to["mme_factor"] for v in pack.value_sets.values()
               if v.maps_to.get("class") == "opioid" and "mme_factor" in v.maps_to}
    assert factors == {"codeine": 0.15, "fentanyl": 2.4, "hydrocodone": 1.0, "hydromorphone": 5.0, "methadone": 4.7,
                       "morphine": 1.0, "oxycodone": 1.5, "oxymorphone": 3.0, "tapentadol": 0.4, "tramadol": 0.2}
    for v in pack.value_sets.values():
        if v.maps_to.get("class") == "opioid":
            assert "CDCOpioid2022" in v.citations


def test_beta_lactam_text_match(pack):
    idx = code_index(pack)
    assert idx.match_text("allergy", "Allergy to cefazolin")
    assert idx.match_text("allergy", "Amoxicillin")
    assert not idx.match_text("allergy", "Sulfamethoxazole / Trimethoprim")
    assert not idx.match_text("allergy", "Aspirin")
