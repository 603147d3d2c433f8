"""Bad input gets one clear problem per mistake, naming the JSON path; never a crash.

Each case is checked twice: through parse_case (the InputError and its problems) and
through the CLI (exit status 2, one line per problem on stderr, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from revspine import InputError, parse_case
from revspine.cli import app

from .conftest import TODAY

SURGERY = {"procedure": "tlif", "region": "lumbar", "levels": ["L4-L5"], "date": "2026-03-02", "instrumented": True}


def base(**parts: Any) -> dict[str, Any]:
    case: dict[str, Any] = {"case_id": "bad-input", "assessment_date": "2026-10-01", "surgeries": [dict(SURGERY)]}
    case.update(parts)
    return case


def lab(test: str, value: Any, unit: str, date: str = "2026-09-01") -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": date}


# (id, case, {json path: words the message must contain})
BAD: list[tuple[str, dict[str, Any], dict[str, list[str]]]] = [
    ("age is a word", base(patient={"age": "sixty"}), {"patient.age": ["integer"]}),
    ("surgeries not a list", base(surgeries={"procedure": "tlif"}), {"surgeries": ["list"]}),
    ("levels not a list", base(surgeries=[{**SURGERY, "levels": "L4-L5"}]), {"surgeries[0].levels": ["list"]}),
    ("instrumented is a word", base(surgeries=[{**SURGERY, "instrumented": "maybe"}]),
     {"surgeries[0].instrumented": ["boolean"]}),
    ("lab value is a word", base(labs=[lab("crp", "high", "mg/L")]), {"labs[0].value": ["number"]}),
    ("date is not a date", base(surgeries=[{**SURGERY, "date": "last spring"}]), {"surgeries[0].date": ["date"]}),
    ("impossible calendar date", base(assessment_date="2026-02-30"), {"assessment_date": ["date"]}),
    ("surgery after the assessment date", base(surgeries=[{**SURGERY, "date": "2026-10-05"}]),
     {"surgeries[0].date": ["after the assessment date 2026-10-01"]}),
    ("assessment date in the future", base(assessment_date="2027-01-01"), {"assessment_date": ["future"]}),
    ("onset before the surgery it follows", base(symptoms={"onset_date": "2026-01-15"}),
     {"symptoms.onset_date": ["before the surgery it follows", "surgeries[0]"]}),
    ("onset days past the assessment", base(symptoms={"onset_days_after_surgery": 400}),
     {"symptoms.onset_days_after_surgery": ["after the assessment date"]}),
    ("onset days without a surgery", base(surgeries=[], symptoms={"onset_days_after_surgery": 3}),
     {"symptoms.onset_days_after_surgery": ["no surgery"]}),
    ("onset date and days disagree", base(symptoms={"onset_date": "2026-04-01", "onset_days_after_surgery": 10}),
     {"symptoms.onset_days_after_surgery": ["disagrees", "30 days"]}),
    ("follows a surgery that is not there", base(symptoms={"follows_surgery": 3}),
     {"symptoms.follows_surgery": ["only 1 surgeries"]}),
    ("lab after the assessment date", base(labs=[lab("crp", 5, "mg/L", "2026-10-02")]),
     {"labs[0].date": ["after the assessment date"]}),
    ("imaging after the assessment date", base(imaging=[{"modality": "ct", "date": "2026-11-01"}]),
     {"imaging[0].date": ["after the assessment date"]}),
    ("birth date after the surgery", base(patient={"birth_date": "2026-05-01"}),
     {"surgeries[0].date": ["before the birth date"]}),
    ("unknown procedure", base(surgeries=[{**SURGERY, "procedure": "fusion"}]),
     {"surgeries[0].procedure": ["unknown code", "tlif"]}),
    ("unknown imaging code", base(imaging=[{"modality": "mri", "date": "2026-09-01", "findings": [{"code": "hnp"}]}]),
     {"imaging[0].findings[0].code": ["unknown code", "recurrent_disc_herniation"]}),
    ("unknown modality", base(imaging=[{"modality": "pet", "date": "2026-09-01"}]),
     {"imaging[0].modality": ["unknown code"]}),
    ("unknown lab test", base(labs=[lab("ferritin", 80, "ng/mL")]), {"labs[0].test": ["unknown code", "crp"]}),
    ("unknown symptom", base(symptoms={"symptoms": ["back_pain", "sciatica"]}),
     {"symptoms.symptoms[1]": ["unknown code"]}),
    ("CRP in mmol/L", base(labs=[lab("crp", 5, "mmol/L")]),
     {"labs[0].unit": ["'mmol/L' is not a unit for crp", "mg/L", "mg/dL"]}),
    ("HbA1c in mg/dL", base(labs=[lab("hba1c", 7, "mg/dL")]), {"labs[0].unit": ["hba1c", "%", "mmol/mol"]}),
    ("albumin 45 g/dL", base(labs=[lab("albumin", 45, "g/dL")]),
     {"labs[0].value": ["implausible", "Albumin", "0.5-7 g/dL", "check the value and unit"]}),
    ("negative CRP", base(labs=[lab("crp", -3, "mg/L")]), {"labs[0].value": ["implausible"]}),
    ("temperature 55 C", base(exam={"temperature_c": 55}), {"exam.temperature_c": ["44"]}),
    ("relief over 100%", base(blocks=[{"type": "si_joint", "relief_percent": 120, "date": "2026-09-01"}]),
     {"blocks[0].relief_percent": ["100"]}),
    ("PHQ-9 of 30", base(questionnaires={"phq9": 30}), {"questionnaires.phq9": ["27"]}),
    ("STarT Back subscale above total", base(questionnaires={"start_back_total": 2, "start_back_psychosocial": 4}),
     {"questionnaires": ["cannot exceed"]}),
    ("BMI contradicts height and weight", base(patient={"height_cm": 170, "weight_kg": 70, "bmi": 35}),
     {"patient": ["does not match", "24.2"]}),
    ("value without unit", base(imaging=[{"modality": "ct", "date": "2026-09-01",
                                          "findings": [{"code": "peri_screw_lucency", "value": 2}]}]),
     {"imaging[0].findings[0]": ["value and unit go together"]}),
    ("unknown top-level key", base(diagnosis="FBSS"), {"diagnosis": ["unknown field"]}),
    ("unknown nested key", base(exam={"slr": "positive"}), {"exam.slr": ["unknown field"]}),
    ("level L4-L6", base(surgeries=[{**SURGERY, "levels": ["L4-L6"]}]),
     {"surgeries[0].levels[0]": ["L6 is not a vertebra"]}),
    ("level X1", base(surgeries=[{**SURGERY, "levels": ["L4-L5", "X1"]}]),
     {"surgeries[0].levels[1]": ["'X1' is not a spinal level"]}),
    ("level spanning two segments", base(imaging=[{"modality": "mri", "date": "2026-09-01",
                                                   "findings": [{"code": "central_stenosis", "level": "L3-L5"}]}]),
     {"imaging[0].findings[0].level": ["more than one motion segment"]}),
    ("level upside down", base(blocks=[{"type": "medial_branch", "level": "L5-L4", "relief_percent": 80,
                                        "date": "2026-09-01"}]), {"blocks[0].level": ["upper vertebra"]}),
    ("level outside the region", base(surgeries=[{**SURGERY, "levels": ["C5-C6"]}]),
     {"surgeries[0]": ["not in the lumbar region"]}),
    ("not an object", [1, 2, 3], {"(case)": ["dictionary"]}),  # type: ignore[list-item]
    # a year alone (a number is read as a timestamp: pydantic would say "should have zero time")
    ("year-only operation date", base(surgeries=[{**SURGERY, "date": 2015}]),
     {"surgeries[0].date": ["full date as YYYY-MM-DD", "2015"]}),
    ("impossible month", base(surgeries=[{**SURGERY, "date": "2015-13-01"}]),
     {"surgeries[0].date": ["full date as YYYY-MM-DD", "month"]}),
    ("temperature in Fahrenheit", base(exam={"temperature_c": 101.3}),
     {"exam.temperature_c": ["44", "Fahrenheit", "38.5 C"]}),
]


@pytest.mark.parametrize(("name", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_parse_case_names_each_problem(pack, name, data, expected):
    with pytest.raises(InputError) as exc:
        parse_case(data, pack, today=TODAY)
    err = exc.value
    assert err.status == 422 and err.exit_code == 2
    by_path = {p.path: p.message for p in err.problems}
    assert set(by_path) == set(expected), f"{name}: got {by_path}"
    for path, words in expected.items():
        for w in words:
            assert w in by_path[path], f"{path}: {by_path[path]!r} should mention {w!r}"
    shape = err.to_dict()
    assert shape["ok"] is False and shape["status"] == 422
    assert [e["path"] for e in shape["errors"]] == [p.path for p in err.problems]


def test_every_problem_is_reported_at_once(pack):
    data = base(patient={"age": "x"}, labs=[lab("crp", 5, "mmol/L"), lab("albumin", 45, "g/dL")],
                surgeries=[{**SURGERY, "procedure": "fusion", "levels": ["L4-L6", "X1"]}], extra=1)
    with pytest.raises(InputError) as exc:
        parse_case(data, pack, today=TODAY)
    assert {p.path for p in exc.value.problems} == {
        "patient.age", "surgeries[0].procedure", "surgeries[0].levels[0]", "surgeries[0].levels[1]", "extra",
    }, "structural problems are all reported; lab units are checked once the structure is valid"


def test_json_text_and_bytes_are_parsed_too(pack):
    text = json.dumps(base(labs=[lab("crp", 5, "mmol/L")]))
    for raw in (text, text.encode()):
        with pytest.raises(InputError) as exc:
            parse_case(raw, pack, today=TODAY)
        assert [p.path for p in exc.value.problems] == ["labs[0].unit"]
    with pytest.raises(InputError) as exc:
        parse_case("{not json", pack, today=TODAY)
    assert exc.value.problems


def test_a_valid_case_passes_and_gets_canonical_units(pack):
    case = parse_case(base(labs=[lab("crp", 1.2, "mg/dL"), lab("albumin", 38, "g/L")]), pack, today=TODAY)
    assert [(x.value, x.unit) for x in case.labs] == [(12, "mg/L"), (3.8, "g/dL")]


# -- the same through the CLI ------------------------------------------------------------------------------


def cli(tmp_path: Path, data: Any) -> Any:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(app, ["assess", str(path), "--today", TODAY.isoformat()])


@pytest.mark.parametrize(("name", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_cli_exits_2_with_one_line_per_problem(tmp_path, name, data, expected):
    result = cli(tmp_path, data)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    problems = [ln.strip() for ln in lines[1:]]
    assert len(problems) == len(expected)
    for path in expected:
        assert any(p.startswith(f"{path}: ") for p in problems), f"{path} not in {problems}"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("content", ["{not json", "", "\x00\xff", "[", "null"])
def test_cli_unreadable_json_exits_2(tmp_path, content):
    path = tmp_path / "case.json"
    path.write_bytes(content.encode("latin-1"))
    result = CliRunner().invoke(app, ["assess", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("error: ")


def test_cli_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["assess", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "cannot read" in result.stderr and "Traceback" not in result.output


def test_cli_bad_today_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["assess", str(tmp_path / "x.json"), "--today", "yesterday"])
    assert result.exit_code == 2 and "--today" in result.stderr


@pytest.mark.parametrize(("written", "test", "value", "canonical"), [
    ("10^9/L", "wbc", 17, (17, "10*9/L")),
    ("x10^9/L", "wbc", 17, (17, "10*9/L")),
    ("×10⁹/L", "wbc", 17, (17, "10*9/L")),
    ("K/uL", "wbc", 17, (17, "10*9/L")),
    ("cells/µL", "wbc", 17000, (17, "10*9/L")),
    ("mg/l", "crp", 12, (12, "mg/L")),
    ("MG/DL", "crp", 1.2, (12, "mg/L")),
    ("mm/hr", "esr", 40, (40, "mm/h")),
    ("µg/L", "procalcitonin", 0.6, (0.6, "ng/mL")),
])
def test_a_unit_written_another_common_way_is_the_same_unit(pack, written, test, value, canonical):
    # Only the notation is normalised (UCUM 10*9/L is the 10^9/L of a lab report); the value goes through the pack's
    # conversions, never guessed.
    case = parse_case(base(labs=[lab(test, value, written)]), pack, today=TODAY)
    assert [(x.value, x.unit) for x in case.labs] == [canonical]


@pytest.mark.parametrize("written", ["10^6/L", "g/L", "mmol/L", "mg"])
def test_a_different_unit_is_still_refused(pack, written):
    with pytest.raises(InputError) as exc:
        parse_case(base(labs=[lab("crp" if written != "10^6/L" else "wbc", 5, written)]), pack, today=TODAY)
    assert [p.path for p in exc.value.problems] == ["labs[0].unit"]


def test_motion_measured_on_a_single_film_is_refused_with_its_path(pack):
    # translation, angular motion and motion across a fusion are read from flexion-extension films; on any other study
    # they would silently count for nothing, so the case is refused naming the finding.
    study = {"modality": "xray", "date": "2026-09-01", "findings": [{"code": "translation", "level": "L4-L5",
                                                                     "value": 5, "unit": "mm"}]}
    with pytest.raises(InputError) as exc:
        parse_case(base(imaging=[study]), pack, today=TODAY)
    assert [p.path for p in exc.value.problems] == ["imaging[0].findings[0].code"]
    assert "flexion_extension_xray" in exc.value.problems[0].message
    study["modality"] = "flexion_extension_xray"
    parse_case(base(imaging=[study]), pack, today=TODAY)


def test_a_measured_imaging_finding_is_read_in_its_own_unit(pack):
    # A peri-screw lucency of 0.2 cm was read as 0.2 mm (below the 1 mm threshold) and one of "2 deg" as 2 mm, without
    # a word. A length in cm is now converted to mm, any other unit is refused naming the finding's unit.
    def study(value: float, unit: str) -> dict[str, object]:
        return {"modality": "ct", "date": "2026-09-01", "findings": [{"code": "peri_screw_lucency", "level": "L4-L5",
                                                                      "value": value, "unit": unit}]}

    parsed = parse_case(base(imaging=[study(0.2, "cm")]), pack, today=TODAY)
    assert [(f.value, f.unit) for f in parsed.imaging[0].findings] == [(2.0, "mm")]
    with pytest.raises(InputError) as exc:
        parse_case(base(imaging=[study(2, "deg")]), pack, today=TODAY)
    assert [p.path for p in exc.value.problems] == ["imaging[0].findings[0].unit"]
    assert "mm or cm" in exc.value.problems[0].message
    angle = {"modality": "flexion_extension_xray", "date": "2026-09-01", "findings": [
        {"code": "angular_motion", "level": "L4-L5", "value": 1.5, "unit": "cm"}]}
    with pytest.raises(InputError) as exc:
        parse_case(base(imaging=[angle]), pack, today=TODAY)
    assert [p.path for p in exc.value.problems] == ["imaging[0].findings[0].unit"]


@pytest.mark.parametrize("region", ["thoracic", "lumbar"])
def test_a_construct_across_the_thoracolumbar_junction_is_one_operation(pack, region):
    # A T10-L2 fusion was refused as "level L1-L2 is not in the thoracic region" (and T10-T11 not lumbar) whichever
    # region was named: the levels beyond a junction are accepted when they continue, without a gap, a block of levels
    # in the named region; a level elsewhere still names the surgery.
    levels = ["T10-T11", "T11-T12", "T12-L1", "L1-L2"]
    parsed = parse_case(base(surgeries=[{**SURGERY, "region": region, "levels": levels}]), pack, today=TODAY)
    assert parsed.surgeries[0].levels == levels
    with pytest.raises(InputError) as exc:
        parse_case(base(surgeries=[{**SURGERY, "levels": ["T11-T12", "L4-L5"]}]), pack, today=TODAY)
    assert [(p.path, "T11-T12 is not in the lumbar region" in p.message) for p in exc.value.problems] == [
        ("surgeries[0]", True)]


def test_a_white_cell_count_in_g_per_litre_is_read_as_10e9_per_litre(pack):
    # G/L (giga per litre) is how European laboratories write 10^9/L; it was refused.
    case = parse_case(base(labs=[lab("wbc", 13.1, "G/L")]), pack, today=TODAY)
    assert [(x.value, x.unit) for x in case.labs] == [(13.1, "10*9/L")]


@pytest.mark.parametrize(("written", "stored"), [
    ("L4-5", "L4-L5"), ("L4/5", "L4-L5"), ("L4/L5", "L4-L5"), ("l4 - l5", "L4-L5"), ("L4\u2013L5", "L4-L5"),
    ("L5/S1", "L5-S1"), ("T12/L1", "T12-L1"), ("L4", "L4")])
def test_level_notations_of_operative_notes_are_the_same_level(pack, written, stored):
    # Operative notes write L4/5 or L4-5: the same motion segment, stored in one form (the entered JSON keeps
    # what was written); a range (L3-L5) or a vertebra that does not exist is still refused.
    case = parse_case(base(surgeries=[{**SURGERY, "levels": [written]}]), pack, today=TODAY)
    assert case.surgeries[0].levels == [stored]


@pytest.mark.parametrize(("written", "code"), [
    ("microdiscectomy", "discectomy"), ("Microdiskectomy", "discectomy"), ("endoscopic discectomy", "discectomy"),
    ("laminotomy", "laminectomy"), ("XLIF", "llif"), ("OLIF", "llif"), ("MIS-TLIF", "tlif")])
def test_procedure_names_of_operative_notes_are_their_code(pack, written, code):
    case = parse_case(base(surgeries=[{**SURGERY, "procedure": written}]), pack, today=TODAY)
    assert case.surgeries[0].procedure == code


def test_a_lab_value_written_with_its_comparator_is_the_number_and_the_comparator(pack):
    case = parse_case(base(labs=[lab("crp", "<5", "mg/L")]), pack, today=TODAY)
    assert (case.labs[0].value, case.labs[0].comparator) == (5.0, "<")
    with pytest.raises(InputError) as exc:
        parse_case(base(labs=[{**lab("crp", "<5", "mg/L"), "comparator": ">"}]), pack, today=TODAY)
    assert [(p.path, "comparator" in p.message) for p in exc.value.problems] == [("labs[0]", True)]
