"""The screen on DuckDB: planted patients found exactly, attrition adds up, suppression, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from revspine.errors import InputError
from revspine.screen.run import ScreenConfig, run_screen, suppress

from .checks import (
    check_attrition_adds_up,
    check_planted,
    check_suppressed,
    copy_omop,
    drop_column,
    expect_input_error,
    read_csv,
    set_value,
)
from .conftest import Dataset


@pytest.fixture(scope="module")
def result(omop: Dataset, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("screen") / "out"
    return run_screen(ScreenConfig(source=str(omop.folder), out=out, top_n=25))


def test_planted_patients_found_exactly(result, omop: Dataset) -> None:  # type: ignore[no-untyped-def]
    check_planted(result, omop)


def test_fast_lane_first_and_every_priority_term_shown(result) -> None:  # type: ignore[no-untyped-def]
    wl = result.worklist
    lanes = [w["fast_lane"] for w in wl]
    assert lanes == sorted(lanes, reverse=True)
    for w in wl:
        terms = [t for t in w["priority_terms"].split("; ") if t]
        assert sum(int(t.rsplit("+", 1)[1]) for t in terms) == w["priority"]
        assert w["evidence"] and w["rules_fired"]
    early = [w for w in wl if w["fast_lane"] and w["days_since_surgery"] < 90]
    assert early, "an infection 12 days after surgery must not wait for the 90-day rule"
    assert all("time_since_surgery" in w["excluded_by"] for w in early)


def test_top_of_worklist_assessed_by_the_engine(result) -> None:  # type: ignore[no-untyped-def]
    top = result.worklist[:25]
    assert all(w["engine_decision"] and not w["engine_error"] for w in top)
    assert all(w["case_missing"] is not None for w in top)
    assert all(w["engine_decision"] is None for w in result.worklist[25:])


def test_attrition_adds_up(result) -> None:  # type: ignore[no-untyped-def]
    check_attrition_adds_up(result)


def test_outputs_and_suppression(result) -> None:  # type: ignore[no-untyped-def]
    out: Path = result.out
    names = {p.name for p in out.iterdir()}
    assert {"worklist.csv", "worklist.parquet", "attrition.csv", "cohort_inclusion.csv", "cohort_inc_result.csv",
            "cohort_inc_stats.csv", "cohort_summary_stats.csv", "manifest.json", "review_sample.csv",
            "cohort_definition.json", "cohort_definition.md"} <= names
    assert suppress(0, 11) == 0 and suppress(1, 11) == "<11" and suppress(10, 11) == "<11" and suppress(11, 11) == 11
    check_suppressed(out)
    cases = sorted(int(p.stem) for p in (out / "cases").iterdir())
    assert cases == sorted(w["person_id"] for w in result.worklist[:25])  # the assessed persons' FHIR bundles
    import pyarrow.parquet as pq

    assert pq.read_table(out / "worklist.parquet").num_rows == len(result.worklist)
    sample = read_csv(out / "review_sample.csv")
    assert {r["stratum"] for r in sample} >= {"red_flag", "coded_failure"}


@pytest.mark.filterwarnings("ignore:Support for class-based `config` is deprecated")  # inside ohdsi-cohort-schemas
def test_circe_export_validates(result) -> None:  # type: ignore[no-untyped-def]
    import json

    from ohdsi_cohort_schemas import validate_schema_only

    from revspine.knowledge import default_pack
    from revspine.screen.circe import fast_lane_json
    from revspine.screen.run import get_screen

    doc = json.loads((result.out / "cohort_definition.json").read_text())
    validate_schema_only(doc)
    validate_schema_only(fast_lane_json(get_screen(default_pack(), "fbss")))
    # follow-up is Circe's observation window; the time before the screen date is a run parameter
    assert len(doc["InclusionRules"]) == len(result.rules) - 2
    assert "Red-flag fast lane" in (result.out / "cohort_definition.md").read_text()


def test_without_vocabulary_tables_source_codes_give_the_same_worklist(omop: Dataset, result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bare = tmp_path / "bare"
    shutil.copytree(omop.folder, bare, ignore=shutil.ignore_patterns("concept*"))
    r = run_screen(ScreenConfig(source=str(bare), top_n=0))
    assert r.manifest["source"]["vocabulary"].startswith("source codes only")
    assert [(w["person_id"], w["priority"]) for w in r.worklist] == \
        [(w["person_id"], w["priority"]) for w in result.worklist]


def test_missing_table_named_and_nothing_written(omop: Dataset, tmp_path: Path) -> None:
    d = copy_omop(omop, tmp_path)
    (d / "drug_exposure.csv").unlink()
    err = expect_input_error(d, tmp_path)
    assert any(p.path == "drug_exposure" for p in err.problems)


def test_missing_column_named(omop: Dataset, tmp_path: Path) -> None:
    d = copy_omop(omop, tmp_path)
    drop_column(d / "procedure_occurrence.csv", "procedure_date")
    err = expect_input_error(d, tmp_path)
    assert [p.path for p in err.problems] == ["procedure_occurrence.procedure_date"]


def test_malformed_value_named_by_table_and_column(omop: Dataset, tmp_path: Path) -> None:
    d = copy_omop(omop, tmp_path)
    set_value(d / "measurement.csv", 3, "value_as_number", "seven")
    err = expect_input_error(d, tmp_path)
    assert err.problems[0].path == "measurement.value_as_number"
    assert "'seven'" in err.problems[0].message


def test_refuses_a_non_empty_output_folder(omop: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError):
        run_screen(ScreenConfig(source=str(omop.folder), out=out))
    assert (out / "keep.txt").read_text() == "mine"


def test_duckdb_file_source(omop: Dataset, result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    from revspine.screen.source import find_tables

    db = tmp_path / "cdm.duckdb"
    con = duckdb.connect(str(db))
    for name, tf in find_tables(omop.folder).items():
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{tf.paths[0]}', header = true)")
    con.close()
    r = run_screen(ScreenConfig(source=str(db), top_n=0))
    assert [w["person_id"] for w in r.worklist] == [w["person_id"] for w in result.worklist]
