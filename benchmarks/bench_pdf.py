"""Benchmark: the chart PDF (two pages) and the full report PDF of every example case, against the HTML page.

    .venv/bin/python benchmarks/bench_pdf.py [--rounds 3] [--only 07] [--no-full]

For each example case: the median wall time to render the chart copy and the full report to PDF
(WeasyPrint), and the ratio of each to rendering the same assessment's HTML page (the
``_assessment.html`` partial, the floor measured in the same run). Then the median and p99 of
the chart PDF over every case and round, against the target (median under 1 s on a 2-core
machine). Thread CPU time is printed beside wall time: on a shared machine the wall clock also
measures other processes (the load average printed first says how busy the machine was).
Run on demand; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime

from revspine import assess, load_pack, parse_case
from revspine.cli.main import example_paths, read_case_file
from revspine.report import assessment_pdf, chart_pdf
from revspine.views import AssessmentView, build_assessment_view, render
from revspine.views.chart import ChartHeaderView

TARGET_CHART_MEDIAN_S = 1.0
TODAY = date(2026, 11, 22)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall s, thread CPU s) of one call."""
    wall, cpu = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - wall, time.thread_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each document is rendered per case")
    parser.add_argument("--only", default="", help="only the example cases whose file name starts with this")
    parser.add_argument("--no-full", action="store_true",
                        help="skip the full report PDF (about 10 s per render): the chart PDF and the page only")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    pack = load_pack()
    paths = [p for p in example_paths() if p.stem.startswith(args.only)]
    # warm up: fonts, WeasyPrint's style sheets, the template cache
    first = parse_case(read_case_file(paths[0]), pack, today=TODAY)
    warm = build_assessment_view(assess(first, pack), first, "Warm Up", pack=pack)
    chart_pdf(warm, _head(warm, first.patient.age))
    all_chart: list[float] = []
    print(f"{'case':40} {'html ms':>8} {'chart s':>8} {'cpu s':>6} {'×html':>6} {'full s':>7} {'cpu s':>6} "
          f"{'×html':>6}")
    for path in paths:
        case = parse_case(read_case_file(path), pack, today=TODAY)
        view = build_assessment_view(assess(case, pack), case, "Bench Patient", "1", pack=pack)
        head = _head(view, case.patient.age)

        def page(v: AssessmentView = view) -> object:
            return render("_assessment.html", view=v)

        def chart_doc(v: AssessmentView = view, h: ChartHeaderView = head) -> object:
            return chart_pdf(v, h)

        def full_doc(v: AssessmentView = view) -> object:
            return assessment_pdf(v)

        html = [timed(page) for _ in range(max(5, args.rounds))]
        chart = [timed(chart_doc) for _ in range(args.rounds)]
        full = [(float("nan"), float("nan"))] if args.no_full else [timed(full_doc) for _ in range(args.rounds)]
        h = statistics.median(w for w, _ in html)
        c, cc = statistics.median(w for w, _ in chart), statistics.median(c for _, c in chart)
        f, fc = statistics.median(w for w, _ in full), statistics.median(c for _, c in full)
        all_chart += [w for w, _ in chart]
        print(f"{path.stem:40} {h * 1000:8.1f} {c:8.3f} {cc:6.3f} {c / h:6.0f} {f:7.3f} {fc:6.3f} {f / h:6.0f}")
    med, p99 = statistics.median(all_chart), percentile(all_chart, 0.99)
    print(f"chart PDF over {len(all_chart)} renders: median {med:.3f} s, p99 {p99:.3f} s, "
          f"median/target {med / TARGET_CHART_MEDIAN_S:.2f}")
    return 0


def _head(view: AssessmentView, age: int | None) -> ChartHeaderView:
    return ChartHeaderView(
        patient_name="Bench Patient", age=age, sex=None, mrn="MRN-0", birth_date=None, clinician="bench",
        assessment_date=view.assessment_date, printed_at=datetime.now().astimezone(), engine=view.versions.engine,
        knowledge=f"{view.versions.knowledge_id} {view.versions.knowledge}",
    )


if __name__ == "__main__":
    sys.exit(main())
