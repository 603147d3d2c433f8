"""Screen benchmark: generate N synthetic OMOP persons (1 M by default, 5 M with --big), then time every stage of
the screen on DuckDB and on Spark local, with peak memory, persons per second, and the ratio of the full DuckDB
screen to a bare DuckDB scan that reads and decodes the same columns of the same tables (the floor, measured in the
same run; not a count(*), which Parquet answers from its metadata).

    .venv/bin/python benchmarks/bench_screen.py            # 1 M persons
    .venv/bin/python benchmarks/bench_screen.py --big      # 5 M persons
    .venv/bin/python benchmarks/bench_screen.py --persons 200000 --no-spark
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from revspine.screen.run import ScreenConfig, run_screen
from revspine.screen.source import find_tables
from revspine.screen.synth import synthesize


class PeakRSS:
    """Peak resident memory of this process and its children (JVM included), sampled from /proc; and the CPU
    seconds they used (a figure the load of a shared machine does not inflate, unlike the wall time)."""

    def __init__(self) -> None:
        self.peak = 0
        self._cpu: dict[int, float] = {}
        self._cpu0 = self._ticks(os.getpid())
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _ticks(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def _rss(self) -> int:
        total = 0
        me = os.getpid()
        for pid in [me, *self._children(me)]:
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                pass
            self._cpu[pid] = max(self._cpu.get(pid, 0.0), self._ticks(pid))
        return total

    @property
    def cpu(self) -> float:
        """CPU seconds of this process (since the start) and of its children (while they were seen)."""
        me = os.getpid()
        return sum(v for p, v in self._cpu.items() if p != me) + self._cpu.get(me, 0.0) - self._cpu0

    def _children(self, pid: int) -> list[int]:
        out: list[int] = []
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            return out
        for k in kids:
            out += [k, *self._children(k)]
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.05)

    def __enter__(self) -> PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def bare_scan(folder: Path) -> float:
    """Read every column the screen reads, in every table it reads, and hash the values (so nothing is skipped)."""
    import duckdb

    from revspine.screen.cdm import TABLES

    con = duckdb.connect()
    t = time.perf_counter()
    for name, tf in find_tables(folder).items():
        files = ", ".join(f"'{p}'" for p in tf.paths)
        reader = "read_parquet" if tf.format == "parquet" else "read_csv"
        desc = con.execute(f"SELECT * FROM {reader}([{files}]) LIMIT 0").description
        have = {d[0].lower() for d in desc}
        cols = [c for c, _ in (*TABLES[name].columns, *TABLES[name].optional_columns) if c in have]
        if cols:
            con.execute(f"SELECT SUM(HASH({', '.join(cols)})) FROM {reader}([{files}])").fetchone()
    return time.perf_counter() - t


def report(name: str, res: object, wall: float, persons: int, peak: int, cpu: float) -> None:
    timings = res.timings  # type: ignore[attr-defined]
    print(f"\n{name}: {wall:.2f} s wall, {persons / wall:,.0f} persons/s, peak RSS {peak / 2**30:.2f} GiB, "
          f"CPU {cpu:.1f} s (process and children), worklist {len(res.worklist):,}")  # type: ignore[attr-defined]
    for k, v in timings.items():
        print(f"  {k:<9} {v:8.2f} s")


def _count_assess_cpu() -> dict[str, float]:
    """Record the CPU seconds of the DuckDB engine's per-person assessments (they run in this process)."""
    from revspine.screen import engines

    used: dict[str, float] = {}
    plain = engines.DuckDBEngine.assess

    def timed(self: engines.DuckDBEngine, today: object) -> object:
        c = time.process_time()
        out = plain(self, today)  # type: ignore[arg-type]
        used["duckdb"] = time.process_time() - c
        return out

    engines.DuckDBEngine.assess = timed  # type: ignore[method-assign,assignment]
    return used


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--big", action="store_true", help="5 M persons")
    ap.add_argument("--top", type=int, default=5000)
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--keep", type=Path, help="Write the data here and keep it")
    args = ap.parse_args()
    n = 5_000_000 if args.big else args.persons
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-screen-"))
    data = root / "cdm"
    try:
        t = time.perf_counter()
        if not data.exists():
            synthesize(data, n, seed=1, fmt="parquet")
        print(f"generated {n:,} persons in {time.perf_counter() - t:.1f} s ({data})")
        floor = min(bare_scan(data) for _ in range(3))
        print(f"bare DuckDB scan reading the screen's columns: {floor:.3f} s (best of 3)")
        assess_cpu = _count_assess_cpu()
        with PeakRSS() as mem:
            t = time.perf_counter()
            duck = run_screen(ScreenConfig(source=str(data), top_n=args.top))
            wall = time.perf_counter() - t
        report("DuckDB", duck, wall, n, mem.peak, mem.cpu)
        duck_cpu = mem.cpu
        print(f"  load average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        screen_only = wall - duck.timings.get("assess", 0)
        print(f"  screen without the assessments: {screen_only:.2f} s = {screen_only / floor:.1f}x the bare scan; "
              f"full run {wall / floor:.1f}x; assessments of the top {args.top}: {duck.timings.get('assess', 0):.2f} s "
              f"wall, {assess_cpu.get('duckdb', 0):.1f} s CPU; screen without them: "
              f"{mem.cpu - assess_cpu.get('duckdb', 0):.1f} s CPU")
        if not args.no_spark:
            from revspine.screen.engines import SparkEngine

            with PeakRSS() as mem:
                t0 = time.perf_counter()
                eng = SparkEngine("local[2]", {"spark.driver.memory": "4g"})
                start = time.perf_counter() - t0
                t = time.perf_counter()
                spark = run_screen(ScreenConfig(source=str(data), top_n=args.top), engine=eng)
                swall = time.perf_counter() - t
                eng.close()
                eng.spark.stop()
            report("Spark local[2]", spark, swall, n, mem.peak, mem.cpu)
            print(f"  session start-up {start:.1f} s (not counted); Spark / DuckDB = {swall / wall:.1f}x wall, "
                  f"{mem.cpu / duck_cpu:.1f}x CPU (the CPU ratio is the one a loaded machine distorts least); "
                  f"load average now {os.getloadavg()[0]:.1f}")
            same_set = {w["person_id"] for w in spark.worklist} == {w["person_id"] for w in duck.worklist}
            same = [w["person_id"] for w in spark.worklist] == [w["person_id"] for w in duck.worklist]
            print(f"  same worklist rows (every column) as DuckDB: {spark.worklist == duck.worklist}")
            print(f"  same person set as DuckDB: {same_set}; same order: {same}; same attrition: "
                  f"{sorted(map(str, spark.inc_result)) == sorted(map(str, duck.inc_result))}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"\nmax RSS of this process (getrusage): {rss:.2f} GiB")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
