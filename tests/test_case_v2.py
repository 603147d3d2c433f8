"""Case model v2: the new codes and values, "not examined" versus "negative", inequality values,
errors that name the JSON path, and the FHIR mapping of what has a standard code."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from revspine.case import parse_case
from revspine.case.model import Case
from revspine.engine.conditions import evaluate_findings
from revspine.engine.facts import derive_facts
from revspine.errors import InputError
from revspine.fhir import bundle_to_case
from revspine.knowledge import KnowledgePack

from .conftest import TODAY
from .fhir_samples import fbss_resources, lab


def _case(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "assessment_date": "2026-11-20",
        "surgeries": [{"procedure": "tlif", "region": "lumbar", "levels": ["L4-L5"], "date": "2025-06-01",
                       "instrumented": True}],
    }
    base.update(extra)
    return base


def _hits(data: dict[str, Any], pack: KnowledgePack) -> dict[str, list[str] | None]:
    return evaluate_findings(derive_facts(parse_case(data, pack, today=TODAY)), pack)


def _problems(data: dict[str, Any], pack: KnowledgePack) -> dict[str, str]:
    with pytest.raises(InputError) as err:
        parse_case(data, pack, today=TODAY)
    return {p.path: p.message for p in err.value.problems}


def test_every_example_is_a_valid_version_1_case(examples: list[Path], pack: KnowledgePack) -> None:
    for path in examples:
        raw = json.loads(path.read_text())
        case = parse_case(raw, pack, today=date(2026, 12, 1))
        assert case.schema_version == raw.get("schema_version", "2")


def test_schema_versions_1_and_2_are_accepted_and_others_named(pack: KnowledgePack) -> None:
    assert parse_case(_case(schema_version="1"), pack, today=TODAY).schema_version == "1"
    assert parse_case(_case(), pack, today=TODAY).schema_version == "2"
    assert "schema_version" in _problems(_case(schema_version="3"), pack)


def test_bad_v2_values_name_their_json_path(pack: KnowledgePack) -> None:
    bad = _case(
        symptoms={"symptoms": ["fever", "dysphagia"], "denied": ["fever"]},
        exam={"motor": [{"myotome": "L5", "side": "left", "mrc": 7}, {"myotome": "X9", "side": "left", "mrc": 4}],
              "mjoa": 19, "oxygen_saturation": 120, "sensory": [{"distribution": "glove"}]},
        imaging=[{"modality": "ct", "date": "2026-10-01",
                  "findings": [{"code": "peri_screw_lucency", "comparator": ">"}]}],
        cultures=[{"date": "2026-10-01", "specimen": "tissue", "result": "positive", "samples_positive": 3,
                   "samples_total": 2, "organism_virulence": "medium"}],
    )
    problems = _problems(bad, pack)
    for path in ("exam.motor[0].mrc", "exam.motor[1].myotome", "exam.mjoa", "exam.oxygen_saturation",
                 "exam.sensory[0].distribution", "imaging[0].findings[0]", "cultures[0].organism_virulence"):
        assert path in problems, (path, problems)
    # consistency checks run once the structure is valid
    problems = _problems(_case(symptoms={"symptoms": ["fever"], "denied": ["chills", "fever"]},
                               exam={"motor": [{"myotome": "L5", "side": "left", "mrc": 4},
                                               {"myotome": "L5", "side": "left", "mrc": 3}]}), pack)
    assert "symptoms.denied[1]" in problems and "exam.motor[1]" in problems
    assert "cultures[0]" in _problems(_case(cultures=[{"date": "2026-10-01", "specimen": "tissue",
                                                       "result": "positive", "samples_positive": 3,
                                                       "samples_total": 2}]), pack)


@pytest.mark.parametrize(("comparator", "value", "counts"), [
    (">", 1.0, True),     # "more than 1 mm" is certainly over a 1 mm threshold
    ("=", 1.0, False),    # exactly 1 mm is not over 1 mm
    (">=", 1.0, False),   # "1 mm or more" may be exactly 1 mm
    ("=", 1.5, True),
    ("<", 2.0, False),    # "less than 2 mm" may be under 1 mm
    (">", 0.5, False),    # "more than 0.5 mm" may be 0.7 mm
])
def test_inequality_values_count_when_the_comparator_makes_it_certain(
        pack: KnowledgePack, comparator: str, value: float, counts: bool) -> None:
    finding = {"code": "peri_screw_lucency", "level": "L4-L5", "value": value, "unit": "mm",
               "comparator": comparator}
    hits = _hits(_case(imaging=[{"modality": "ct", "date": "2026-10-01", "findings": [finding]}]), pack)
    assert bool(hits["lucency_ct"]) is counts
    if counts:
        assert hits["lucency_ct"] == [
            f"imaging[0].findings[0]: ct 2026-10-01 peri_screw_lucency at L4-L5 "
            f"{'' if comparator == '=' else comparator + ' '}{value:g} mm"]


def test_an_unmeasured_finding_of_a_measured_code_is_present(pack: KnowledgePack) -> None:
    hits = _hits(_case(imaging=[{"modality": "ct", "date": "2026-10-01",
                                 "findings": [{"code": "peri_screw_lucency", "level": "L4-L5"}]}]), pack)
    assert hits["lucency_ct"] == ["imaging[0].findings[0]: ct 2026-10-01 peri_screw_lucency at L4-L5 (not measured)"]


def test_severity_and_direction_are_read(pack: KnowledgePack) -> None:
    hits = _hits(_case(imaging=[{"modality": "ct", "date": "2026-10-01", "findings": [
        {"code": "pedicle_breach", "level": "L4-L5", "side": "left", "direction": "medial", "value": 3, "unit": "mm"},
        {"code": "central_stenosis", "level": "L3-L4", "severity": "moderate"}]}]), pack)
    assert hits["medial_breach"] and not hits["severe_stenosis"]
    assert "(medial)" in hits["medial_breach"][0]


def test_motor_grades_by_myotome(pack: KnowledgePack) -> None:
    new_weak = _hits(_case(exam={"motor": [{"myotome": "L5", "side": "left", "mrc": 4, "new_since_surgery": True}]}),
                     pack)
    assert new_weak["motor_deficit_new"] == ["exam.motor[0]: L5 left MRC 4/5 (new since surgery)"]
    assert new_weak["motor_deficit_any"] and not new_weak["motor_deficit_severe"]
    assert not new_weak["motor_deficit_progressive"]
    old_weak = _hits(_case(exam={"motor": [{"myotome": "L5", "side": "left", "mrc": 3, "new_since_surgery": False,
                                            "progressive": True}]}), pack)
    assert not old_weak["motor_deficit_new"]
    assert old_weak["motor_deficit_severe"] and old_weak["motor_deficit_progressive"]
    normal = _hits(_case(exam={"motor": [{"myotome": "L5", "side": "left", "mrc": 5, "new_since_surgery": True}]}),
                   pack)
    assert not any(normal[f] for f in ("motor_deficit_new", "motor_deficit_any", "motor_deficit_severe"))
    # the version-1 summary fields keep working
    summary = _hits(_case(exam={"motor_deficit": "mild", "motor_deficit_progressive": True}), pack)
    assert summary["motor_deficit_any"] == ["exam.motor_deficit = mild"]
    assert summary["motor_deficit_progressive"] == ["exam.motor_deficit_progressive = True"]
    assert not summary["motor_deficit_severe"] and not summary["motor_deficit_new"]


def test_sensory_findings_and_the_version_1_booleans_give_the_same_finding(pack: KnowledgePack) -> None:
    v2 = _hits(_case(exam={"sensory": [{"distribution": "saddle"}, {"distribution": "dermatomal", "root": "L5",
                                                                     "side": "left"}]}), pack)
    v1 = _hits(_case(exam={"saddle_anaesthesia": True, "sensory_loss_dermatomal": True}), pack)
    for fid in ("saddle_anaesthesia", "dermatomal_sensory_loss"):
        assert v1[fid] and v2[fid]
    assert v2["dermatomal_sensory_loss"] == ["exam.sensory[1]: dermatomal L5 left"]


def test_not_examined_is_not_negative(pack: KnowledgePack) -> None:
    """None (not examined) and False (examined, negative) both leave a sign absent from the hits;
    the fields keep the difference for the ranking's negative evidence."""
    fields = ("fortin_finger_test", "allodynia", "incisional_tenderness", "hoffmann_sign", "hyperreflexia",
              "gait_ataxia", "neck_swelling", "stridor", "meningism")
    negative = Case.model_validate(_case(exam=dict.fromkeys(fields, False)))
    unknown = Case.model_validate(_case())
    for f in fields:
        assert getattr(negative.exam, f) is False and getattr(unknown.exam, f) is None
    hits = _hits(_case(exam=dict.fromkeys(fields, False)), pack)
    assert not any(hits[f] for f in ("fortin_positive", "hoffmann_sign", "stridor", "neck_swelling"))
    positive = _hits(_case(exam=dict.fromkeys(fields, True)), pack)
    assert all(positive[f] for f in ("fortin_positive", "hoffmann_sign", "stridor", "neck_swelling",
                                     "meningism_exam", "allodynia", "incisional_pain", "gait_ataxia"))


