"""The plan-area sections reach the Assessment JSON, the Markdown report and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from typer.testing import CliRunner

from revspine import assess, parse_case
from revspine.cli import app
from revspine.cli.main import read_case_file

from ..conftest import TODAY
from .cases import case

FLATBACK = Path(__file__).parent / "cases" / "flatback_after_fusion.json"
runner = CliRunner()


def full(pack):
    return assess(parse_case(read_case_file(FLATBACK), pack, today=TODAY), pack)


def test_every_section_is_present_and_cited(pack):
    a = full(pack)
    assert a.alignment.status == "complete"
    assert a.revision_plan is not None and a.order_set is not None
    assert a.instruments is not None and a.patient is not None
    data = a.model_dump(mode="json")
    orjson.dumps(data)  # the one JSON serialises
    cited = set(a.citations)
    for section in (a.alignment, a.revision_plan, a.order_set, a.instruments, a.patient):
        assert set(section.citations) <= cited
    assert set(data) >= {"alignment", "revision_plan", "order_set", "instruments", "patient"}


def test_allergic_130_kg_patient_in_the_full_assessment(pack):
    lines = {line.item: line for line in full(pack).order_set.lines}
    assert "abx_cefazolin" not in lines
    assert lines["abx_vancomycin_allergy"].dose_amount == 1950
    assert "nutrition_support" in lines and "bone_treatment" in lines


def test_sections_are_absent_without_their_data(pack):
    a = assess(case(pack), pack)
    assert a.alignment is None and a.instruments is None
    assert a.patient is not None  # the explanation needs only the assessment


def test_assessment_is_pure(pack):
    c = parse_case(read_case_file(FLATBACK), pack, today=TODAY)
    one = orjson.dumps(assess(c, pack).model_dump(mode="json"))
    two = orjson.dumps(assess(c, pack).model_dump(mode="json"))
    assert one == two


def test_cli_assess_json_and_markdown():
    out = runner.invoke(app, ["assess", str(FLATBACK), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["alignment"]["modifiers"][0]["grade"] == "++"
    assert data["instruments"]["trends"][0]["instrument"] == "odi"
    md = runner.invoke(app, ["assess", str(FLATBACK), "--format", "markdown"]).stdout
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    for h in ("## Sagittal alignment", "## Revision plan: ", "## Peri-operative order set",
              "## Instruments and outcomes", "## For the patient"):
        assert any(x.startswith(h) for x in heads), h
    assert heads[-1] == "## Citations"
    assert "<figure><svg" in md and "</svg><figcaption>Sagittal profile" in md
    text = runner.invoke(app, ["assess", str(FLATBACK)]).stdout  # the terminal rendering skips the drawing
    assert "<svg" not in text and "Sagittal alignment" in text


def test_cli_score_items_file_and_errors(tmp_path):
    ok = runner.invoke(app, ["score", "odi", "3", "2", "2", "1", "2", "2", "1", "-", "1", "2"])
    assert ok.exit_code == 0 and "35.56" in ok.stdout and "moderate disability" in ok.stdout
    neg = runner.invoke(app, ["score", "paindetect", "--", "3", "3", "2", "4", "1", "2", "2", "-1", "2"])
    assert neg.exit_code == 0 and "18 points" in neg.stdout
    f = tmp_path / "phq.json"
    f.write_text(json.dumps({"items": [1, 1, 1, 1, 1, 1, 1, 1, 1]}))
    js = runner.invoke(app, ["score", "phq9", "--file", str(f), "--json"])
    assert js.exit_code == 0 and json.loads(js.stdout)["total"] == 9 and json.loads(js.stdout)["alerts"]
    bad = runner.invoke(app, ["score", "odi", "3", "2", "9"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    unknown = runner.invoke(app, ["score", "sf36", "1"])
    assert unknown.exit_code == 2 and "odi" in unknown.output
    nan = runner.invoke(app, ["score", "nrs_back", "seven"])
    assert nan.exit_code == 2 and "items[0]" in nan.output


def test_cli_score_describes_an_instrument_without_copyrighted_text():
    odi = runner.invoke(app, ["score", "odi"])
    assert odi.exit_code == 0 and "Pain intensity" in odi.stdout and "not shipped" in odi.stdout
    phq = runner.invoke(app, ["score", "phq9"])
    assert "Little interest or pleasure in doing things" in phq.stdout


def test_case_schema_documents_instrument_responses():
    out = runner.invoke(app, ["schema"])
    assert "instrument_responses" in out.stdout and "InstrumentResponse" in out.stdout


def test_assessment_json_validates_back_into_the_model(pack, examples):
    """The web app and the API read the JSON back: every new section must round-trip."""
    from revspine.pipeline import Assessment

    for path in [*examples, FLATBACK]:
        data = assess(parse_case(read_case_file(path), pack, today=TODAY), pack).model_dump(mode="json")
        assert Assessment.model_validate(data).model_dump(mode="json") == data, path.name
