"""Checks every engine's screen result must pass (DuckDB, Spark local, Spark standalone cluster)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from revspine.errors import InputError
from revspine.screen.engines import Engine
from revspine.screen.run import ScreenConfig, ScreenResult, inclusion_stats, run_screen

from .conftest import Dataset

__all__ = ["check_attrition_adds_up", "check_suppressed", "same_result", "read_csv", "check_planted",
           "copy_omop", "drop_column", "set_value", "expect_input_error"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def check_planted(result: ScreenResult, omop: Dataset) -> None:
    got = {w["person_id"] for w in result.worklist}
    assert omop.listed, "the generator planted nobody"
    assert got == omop.listed  # recall 100 %, and no ordinary or decoy patient
    assert not got & omop.sample_persons  # none of the real sample's persons had spine surgery
    assert {w["person_id"] for w in result.worklist if w["fast_lane"]} == omop.fast_lane


def check_attrition_adds_up(result: ScreenResult) -> None:
    n_rules = len(result.rules)
    for mode in (0, 1):
        masks = {r["inclusion_rule_mask"]: r["person_count"] for r in result.inc_result if r["mode_id"] == mode}
        stats, base, final = inclusion_stats(masks, n_rules)
        remaining = base
        for ru in result.rules:
            need = sum(2 ** k for k in range(ru.sequence + 1))
            left = sum(c for m, c in masks.items() if m & need == need)
            assert left <= remaining
            remaining = left
        assert remaining == final
        assert all(s["person_total"] == base for s in stats)
    persons = {r["inclusion_rule_mask"]: r["person_count"] for r in result.inc_result if r["mode_id"] == 1}
    final = persons.get(2 ** n_rules - 1, 0)
    in_cohort = sum(1 for w in result.worklist if not w["excluded_by"])
    assert final == in_cohort
    assert len(result.worklist) == final + sum(1 for w in result.worklist if w["excluded_by"])


def check_suppressed(out: Path) -> None:
    """No aggregate count from 1 to 10 in any aggregate export; the small data must exercise suppression."""
    count_cols = {"person_count", "gain_count", "person_total", "base_count", "final_count", "remaining", "removed"}
    seen_suppressed = False
    for f in ("attrition.csv", "cohort_inc_result.csv", "cohort_inc_stats.csv", "cohort_summary_stats.csv"):
        for row in read_csv(out / f):
            for c in count_cols & row.keys():
                if row[c] == "<11":
                    seen_suppressed = True
                    continue
                assert not 0 < int(row[c]) < 11, (f, c, row)
    assert seen_suppressed, "the small test data must exercise suppression"


def same_result(a: ScreenResult, b: ScreenResult) -> None:
    """Identical worklists (every column, the engine's assessments included) and identical attrition."""
    assert [w["person_id"] for w in a.worklist] == [w["person_id"] for w in b.worklist]
    for x, y in zip(a.worklist, b.worklist, strict=True):
        diff = {k: (x[k], y.get(k)) for k in x if x[k] != y.get(k)}
        assert not diff, (x["person_id"], diff)
    assert sorted(a.inc_result, key=_key) == sorted(b.inc_result, key=_key)
    assert a.summary == b.summary
    assert a.manifest["row_counts"] == b.manifest["row_counts"]
    assert a.bundles.keys() == b.bundles.keys() and a.bundles == b.bundles  # the same FHIR case for each person


def _key(r: dict[str, Any]) -> tuple[int, int]:
    return int(r["mode_id"]), int(r["inclusion_rule_mask"])


def copy_omop(omop: Dataset, tmp_path: Path) -> Path:
    d = tmp_path / "cdm"
    shutil.copytree(omop.folder, d)
    return d


def drop_column(path: Path, column: str) -> None:
    with path.open() as f:
        rows = list(csv.reader(f))
    keep = [i for i, c in enumerate(rows[0]) if c != column]
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([[r[i] for i in keep] for r in rows])


def set_value(path: Path, row: int, column: str, value: str) -> None:
    with path.open() as f:
        rows = list(csv.DictReader(f))
    rows[row][column] = value
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def expect_input_error(source: Path | str, tmp_path: Path, engine: Engine | None = None,
                       schema: str | None = None) -> InputError:
    """The run fails with an InputError and writes nothing (no output folder, no half-written temporary one)."""
    out = tmp_path / "out"
    with pytest.raises(InputError) as e:
        run_screen(ScreenConfig(source=str(source), out=out, schema=schema), engine=engine)
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    return e.value