def test_denied_symptoms_are_read_as_denied(pack: KnowledgePack) -> None:
    hits = _hits(_case(symptoms={"symptoms": ["back_pain"], "denied": ["fever"]}), pack)
    assert hits["sx_fever_denied"] == ["symptoms.denied contains fever"] and not hits["sx_fever"]


def test_new_fields_of_surgery_risk_and_cultures(pack: KnowledgePack) -> None:
    data = _case(
        surgeries=[{"procedure": "acdf", "region": "cervical", "levels": ["C5-C6"], "date": "2026-11-15",
                    "incidental_durotomy": True}],
        risk_factors={"nicotine_replacement": True, "anticoagulant_restarted_day": 2, "prior_vte": True,
                      "thrombophilia": False},
        cultures=[{"date": "2026-11-18", "specimen": "tissue", "result": "positive", "organism": "C. acnes",
                   "samples_positive": 1, "samples_total": 5, "organism_virulence": "low"}],
        exam={"oxygen_saturation": 91, "mjoa": 13},
    )
    hits = _hits(data, pack)
    assert hits["cervical_anterior_surgery"] and hits["incidental_durotomy"]  # ACDF is anterior by definition
    assert hits["nicotine_replacement"] and hits["anticoagulant_use"] and hits["prior_vte"]
    assert not hits["thrombophilia"]
    assert hits["culture_single_low_virulence"] and not hits["culture_positive_multiple"]
    assert hits["spo2_low"] == ["exam.oxygen_saturation = 91.0"]
    assert hits["mjoa_myelopathy"] and hits["mjoa_moderate_severe"]


