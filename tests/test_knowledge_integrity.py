"""The knowledge pack is whole: cited, used, strict about its files, and overridable.

These tests read the pack independently of the loader's own cross-checks, so a bug in
those checks (as there was: evidence in lists was never checked) shows up here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from revspine import KnowledgeError, assess, load_pack, parse_case
from revspine.knowledge import KnowledgePack, schema
from revspine.knowledge.loader import builtin_pack_dir

CITATION_KEYS = {"citations", "threshold_citations", "normal_caveat_citations"}

# Findings that no cause, rule or flag weighs, and why. Anything else unused fails the test.
UNUSED_ON_PURPOSE = {
    "pars_block_positive": "Pars-block criteria and accuracy were not found (clinical-diagnosis.md 7.4); "
    "defined so a hospital's local pack can weigh it.",
    # Lab patterns for the ranking (causes/infection.yaml) to weigh; each finding's note says how.
    "crp_raised_indeterminate": "One CRP in the tail of its course is compatible with it (20% still raised at "
    "day 28 after instrumented fusion): read, not weighed, until a repeat shows the trend.",
}

# Findings for the fields of case model v2. A rule may weigh them (red flags, causes); until one does,
# the codes they read are listed in the assessment under "recorded, not weighed" (Assessment.unweighed),
# never silently dropped. tests/test_unweighed.py checks that.
CASE_V2_FINDINGS = {
    "allodynia", "anticoagulant_use", "antiplatelet_use", "c5_palsy_pattern", "cervical_anterior_surgery",
    "cervical_surgery", "compressive_lesion", "cord_compression", "cord_signal_change", "csf_leak_imaging",
    "culture_positive_multiple", "culture_positive_virulent", "culture_single_low_virulence", "equivocal_fusion",
    "fortin_positive", "gait_ataxia", "hematoma_absent_mri", "hoffmann_sign", "hyperreflexia", "incidental_durotomy",
    "incisional_pain", "medial_breach", "meningism_exam", "mjoa_moderate_severe", "mjoa_myelopathy",
    "motor_deficit_new", "neck_swelling", "nicotine_replacement", "non_anatomic_sensory_loss", "prevertebral_swelling",
    "prior_vte", "severe_stenosis", "spo2_low", "stridor", "sx_airway", "sx_dysphagia", "sx_fatigue",
    "sx_fever_denied", "sx_gait_disturbance", "sx_hand_clumsiness", "sx_hoarseness", "sx_mechanical_pain",
    "sx_meningism", "sx_numbness", "sx_sleep_disturbance", "sx_stooped_posture", "sx_weakness", "thrombophilia",
    "within_21_days", "within_2_days", "wound_clear_drainage",
}

REQUIRED_CAUSES = {
    "pseudarthrosis", "hardware_failure", "recurrent_disc_herniation", "epidural_fibrosis",
    "adjacent_segment_disease", "recurrent_stenosis", "infection", "instability", "sagittal_imbalance",
    "si_joint_pain", "facet_pain", "discogenic_pain", "neuropathic_pain", "dural_tear", "hematoma", "wrong_level",
}
REQUIRED_MIMICS = {"hip_disease", "peripheral_neuropathy", "vascular_claudication", "malignancy", "widespread_pain"}
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def models(obj: Any, where: str) -> Iterator[tuple[str, BaseModel]]:
    """Every pydantic model inside obj, with a readable location."""
    if isinstance(obj, BaseModel):
        yield where, obj
        for name in type(obj).model_fields:
            yield from models(getattr(obj, name), f"{where}.{name}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from models(v, f"{where}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from models(v, f"{where}[{i}]")


def all_models(pack: KnowledgePack) -> Iterator[tuple[str, BaseModel]]:
    for name, body in pack.sections.items():
        if name != "citations":
            yield from models(body, name)


def used_findings(pack: KnowledgePack) -> set[str]:
    used: set[str] = set()
    for _, m in all_models(pack):
        if isinstance(m, schema.Condition):
            used.update(m.finding_ids())
        elif isinstance(m, schema.Evidence):
            used.add(m.finding)
        elif isinstance(m, schema.Absence):
            used.update(filter(None, [m.finding, *m.unless]))
    return used


# -- citations ------------------------------------------------------------------------------------


def test_every_clinical_entry_names_citations_that_exist(pack):
    missing, empty = [], []
    for where, m in all_models(pack):
        for key in CITATION_KEYS & set(type(m).model_fields):
            ids = getattr(m, key)
            missing += [f"{where}.{key}: {cid}" for cid in ids if cid not in pack.citations]
            if key == "citations" and not ids and not isinstance(m, schema.UnitConversion):
                empty.append(where)
    assert not missing, f"citations not in the registry: {missing}"
    assert not empty, f"entries with clinical content but no citation: {empty}"


def test_every_threshold_and_kinetic_is_cited(pack):
    for test, rule in pack.labs.items():
        if rule.upper_threshold is not None or rule.lower_threshold is not None:
            assert rule.threshold_citations, test
        for k in rule.kinetics:
            assert k.citations, test
        for conv in rule.conversions:
            if conv.offset or test in {"hba1c", "vitamin_d"}:
                assert conv.citations, f"{test} {conv.unit}: a non-trivial conversion needs its source"


def test_every_citation_in_the_registry_is_used(pack):
    used: set[str] = set()
    for _, m in all_models(pack):
        for key in CITATION_KEYS & set(type(m).model_fields):
            used.update(getattr(m, key))
    unused = sorted(set(pack.citations) - used)
    assert not unused, f"citations nobody cites (remove them or cite them): {unused}"


def test_citations_have_a_source_and_a_way_to_find_them(pack):
    for cid, c in pack.citations.items():
        assert c.title and c.source, cid
        if "shared/seeds" in c.source:
            continue  # the project's own source documents
        assert c.url or c.doi or c.pmid or c.year, f"{cid}: give a url, doi, pmid or year"


# -- findings and causes ----------------------------------------------------------------------------------


def test_every_finding_is_used_or_documented(pack):
    unused = set(pack.findings) - used_findings(pack)
    undocumented = sorted(unused - set(UNUSED_ON_PURPOSE) - CASE_V2_FINDINGS)
    assert not undocumented, f"findings no cause, rule or flag uses: {undocumented}"
    stale = sorted(set(UNUSED_ON_PURPOSE) - unused)
    assert not stale, f"UNUSED_ON_PURPOSE lists findings that are now used: {stale}"


def test_every_referenced_finding_exists(pack):
    assert used_findings(pack) <= set(pack.findings)


def test_the_issue_causes_and_mimics_exist(pack):
    assert {c for c, v in pack.causes.items() if v.kind == "cause"} >= REQUIRED_CAUSES
    assert {c for c, v in pack.causes.items() if v.kind == "mimic"} >= REQUIRED_MIMICS


def test_causes_have_codes_priors_and_evidence_kinds(pack):
    for cid, c in pack.causes.items():
        assert c.icd10cm and all(ICD10CM.match(code.code) for code in c.icd10cm), cid
        assert 0 < c.prior.value < 1, cid
        if not c.prior.published:
            assert "no" in c.prior.basis.lower(), f"{cid}: an unpublished prior must say so in its basis"
        for ev in c.evidence:
            assert (ev.kind == "likelihood_ratio") == (ev.lr is not None), f"{cid}.{ev.finding}"


def test_decision_rules_are_ordered_and_end_with_otherwise(pack):
    rules = sorted(pack.decision_rules.values(), key=lambda r: r.order)
    assert len({r.order for r in rules}) == len(rules), "two decision rules share an order"
    assert rules[0].predicate == "red_flag", "red flags decide first"
    assert rules[-1].predicate == "otherwise"


def test_workup_test_ids_of_the_issue_exist(pack):
    required = {
        "ct", "mri", "mri_contrast", "ct_myelogram", "xray", "flexion_extension_xray", "standing_full_length_xray",
        "esr_crp", "nutrition_labs", "hba1c", "cotinine", "vitamin_d", "dexa", "emg_ncv", "nerve_root_block",
        "medial_branch_block", "si_joint_block", "biopsy_culture", "hip_imaging", "ankle_brachial_index",
    }
    assert required <= set(pack.workup_tests)


# -- the loader is strict ------------------------------------------------------------------------------------


def builtin_yaml(rel: str) -> dict[str, Any]:
    return yaml.safe_load((builtin_pack_dir() / rel).read_text(encoding="utf-8"))


def write(root: Path, rel: str, data: Any) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def problems_of(local: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as exc:
        load_pack([local])
    assert exc.value.exit_code == 3
    return [p.line() for p in exc.value.problems]


def test_unknown_key_is_rejected_naming_file_and_entry(tmp_path):
    cause = builtin_yaml("causes/facet_pain.yaml")
    cause["cause"]["priority_score"] = 7
    write(tmp_path, "causes/facet_pain.yaml", cause)
    (line,) = problems_of(tmp_path)
    assert "causes/facet_pain.yaml" in line and "causes[facet_pain]" in line and "priority_score" in line
    assert "unknown key" in line


def test_unknown_key_inside_a_nested_entry_is_rejected(tmp_path):
    cause = builtin_yaml("causes/facet_pain.yaml")
    cause["cause"]["evidence"][0]["likelihood"] = 3
    write(tmp_path, "causes/facet_pain.yaml", cause)
    (line,) = problems_of(tmp_path)
    assert "causes[facet_pain].evidence.0.likelihood" in line


def test_unknown_section_is_rejected(tmp_path):
    write(tmp_path, "extra.yaml", {"cuases": []})
    (line,) = problems_of(tmp_path)
    assert "extra.yaml:cuases" in line and "unknown section" in line


def test_evidence_naming_an_unknown_finding_is_rejected(tmp_path):
    cause = builtin_yaml("causes/facet_pain.yaml")
    cause["cause"]["evidence"][0]["finding"] = "mbb_positive_controled"
    write(tmp_path, "causes/facet_pain.yaml", cause)
    assert any("causes[facet_pain]" in p and "mbb_positive_controled" in p for p in problems_of(tmp_path))


def test_citing_an_unknown_source_is_rejected(tmp_path):
    write(tmp_path, "red_flags.yaml", {"red_flags": [{
        "id": "local_flag", "label": "x", "when": {"any": ["fever_measured"]}, "urgency": "urgent",
        "action": "x", "citations": ["NoSuchPaper2099"]}]})
    assert any("red_flags[local_flag]" in p and "NoSuchPaper2099" in p for p in problems_of(tmp_path))


def test_timing_windows_with_a_gap_are_rejected(tmp_path):
    timing = builtin_yaml("timing.yaml")
    timing["timing"]["windows"][1]["start_day"] = 30
    write(tmp_path, "timing.yaml", timing)
    assert any("timing" in p and "must start the day after" in p for p in problems_of(tmp_path))


def test_invalid_yaml_names_the_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("causes: [\n", encoding="utf-8")
    assert any(p.startswith(f"{tmp_path.name}/broken.yaml") and "not valid YAML" in p for p in problems_of(tmp_path))


# -- a hospital's local pack ------------------------------------------------------------------------------


@pytest.fixture
def hospital_pack(tmp_path) -> Path:
    write(tmp_path, "pack.yaml", {"pack": {
        "id": "hospital-x", "name": "Hospital X local pack", "version": "2026.1", "released": "2026-11-01",
        "description": "Local CRP threshold and one local cause", "based_on": "revspine-core"}})
    markers = builtin_yaml("labs/infection_markers.yaml")
    crp = next(e for e in markers["labs"] if e["test"] == "crp")
    crp["upper_threshold"] = 5
    write(tmp_path, "labs/crp.yaml", {"labs": [crp]})
    write(tmp_path, "causes/synovial_cyst.yaml", {"cause": {
        "id": "synovial_cyst", "label": "Facet synovial cyst", "kind": "cause", "category": "biomechanical",
        "description": "A juxtafacet cyst compressing a root at or next to the operated level.",
        "icd10cm": [{"code": "M71.38", "display": "Other bursal cyst, other site"}],
        "prior": {"value": 0.02, "basis": "Local audit figure", "citations": ["Malhotra2015"]},
        "evidence": [{"finding": "facet_effusion", "kind": "ordinal", "weight": 2, "citations": ["Sielatycki2022"],
                      "reason": "Facet effusion goes with synovial cysts"}],
        "correctable_by_surgery": "yes", "workup": ["mri"], "citations": ["Malhotra2015"]}})
    return tmp_path


def test_local_pack_overrides_a_threshold_and_adds_a_cause(hospital_pack):
    pack = load_pack([hospital_pack])
    assert pack.labs["crp"].upper_threshold == 5
    assert "synovial_cyst" in pack.causes and "labs:crp" in pack.overridden
    case = {
        "assessment_date": "2026-11-01",
        "surgeries": [{"procedure": "laminectomy", "region": "lumbar", "levels": ["L4-L5"], "date": "2024-01-10"}],
        "imaging": [{"modality": "mri", "date": "2026-10-01",
                     "findings": [{"code": "facet_effusion", "level": "L4-L5"}]}],
        "labs": [{"test": "crp", "value": 7, "unit": "mg/L", "date": "2026-10-01"}],
    }
    a = assess(parse_case(case, pack, today=date(2026, 11, 22)), pack)
    assert a.versions.knowledge == f"{load_pack().version}+hospital-x.2026.1"
    assert a.versions.knowledge_sources == [f"revspine-core@{load_pack().version}", "hospital-x@2026.1"]
    (crp,) = a.labs
    assert (crp.status, crp.threshold) == ("raised_beyond_expected", 5)
    cyst = next(c for c in a.differential if c.cause == "synovial_cyst")
    assert [e.finding for e in cyst.supporting] == ["facet_effusion"]
    builtin = assess(parse_case(case, load_pack(), today=date(2026, 11, 22)), load_pack())
    assert builtin.labs[0].status == "normal", "without the local pack 7 mg/L is below the threshold"


def test_local_pack_goes_through_the_same_checks(hospital_pack):
    cyst = yaml.safe_load((hospital_pack / "causes/synovial_cyst.yaml").read_text())
    cyst["cause"]["workup"] = ["pet_ct"]
    write(hospital_pack, "causes/synovial_cyst.yaml", cyst)
    assert any("causes[synovial_cyst]" in p and "pet_ct" in p for p in problems_of(hospital_pack))
