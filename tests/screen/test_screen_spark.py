"""The screen on Apache Spark local[2]: the same worklist, attrition and errors as DuckDB on the same data.

One Spark session for the module (the JVM starts once); the tests share it and run on one xdist worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from revspine.screen.engines import SparkEngine
from revspine.screen.run import ScreenConfig, ScreenResult, run_screen

from .checks import (
    check_attrition_adds_up,
    check_planted,
    check_suppressed,
    copy_omop,
    drop_column,
    expect_input_error,
    same_result,
    set_value,
)
from .conftest import Dataset
from .spark_support import SPARK_CONF, java_or_skip

pytestmark = [pytest.mark.xdist_group("spark"), pytest.mark.slow]


@pytest.fixture(scope="module")
def duck(omop: Dataset) -> ScreenResult:
    return run_screen(ScreenConfig(source=str(omop.folder), top_n=25))


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkEngine]:
    java_or_skip()
    eng = SparkEngine("local[2]", SPARK_CONF)
    yield eng
    eng.close()
    eng.spark.stop()


@pytest.fixture(scope="module")
def result(spark: SparkEngine, omop: Dataset, tmp_path_factory: pytest.TempPathFactory) -> ScreenResult:
    out = tmp_path_factory.mktemp("spark") / "out"
    try:
        return run_screen(ScreenConfig(source=str(omop.folder), out=out, top_n=25), engine=spark)
    finally:
        spark.close()


def test_same_worklist_and_attrition_as_duckdb(result: ScreenResult, duck: ScreenResult, omop: Dataset) -> None:
    check_planted(result, omop)
    same_result(result, duck)
    assert result.manifest["engine"].startswith("spark ") and "local[2]" in result.manifest["engine"]
    top = result.worklist[:25]
    assert all(w["engine_decision"] and not w["engine_error"] for w in top)  # assessed in the executors


def test_attrition_and_suppression(result: ScreenResult) -> None:
    check_attrition_adds_up(result)
    assert result.out is not None
    check_suppressed(result.out)


def test_bad_input_named_and_nothing_written(spark: SparkEngine, omop: Dataset, tmp_path: Path) -> None:
    d = copy_omop(omop, tmp_path)
    (d / "drug_exposure.csv").unlink()
    try:
        err = expect_input_error(d, tmp_path / "a", spark)
    finally:
        spark.close()
    assert any(p.path == "drug_exposure" for p in err.problems)

    d = copy_omop(omop, tmp_path / "b")
    drop_column(d / "procedure_occurrence.csv", "procedure_date")
    try:
        err = expect_input_error(d, tmp_path / "b", spark)
    finally:
        spark.close()
    assert [p.path for p in err.problems] == ["procedure_occurrence.procedure_date"]

    d = copy_omop(omop, tmp_path / "c")
    set_value(d / "measurement.csv", 3, "value_as_number", "seven")
    try:
        err = expect_input_error(d, tmp_path / "c", spark)
    finally:
        spark.close()
    assert err.problems[0].path == "measurement.value_as_number"
    assert "'seven'" in err.problems[0].message