def test_fhir_oxygen_saturation_and_temperature_go_to_the_examination(pack: KnowledgePack) -> None:
    spo2 = lab("vs-spo2", "59408-5", 91, "%", when="2026-11-21")
    temp = lab("vs-temp", "8310-5", 38.4, "Cel", when="2026-11-21")
    old = lab("vs-spo2-old", "2708-6", 88, "%", when="2026-01-01")
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in [*fbss_resources(), spo2, temp, old]]}
    case, report = bundle_to_case(bundle, pack, today=TODAY)
    assert case.exam.oxygen_saturation == 91 and case.exam.temperature_c == 38.4
    assert any(n.resource_id == "vs-spo2-old" and n.status == "skipped" for n in report.notes)
    only_old = {"resourceType": "Bundle", "type": "collection",
                "entry": [{"resource": r} for r in [*fbss_resources(), old]]}
    case, report = bundle_to_case(only_old, pack, today=TODAY)
    assert case.exam.oxygen_saturation is None  # a saturation from January is not today's examination
    assert any(n.resource_id == "vs-spo2-old" and "days old" in n.reason for n in report.notes)


def test_the_schema_command_lists_the_new_fields() -> None:
    schema = json.dumps(Case.model_json_schema())
    for name in ("denied", "MotorGrade", "SensoryFinding", "clear_drainage", "comparator", "cord_signal_change",
                 "anabasine", "samples_positive", "incidental_durotomy", "anticoagulant_restarted_day"):
        assert name in schema, name
