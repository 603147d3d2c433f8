"""The revspine command line: every command, every format, and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from revspine.case.model import Case
from revspine.cli import app
from revspine.cli.main import example_paths, fhir_example_paths
from revspine.knowledge.loader import builtin_pack_dir

from .conftest import TODAY

RUNNER = CliRunner()
EXAMPLE = next(p for p in example_paths() if p.name.startswith("04_"))


def invoke(*args: str):
    result = RUNNER.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_assess_json_has_the_documented_keys():
    r = invoke("assess", str(EXAMPLE), "--format", "json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert {"versions", "timing_window", "red_flags", "differential", "workup", "risk_factors", "decision"} <= set(out)
    assert out["differential"][0] == {**out["differential"][0], "cause": "recurrent_disc_herniation", "rank": 1}
    # a recurrent disc compressing the root, with a mild deficit and worsening symptoms: a red flag (urgent)
    assert out["decision"]["category"] == "urgent"
    assert {f["rule_id"] for f in out["red_flags"]} == {"compression_with_deficit", "worsening_deficit"}


def test_assess_markdown_is_a_readable_report():
    r = invoke("assess", str(EXAMPLE), "--format", "markdown")
    assert r.exit_code == 0
    md = r.stdout
    for heading in ("# revspine assessment example-04-recurrent-disc-herniation", "## Red flags", "## Timing",
                    "## Differential (best first)", "## Missing work-up (in order)", "## Risk factors",
                    "## Decision", "## Uncertain or missing", "## Citations"):
        assert heading in md
    assert "1. Recurrent or residual disc herniation — score 0.95" in md
    assert "`urgent`" in md and "[Hueftle1988]" in md
    assert "not a diagnosis" in md


def test_assess_text_is_rendered_for_the_terminal():
    r = invoke("assess", str(EXAMPLE))
    assert r.exit_code == 0
    assert "Recurrent or residual disc herniation" in r.stdout and "#" not in r.stdout.splitlines()[0]


def test_assess_takes_today_when_the_case_has_no_date(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    del data["assessment_date"]
    path = tmp_path / "undated.json"
    path.write_text(json.dumps(data))
    out = json.loads(invoke("assess", str(path), "-f", "json", "--today", TODAY.isoformat()).stdout)
    assert out["assessment_date"] == TODAY.isoformat()


def test_schema_is_the_case_json_schema():
    r = invoke("schema")
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    assert schema == Case.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"surgeries", "symptoms", "imaging", "labs", "blocks", "questionnaires"} <= set(schema["properties"])


def test_knowledge_json_lists_causes_and_rules_with_citations(pack):
    r = invoke("knowledge", "--format", "json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["pack"]["version"] == pack.version
    causes = {c["id"]: c for c in out["sections"]["causes"]}
    assert set(causes) == set(pack.causes)
    assert causes["malignancy"]["evidence"][0]["lr"] == 23.7
    for name in ("red_flags", "workup_rules", "risk_factors", "decision_rules", "non_surgical"):
        assert out["sections"][name] and all(e["citations"] for e in out["sections"][name]), name
    assert {c["id"] for c in out["sections"]["citations"]} == set(pack.citations)


def test_knowledge_text_names_each_cause():
    r = invoke("knowledge")
    assert r.exit_code == 0
    for cause in ("pseudarthrosis", "vascular_claudication", "red_flags", "decision_rules"):
        assert cause in r.stdout


def test_examples_writes_every_example(tmp_path):
    r = invoke("examples", str(tmp_path / "out"))
    assert r.exit_code == 0
    written = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert written == sorted(p.name for p in example_paths()) and len(written) >= 15
    for p in example_paths():
        assert (tmp_path / "out" / p.name).read_bytes() == p.read_bytes()
    bundles = fhir_example_paths()
    assert [p.name for p in bundles] == ["post-fusion-patient.json"]
    assert (tmp_path / "out" / "fhir" / bundles[0].name).read_bytes() == bundles[0].read_bytes()
    assert r.stdout.splitlines() == ([str(tmp_path / "out" / n) for n in sorted(written)]
                                     + [str(tmp_path / "out" / "fhir" / p.name) for p in bundles])


def test_the_readmes_command_line_examples_run(tmp_path, monkeypatch):
    """Every `.venv/bin/revspine ...` line of the README's command-line block runs as written (from a
    fresh folder, after its first line wrote cases/), and the FHIR example reads the shipped Bundle."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("From the command line:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [ln.split("#", 1)[0].split() for ln in block.splitlines() if ln.startswith(".venv/bin/revspine ")]
    assert len(lines) >= 6
    monkeypatch.chdir(tmp_path)
    for words in lines:
        r = invoke(*words[1:])
        assert r.exit_code == 0, (words, r.output[-500:])
        if words[1:3] == ["assess", "cases/fhir/post-fusion-patient.json"]:
            bundle = json.loads(r.stdout)
            assert bundle["resourceType"] == "Bundle"
            kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
            assert {"RiskAssessment", "CarePlan", "Provenance"} <= kinds
            assert "FHIR input: 29 resources read" in r.stderr
    assert any(w[1:3] == ["assess", "cases/fhir/post-fusion-patient.json"] for w in lines)


