"""FHIR Bundle -> Case, side by side with fhir.resources (R4B) full-model validation.

Usage: python benchmarks/bench_fhir.py [BUNDLE.json] [--repeats N]
Default bundle: the largest Synthea bundle in ../shared/data/synthea-r4/bundles.
Prints the median (and min) of N repeats for: orjson.loads alone (the floor),
revspine bundle_to_case (orjson.loads + mapping + case validation), and
fhir.resources.R4B Bundle.model_validate_json; then the ratio.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson

from revspine.fhir import bundle_to_case
from revspine.knowledge import load_pack

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "synthea-r4" / "bundles"


def measure(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle", nargs="?")
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--model-repeats", type=int, default=5, help="repeats for the (slow) fhir.resources run")
    args = ap.parse_args()
    if args.bundle:
        path = Path(args.bundle)
    else:
        if not SHARED.is_dir():
            print(f"no bundle given and {SHARED} not found", file=sys.stderr)
            return 2
        path = max(SHARED.glob("*.json"), key=lambda p: p.stat().st_size)
    raw = path.read_bytes()
    pack = load_pack()
    today = date(2026, 11, 22)
    print(f"bundle: {path.name} ({len(raw) / 1e6:.2f} MB, {len(orjson.loads(raw)['entry'])} entries)")

    floor = measure(lambda: orjson.loads(raw), args.repeats)
    ours = measure(lambda: bundle_to_case(orjson.loads(raw), pack, today=today), args.repeats)
    from fhir.resources.R4B.bundle import Bundle

    theirs = measure(lambda: Bundle.model_validate_json(raw), args.model_repeats)
    print(f"{'orjson.loads alone (floor)':45s} median {floor[0]:8.2f} ms   min {floor[1]:8.2f} ms")
    print(f"{'revspine bundle_to_case (incl. orjson.loads)':45s} median {ours[0]:8.2f} ms   min {ours[1]:8.2f} ms")
    print(f"{'fhir.resources R4B Bundle.model_validate_json':45s} median {theirs[0]:8.2f} ms   "
          f"min {theirs[1]:8.2f} ms")
    print(f"ratio fhir.resources / revspine: {theirs[0] / ours[0]:.1f}x (target >= 10x); "
          f"revspine target < 30 ms: {'met' if ours[0] < 30 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
