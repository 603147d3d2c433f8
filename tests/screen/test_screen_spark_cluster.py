"""The screen on a standalone Spark cluster (a master and one worker started here on 127.0.0.1 with the PySpark
package's spark-class launcher): the driver ships the per-patient assessments to an executor JVM and its Python
workers, as on a real cluster, and the answer is DuckDB's."""

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
    expect_input_error,
    same_result,
    set_value,
)
from .conftest import Dataset
from .spark_support import SPARK_CONF, standalone_cluster

pytestmark = [pytest.mark.xdist_group("spark"), pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkEngine]:
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster")) as url:
        eng = SparkEngine(url, {**SPARK_CONF, "spark.cores.max": "2"})
        try:
            yield eng
        finally:
            eng.close()
            eng.spark.stop()


@pytest.fixture(scope="module")
def result(cluster: SparkEngine, omop: Dataset, tmp_path_factory: pytest.TempPathFactory) -> ScreenResult:
    out = tmp_path_factory.mktemp("spark-cluster-out") / "out"
    try:
        return run_screen(ScreenConfig(source=str(omop.folder), out=out, top_n=25), engine=cluster)
    finally:
        cluster.close()


def test_cluster_gives_duckdbs_answer(result: ScreenResult, omop: Dataset) -> None:
    duck = run_screen(ScreenConfig(source=str(omop.folder), top_n=25))
    check_planted(result, omop)
    same_result(result, duck)
    assert "spark://127.0.0.1:" in result.manifest["engine"]
    assert all(w["engine_decision"] and not w["engine_error"] for w in result.worklist[:25])
    check_attrition_adds_up(result)
    assert result.out is not None
    check_suppressed(result.out)


def test_cluster_malformed_value_named_and_nothing_written(cluster: SparkEngine, omop: Dataset,
                                                           tmp_path: Path) -> None:
    d = copy_omop(omop, tmp_path)
    set_value(d / "observation_period.csv", 5, "observation_period_end_date", "2019-13-45")
    try:
        err = expect_input_error(d, tmp_path, cluster)
    finally:
        cluster.close()
    assert err.problems[0].path == "observation_period.observation_period_end_date"
    assert "'2019-13-45'" in err.problems[0].message
