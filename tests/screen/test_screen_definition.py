"""The screen definition as data: it loads with the pack, its ICD-10-CM codes exist, and the CLI runs it."""

from __future__ import annotations

import warnings

from typer.testing import CliRunner

from revspine.cli.main import app
from revspine.knowledge import KnowledgePack
from revspine.screen.concepts import code_rows
from revspine.screen.run import get_screen
from revspine.screen.sql import pipeline, transpile

from .conftest import Dataset

with warnings.catch_warnings():  # the package reads its data with a deprecated importlib call
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10_cm as icd


def test_every_icd10cm_code_exists(pack: KnowledgePack) -> None:
    screen = get_screen(pack, "fbss")
    bad = [r.code for r in code_rows(screen, pack) if r.vocabulary == "ICD10CM" and not icd.is_valid_item(r.code)]
    assert not bad


def test_one_definition_compiles_for_both_dialects(pack: KnowledgePack) -> None:
    from datetime import date

    from revspine.screen.concepts import name_rows

    screen = get_screen(pack, "fbss")
    steps = pipeline(screen, code_rows(screen, pack), name_rows(screen, pack),
                     {"concept", "concept_relationship", "concept_ancestor", "observation"}, date(2025, 12, 31))
    for s in steps:
        spark = transpile(s.sql, "spark")
        assert spark and "DATE_DIFF('day'" not in spark


def test_cli_run_and_bad_input(omop: Dataset, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(app, ["screen", "run", str(omop.folder), "--out", str(out), "--top", "3"])
    assert r.exit_code == 0, r.output
    assert (out / "worklist.csv").is_file()
    r = runner.invoke(app, ["screen", "run", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 2
    assert not (tmp_path / "o2").exists()
    r = runner.invoke(app, ["screen", "export", "text"])
    assert r.exit_code == 0 and "Inclusion rules" in r.output
