"""The two engines: DuckDB (embedded, the default) and Apache Spark (local or a cluster by master URL).

Both run the same SQL (written once for DuckDB, transpiled by sqlglot for Spark) and keep each step's
result as a table. Inputs are attached as ``src_<table>`` views with lower-case column names.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ..errors import InputError, Problem
from .cdm import TABLES, diagnose_sql, staging_sql
from .source import Source
from .sql import transpile

__all__ = ["Engine", "DuckDBEngine", "SparkEngine", "stage_tables", "PERSONS_PER_CALL"]

#: persons per call of the Spark engine's Python assessment function (the pandas/Arrow cost is paid per call)
PERSONS_PER_CALL = 250


class Engine(Protocol):
    dialect: str
    name: str

    def attach(self, source: Source) -> dict[str, list[str]]: ...
    def materialize(self, name: str, sql: str, count: bool = True) -> int: ...
    def rows(self, sql: str) -> list[dict[str, Any]]: ...
    def assess(self, today: date) -> list[dict[str, Any]]: ...
    def version(self) -> str: ...
    def close(self) -> None: ...


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class DuckDBEngine:
    dialect = "duckdb"
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB", threads: int | None = None) -> None:
        import duckdb

        self._duckdb = duckdb
        self.tmp = Path(tempfile.mkdtemp(prefix="revspine-screen-"))
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET temp_directory = {_sql_str(str(self.tmp / 'spill'))}")
        self.con.execute("SET preserve_insertion_order = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def version(self) -> str:
        return f"duckdb {self._duckdb.__version__}"

    def _view(self, table: str, from_sql: str) -> list[str]:
        cols = [d[0] for d in self.con.execute(f"SELECT * FROM {from_sql} LIMIT 0").description]
        select = ", ".join(f'"{c}" AS "{c.lower()}"' for c in cols)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT {select} FROM {from_sql}")
        return [c.lower() for c in cols]

    def attach(self, source: Source) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if source.kind == "folder":
            for name, tf in source.tables.items():
                files = "[" + ", ".join(_sql_str(str(p)) for p in tf.paths) + "]"
                if tf.format == "parquet":
                    out[name] = self._view(name, f"read_parquet({files})")
                else:
                    delim = "\t" if str(tf.paths[0]).endswith(".tsv") else ","
                    out[name] = self._view(name, f"read_csv({files}, header = true, all_varchar = true, "
                                                 f"delim = {_sql_str(delim)}, quote = '\"', escape = '\"')")
        elif source.kind == "duckdb":
            self.con.execute(f"ATTACH {_sql_str(source.location)} AS cdm (READ_ONLY)")
            found = self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'cdm' AND table_schema = ?",
                [source.schema]).fetchall()
            for (tname,) in found:
                if tname.lower() in TABLES:
                    out[tname.lower()] = self._view(tname.lower(), f'cdm."{source.schema}"."{tname}"')
        else:
            out = self._attach_postgres(source)
        return out

    def _attach_postgres(self, source: Source) -> dict[str, list[str]]:
        """Stream the columns the screen reads out of PostgreSQL (COPY ... CSV) into local files, then read them."""
        try:
            import psycopg
        except ImportError:
            raise InputError("reading PostgreSQL needs the psycopg driver", [Problem(
                "source", "pip install 'revspine[postgres]' (make test installs it; make run does not)")]) from None
        from sqlalchemy.engine import make_url

        url = make_url(source.location).set(drivername="postgresql")
        out: dict[str, list[str]] = {}
        try:
            conn = psycopg.connect(url.render_as_string(hide_password=False))
        except psycopg.OperationalError as exc:  # the message names host and user, never the password
            raise InputError("could not connect to the OMOP database", [Problem(
                "source", f"{source.describe()}: {str(exc).strip().splitlines()[0][:300]}")]) from None
        with conn:
            found = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                 "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
                                 (source.schema,)).fetchall()
            cols: dict[str, list[str]] = {}
            for t, c in found:
                cols.setdefault(t, []).append(c)
            for tname, tcols in cols.items():
                spec = TABLES.get(tname.lower())
                if spec is None:
                    continue
                wanted = {c for c, _ in (*spec.columns, *spec.optional_columns)}
                keep = [c for c in tcols if c.lower() in wanted] or tcols[:1]
                path = self.tmp / f"{tname.lower()}.csv"
                q = ", ".join(f'"{c}"' for c in keep)
                with path.open("wb") as f, conn.cursor().copy(
                        f'COPY (SELECT {q} FROM "{source.schema}"."{tname}") TO STDOUT WITH (FORMAT csv, HEADER)'
                ) as cp:
                    for chunk in cp:
                        f.write(chunk)
                out[tname.lower()] = self._view(
                    tname.lower(), f"read_csv([{_sql_str(str(path))}], header = true, all_varchar = true)")
        return out

    def materialize(self, name: str, sql: str, count: bool = True) -> int:
        """Keep the query's result as table ``name``; its row count (-1 when ``count`` is false)."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        if not count:
            return -1
        row = self.con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()
        return int(row[0]) if row else 0

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def assess(self, today: date) -> list[dict[str, Any]]:
        from .cases import assess_rows

        rows = self.rows("SELECT * FROM sc_case_rows ORDER BY person_id, kind, event_date, row_id")
        by: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            by.setdefault(int(r["person_id"]), []).append(r)
        return [assess_rows(pid, rs, today) for pid, rs in sorted(by.items())]

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class SparkEngine:
    dialect = "spark"
    name = "spark"

    def __init__(self, master: str = "local[2]", conf: dict[str, str] | None = None) -> None:
        import sys

        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        b = SparkSession.builder.master(master).appName("revspine-screen")
        defaults = {"spark.sql.ansi.enabled": "true", "spark.sql.shuffle.partitions": "4",
                    "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                    "spark.sql.session.timeZone": "UTC",
                    "spark.driver.memory": "1g", "spark.executor.memory": "1g",
                    "spark.sql.execution.arrow.pyspark.enabled": "true",
                    # the JVM's case mapping, not ICU's: the screen upper-cases ASCII codes, and ICU's first use
                    # costs ~10 CPU seconds of start-up (Spark 4)
                    "spark.sql.icu.caseMappings.enabled": "false",
                    "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
        for k, v in {**defaults, **(conf or {})}.items():
            b = b.config(k, v)
        self.spark = b.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")
        self._cached: list[Any] = []
        self._counts: dict[str, int] = {}

    def version(self) -> str:
        return f"spark {self.spark.version} ({self.spark.sparkContext.master})"

    def attach(self, source: Source) -> dict[str, list[str]]:
        if source.kind != "folder":
            raise InputError("the Spark engine reads a folder of CSV or Parquet files",
                             [Problem("source", f"{source.kind} sources are read by the DuckDB engine; export the "
                                                "tables to Parquet or CSV files in a folder every Spark worker "
                                                "reads (README: Screening a health system)")])
        out: dict[str, list[str]] = {}
        for name, tf in source.tables.items():
            paths = [str(p) for p in tf.paths]
            if tf.format == "parquet":
                df = self.spark.read.parquet(*paths)
            else:
                from pyspark.sql.types import StringType, StructField, StructType

                sep = "\t" if paths[0].endswith(".tsv") else ","
                # the header read here, not by a Spark job per table; every column as text (staging casts it)
                schema = StructType([StructField(c, StringType()) for c in _csv_header(tf.paths[0], sep)])
                df = self.spark.read.csv(paths, header=True, sep=sep, quote='"', escape='"', schema=schema,
                                         enforceSchema=True)
            df = df.toDF(*[c.lower() for c in df.columns])
            df.createOrReplaceTempView(f"src_{name}")
            out[name] = list(df.columns)
        return out

    def materialize(self, name: str, sql: str, count: bool = True) -> int:
        # A local checkpoint keeps the rows in the executors and cuts the lineage: later steps plan against the
        # stored rows, not against the whole chain of queries before them (whose plan text grows past the heap).
        df = self.spark.sql(transpile(sql, "spark")).localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)
        self._cached.append(df)
        n = int(df.count()) if count else -1
        self._counts[name] = n
        return n

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in self.spark.sql(transpile(sql, "spark")).collect()]

    def assess(self, today: date) -> list[dict[str, Any]]:
        """The engine runs inside the executors (applyInPandas), on buckets of persons rather than one group per
        person: a few hundred persons per call, and at least two buckets per core so that every core works."""
        from pyspark.sql import functions as F

        from .cases import RESULT_COLUMNS, assess_group

        schema = ", ".join(f"{c} {'bigint' if c == 'person_id' else 'string'}" for c in RESULT_COLUMNS)
        persons = self._counts.get("sc_top", -1)
        if persons < 0:
            persons = self.spark.table("sc_top").count()
        cores = max(self.spark.sparkContext.defaultParallelism, 1)
        buckets = max(2 * cores, -(-persons // PERSONS_PER_CALL))
        df = self.spark.table("sc_case_rows").withColumn(
            "assess_bucket", F.pmod(F.xxhash64("person_id"), F.lit(buckets)))

        def run(pdf: Any) -> Any:
            return assess_group(pdf.drop(columns=["assess_bucket"]), today)

        out = df.groupBy("assess_bucket").applyInPandas(run, schema=schema)
        return sorted((r.asDict() for r in out.collect()), key=lambda r: int(r["person_id"]))

    def close(self) -> None:
        for df in self._cached:
            df.unpersist()
        self._cached = []
        self._counts = {}
        for t in self.spark.catalog.listTables():
            if t.isTemporary:
                self.spark.catalog.dropTempView(t.name)


def stage_tables(engine: Engine, attached: dict[str, list[str]]) -> set[str]:
    """Check the tables and columns, then cast them (``stg_<table>``); a clear error names table and column."""
    problems: list[Problem] = []
    for name, spec in TABLES.items():
        cols = attached.get(name)
        if cols is None:
            if spec.required:
                problems.append(Problem(name, f"required OMOP CDM table '{name}' is missing"))
            continue
        for col, _typ in spec.columns:
            if col not in cols:
                problems.append(Problem(f"{name}.{col}", f"table '{name}' has no column '{col}'"))
    if problems:
        raise InputError("the OMOP input is incomplete", problems)
    present = set(attached)
    for name in sorted(present):
        spec = TABLES[name]
        try:
            engine.materialize(f"stg_{name}", staging_sql(spec, set(attached[name])), count=False)
        except InputError:
            raise
        except Exception as exc:
            bad: list[Problem] = []
            for col, typ in (*spec.columns, *spec.optional_columns):
                if col not in attached[name] or typ == "VARCHAR":
                    continue
                try:
                    vals = engine.rows(diagnose_sql(spec, col, typ))
                except Exception:  # noqa: BLE001 - keep looking at the other columns
                    continue
                if vals:
                    shown = ", ".join(repr(v["v"]) for v in vals)
                    bad.append(Problem(f"{name}.{col}", f"values that are not {typ.lower()}: {shown}"))
            if not bad:
                bad.append(Problem(name, f"could not be read: {str(exc).splitlines()[0][:300]}"))
            raise InputError(f"malformed OMOP table '{name}'", bad) from None
    return present


def _csv_header(path: Path, sep: str) -> list[str]:
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f, delimiter=sep), [])


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
