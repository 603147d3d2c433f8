"""`revspine screen ...`: screen an OMOP CDM (DuckDB or Spark), generate synthetic OMOP data, export the definition."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import InputError, Problem, RevspineError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    screen_app = typer.Typer(help="Screen an OMOP CDM for failed spine surgery (DuckDB by default, or Spark).",
                             no_args_is_help=True)

    @screen_app.command("run")
    def run_cmd(
        source: Annotated[str, typer.Argument(help="Folder of CSV/Parquet OMOP tables, a .duckdb file, or "
                                                   "postgresql://user@host/db")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the worklist, attrition and manifest")],
        engine: Annotated[str, typer.Option(help="duckdb (embedded) or spark")] = "duckdb",
        master: Annotated[str, typer.Option(help="Spark master URL (local[*], spark://host:7077, yarn...)")] =
        "local[*]",
        spark_conf: Annotated[list[str] | None, typer.Option(
            "--spark-conf", help="A Spark setting KEY=VALUE (repeat it), e.g. spark.executor.memory=8g")] = None,
        schema: Annotated[str | None, typer.Option(help="Database schema of the CDM tables")] = None,
        top: Annotated[int, typer.Option(help="Assess the top N patients of the worklist with the engine")] = 100,
        as_of: Annotated[str | None, typer.Option("--as-of", help="Screen date (default: last observation day)")]
        = None,
        review: Annotated[int, typer.Option(help="Chart-review sample size per stratum")] = 10,
        seed: Annotated[int, typer.Option(help="Seed of the review sample")] = 13,
        screen: Annotated[str, typer.Option(help="Screen definition id in the knowledge pack")] = "fbss",
        memory_limit: Annotated[str, typer.Option(help="DuckDB memory limit")] = "2GB",
        overwrite: Annotated[bool, typer.Option(help="Replace the files of a non-empty --out folder")] = False,
    ) -> None:
        """Run the screen; print the attrition and the top of the worklist."""
        from ..screen.run import STAGES, ScreenConfig, run_screen

        console = Console(stderr=True)
        conf: dict[str, str] = {}
        for item in spark_conf or []:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                from .main import _fail

                _fail(InputError("a Spark setting is KEY=VALUE", [Problem("--spark-conf", repr(item))]))
                return
            conf[key.strip()] = value.strip()
        cfg = ScreenConfig(source=source, out=out, engine=engine, spark_master=master, spark_conf=conf, schema=schema,
                           top_n=top,
                           as_of=date.fromisoformat(as_of) if as_of else None, review_per_stratum=review, seed=seed,
                           screen_id=screen, memory_limit=memory_limit, overwrite=overwrite)
        columns = (SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(),
                   TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            tasks = {s: bar.add_task(s, total=1, start=False, detail="") for s in STAGES}
            state: dict[str, str | None] = {"current": None}

            def progress(stage: str, detail: str) -> None:
                cur = state["current"]
                if cur is not None and cur != stage:
                    bar.update(tasks[cur], completed=1)
                if stage in tasks:
                    bar.start_task(tasks[stage])
                    bar.update(tasks[stage], detail=detail)
                state["current"] = stage

            try:
                result = run_screen(cfg, progress=progress)
            except RevspineError as exc:
                bar.stop()
                from .main import _fail

                _fail(exc)
                return
            for t in tasks.values():
                bar.update(t, completed=1)
        out_console = Console()
        tbl = Table(title=f"Worklist: {len(result.worklist)} persons ({result.manifest['worklist']['fast_lane']} "
                          "in the red-flag fast lane)")
        for c in ("rank", "person", "priority", "index date", "evidence", "engine"):
            tbl.add_column(c)
        for w in result.worklist[:15]:
            tbl.add_row(str(w["rank"]), str(w["person_id"]), f"{w['priority']}{' RED' if w['fast_lane'] else ''}",
                        w["index_date"], w["evidence"], str(w.get("engine_decision") or ""))
        out_console.print(tbl)
        out_console.print(f"Outputs in {out}: worklist.csv/.parquet, attrition.csv, cohort_inc_*.csv, manifest.json, "
                          "review_sample.csv, cohort_definition.json/.md")
        out_console.print("Stage times (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))

    @screen_app.command("synth")
    def synth_cmd(
        out: Annotated[Path, typer.Argument(help="Folder to write the OMOP tables to")],
        persons: Annotated[int, typer.Option(help="Number of synthetic persons")] = 10_000,
        seed: Annotated[int, typer.Option(help="Random seed")] = 7,
        fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
        base: Annotated[Path | None, typer.Option(help="An OMOP folder whose rows are kept and added to")] = None,
    ) -> None:
        """Write seeded synthetic OMOP patients with planted failure patterns (synth_truth.csv lists them)."""
        from ..screen.synth import synthesize

        counts = synthesize(out, persons, seed=seed, fmt=fmt, base=base)
        typer.echo(json.dumps(counts, indent=2))

    @screen_app.command("export")
    def export_cmd(
        what: Annotated[str, typer.Argument(help="circe (ATLAS cohort JSON) or text (plain-language description)")]
        = "circe",
        screen: Annotated[str, typer.Option(help="Screen definition id")] = "fbss",
    ) -> None:
        """Print the screen definition as an ATLAS cohort definition or as plain language."""
        from ..screen.circe import circe_json, describe
        from ..screen.run import get_screen
        from ..settings import configured_pack

        pack = configured_pack()
        try:
            sd = get_screen(pack, screen)
        except RevspineError as exc:
            from .main import _fail

            _fail(exc)
            return
        typer.echo(json.dumps(circe_json(sd, pack), indent=2) if what == "circe" else describe(sd, pack))

    app.add_typer(screen_app, name="screen")