def test_written_examples_assess(tmp_path):
    invoke("examples", str(tmp_path))
    for p in sorted(tmp_path.glob("*.json"))[:3]:
        assert invoke("assess", str(p), "-f", "json").exit_code == 0


def test_local_pack_overlay_shows_in_the_versions(tmp_path):
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump({"pack": {
        "id": "clinic", "name": "Clinic pack", "version": "3", "released": "2026-11-01", "description": "d"}}))
    out = json.loads(invoke("assess", str(EXAMPLE), "-f", "json", "--pack", str(tmp_path)).stdout)
    assert out["versions"]["knowledge"].endswith("+clinic.3")
    assert "clinic@3" in out["versions"]["knowledge_sources"]


def test_invalid_local_pack_exits_3_naming_the_file(tmp_path):
    cause = yaml.safe_load((builtin_pack_dir() / "causes/hematoma.yaml").read_text())
    cause["cause"]["prior"]["value"] = 1.5
    (tmp_path / "causes").mkdir()
    (tmp_path / "causes/hematoma.yaml").write_text(yaml.safe_dump(cause))
    for args in (("assess", str(EXAMPLE)), ("knowledge",)):
        r = invoke(*args, "--pack", str(tmp_path))
        assert r.exit_code == 3
        assert any("causes/hematoma.yaml" in ln and "prior.value" in ln for ln in r.stderr.splitlines())


def test_missing_local_pack_folder_exits_3(tmp_path):
    r = invoke("knowledge", "--pack", str(tmp_path / "nowhere"))
    assert r.exit_code == 3 and "does not exist" in r.stderr


@pytest.mark.parametrize("args", [(), ("assess",), ("assess", "a", "--format", "pdf"), ("frobnicate",)])
def test_usage_errors_do_not_crash(args):
    r = RUNNER.invoke(app, list(args))
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_examples_dir_matches_the_packaged_examples():
    root = Path(__file__).resolve().parents[1] / "examples"
    assert sorted(p.name for p in root.glob("*.json")) == sorted(p.name for p in example_paths())


def _workup_block(md: str) -> list[str]:
    lines = md.splitlines()
    start = lines.index("## Missing work-up (in order)") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("## ") or lines[i] == "")
    return lines[start:end]


def test_missing_workup_is_numbered_by_position_with_its_reasons_under_each_item():
    ex = next(p for p in example_paths() if p.name.startswith("21_"))
    md = invoke("assess", str(ex), "--format", "markdown").stdout
    block = _workup_block(md)
    items = [ln for ln in block if not ln.startswith(" ")]
    assert len(items) >= 3
    # numbered 1, 2, 3, ... by position, whatever the priorities are ("2. 2. 2. 3." read as a list starting at 2)
    assert [ln.split(". ", 1)[0] for ln in items] == [str(n) for n in range(1, len(items) + 1)]
    assert all("(priority " in ln for ln in items)
    # every reason is a sub-bullet indented to the text of its item, so it stays inside the list
    for ln in block:
        if ln.startswith(" "):
            assert ln.lstrip().startswith("- ")


def test_differential_sub_bullets_stay_in_the_list_past_item_nine():
    md = invoke("assess", str(EXAMPLE), "--format", "markdown").stdout
    lines = md.splitlines()
    start = lines.index("## Differential (best first)") + 1
    block = lines[start:next(i for i in range(start, len(lines)) if lines[i] == "" or lines[i].startswith("## "))]
    width = 0
    for ln in block:
        if ln[:1].isdigit():
            width = len(ln.split(" ", 1)[0]) + 1  # "10. " is four wide
        else:
            indent = len(ln) - len(ln.lstrip())
            assert indent >= width, f"sub-bullet falls out of item: {ln!r}"
    assert any(ln.startswith("10. ") for ln in block), "the example ranks ten or more causes"


def test_a_questionnaire_safety_alert_stands_beside_the_red_flags_in_the_report(tmp_path):
    # Independent tester: PHQ-9 item 9 above 0 gave "ACTION: assess suicide risk today" deep under Instruments while
    # the top of the report said "Red flags: None found". The README promises the alert beside the red flags.
    data = json.loads(EXAMPLE.read_text())
    data["instrument_responses"] = [{"instrument": "phq9", "date": data["assessment_date"],
                                     "items": [2, 2, 2, 2, 1, 1, 1, 1, 2]}]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data))
    out = invoke("assess", str(path), "--format", "markdown").stdout
    head = out.split("## Timing")[0]
    assert "## Red flags and safety alerts" in head and "SAFETY ALERT" in head and "suicide risk" in head
