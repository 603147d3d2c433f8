"""Run a screen: attach the OMOP input, run the compiled steps on the chosen engine, assess the top of the
worklist with the engine, and write every output at once (nothing is written when a stage fails)."""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.screen import ScreenDefinition
from ..version import __version__
from .concepts import code_rows, name_rows
from .engines import DuckDBEngine, Engine, SparkEngine, stage_tables, write_csv
from .source import checksum, parse_source
from .sql import Rule, pipeline, rules

__all__ = ["ScreenConfig", "ScreenResult", "run_screen", "get_screen", "STAGES", "WORKLIST_COLUMNS", "CASES_DIR",
           "suppress", "inclusion_stats"]

CASES_DIR = "cases"  # one FHIR R4 Bundle per assessed person: <person_id>.json
STAGES = ("read", "concepts", "events", "index", "evidence", "cohort", "assess", "write")
WORKLIST_COLUMNS = [
    "rank", "person_id", "priority", "priority_terms", "fast_lane", "red_flags", "index_operation_code",
    "index_date", "days_since_surgery", "follow_up_days", "evidence", "rules_fired", "excluded_by",
    "last_pain_score", "last_pain_date", "opioid_days", "suggested_next_step", "engine_lead", "engine_lead_label",
    "engine_decision", "engine_red_flags", "case_missing", "engine_error", "screen_version", "knowledge_version",
    "engine_version",
]
Progress = Callable[[str, str], None]


@dataclass
class ScreenConfig:
    source: str
    out: Path | None = None
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    spark_conf: dict[str, str] = field(default_factory=dict)
    schema: str | None = None
    screen_id: str = "fbss"
    top_n: int = 100
    as_of: date | None = None
    review_per_stratum: int = 10
    seed: int = 13
    memory_limit: str = "2GB"
    overwrite: bool = False


@dataclass
class ScreenResult:
    worklist: list[dict[str, Any]]
    rules: list[Rule]
    inc_result: list[dict[str, Any]]  # raw mask counts (not suppressed)
    summary: list[dict[str, Any]]
    manifest: dict[str, Any]
    timings: dict[str, float]
    out: Path | None = None
    #: person_id -> the FHIR R4 Bundle (JSON) built from the person's OMOP rows, for each assessed person
    bundles: dict[int, str] = field(default_factory=dict)


def get_screen(pack: KnowledgePack, screen_id: str) -> ScreenDefinition:
    screens: dict[str, ScreenDefinition] = pack.sections.get("screens", {})
    if screen_id not in screens:
        raise InputError("unknown screen", [Problem("screen", f"'{screen_id}'; known: {', '.join(sorted(screens))}")])
    return screens[screen_id]


def suppress(n: int, min_cell: int) -> str | int:
    """Counts from 1 to min_cell - 1 become '<min_cell'; zero may be shown."""
    return f"<{min_cell}" if 0 < n < min_cell else n


def inclusion_stats(masks: dict[int, int], n_rules: int) -> tuple[list[dict[str, Any]], int, int]:
    """CohortGenerator's per-rule statistics from the mask counts: (stats, base count, final count)."""
    total = sum(masks.values())
    full = 2 ** n_rules - 1
    stats = []
    for i in range(n_rules):
        bit = 2 ** i
        stats.append({"rule_sequence": i, "person_count": sum(c for m, c in masks.items() if m & bit),
                      "gain_count": sum(c for m, c in masks.items() if (m | bit) == full and not m & bit),
                      "person_total": total})
    return stats, total, masks.get(full, 0)


def _iso(d: Any) -> str | None:
    if d is None:
        return None
    return d.isoformat()[:10] if hasattr(d, "isoformat") else str(d)[:10]


def _next_step(row: dict[str, Any]) -> str:
    if row["fast_lane"]:
        return f"Urgent review today: red flag after spine surgery ({row['red_flags']})"
    if row.get("engine_decision"):
        return str(row.get("engine_decision_summary") or row["engine_decision"])
    return "Clinic review with the revspine assessment: confirm the failure and complete the work-up"


def _worklist(raw: list[dict[str, Any]], screen: ScreenDefinition, engine: Engine, pack: KnowledgePack,
              rule_list: list[Rule]) -> list[dict[str, Any]]:
    points: dict[str, int] = {}
    for p in screen.priority:
        points[p.evidence] = points.get(p.evidence, 0) + p.points
    out = []
    for r in raw:
        fired = [e for e in screen.evidence if int(r[f"f_ev_{e.id}"] or 0) == 1]
        terms = [(e.id, points.get(e.id, 0)) for e in fired if points.get(e.id, 0)]
        mask = int(r["inclusion_mask"])
        excluded = [x.id for x in screen.exclusions if int(r[f"ex_{x.id}"] or 0) == 1]
        failed = [ru.id for ru in rule_list if not mask & (2 ** ru.sequence)]
        red = [e.label for e in fired if e.red_flag]
        days_opioid = next((int(r[f"days_{e.id}"] or 0) for e in screen.evidence if e.kind == "days_supply_at_least"),
                           0)
        out.append({
            "person_id": int(r["person_id"]),
            "priority": sum(p for _, p in terms),
            "priority_terms": "; ".join(f"{eid} +{p}" for eid, p in terms),
            "fast_lane": bool(int(r["red_flag"])),
            "red_flags": "; ".join(red),
            "index_operation_code": r["index_code"],
            "index_date": _iso(r["index_date"]),
            "days_since_surgery": int(r["days_since_surgery"]),
            "follow_up_days": int(r["follow_up_days"]),
            "evidence": "; ".join(f"{e.id}@day{int(r[f'day_{e.id}'])}" for e in fired
                                  if r.get(f"day_{e.id}") is not None),
            "rules_fired": "; ".join(f"{screen.id}.{e.id}" for e in fired),
            "excluded_by": "; ".join(excluded + [f for f in failed if not f.startswith("no_")]),
            "last_pain_score": r.get("last_pain_score"),
            "last_pain_date": _iso(r.get("last_pain_date")),
            "opioid_days": days_opioid,
        })
    out.sort(key=lambda x: (-int(x["fast_lane"]), -x["priority"], x["person_id"]))
    for i, row in enumerate(out, 1):
        row["rank"] = i
        row["screen_version"] = f"{screen.id}@{screen.version}"
        row["knowledge_version"] = pack.version
        row["engine_version"] = __version__
    return out


def _make_engine(cfg: ScreenConfig) -> Engine:
    if cfg.engine == "duckdb":
        return DuckDBEngine(memory_limit=cfg.memory_limit)
    if cfg.engine == "spark":
        return SparkEngine(cfg.spark_master, cfg.spark_conf)
    raise InputError("unknown engine", [Problem("engine", f"'{cfg.engine}'; use duckdb or spark")])


def _check_out(cfg: ScreenConfig) -> None:
    if cfg.out is not None and cfg.out.exists() and any(cfg.out.iterdir()) and not cfg.overwrite:
        raise InputError("the output folder is not empty",
                         [Problem("out", f"{cfg.out} has files; choose an empty folder or pass --overwrite")])


def run_screen(cfg: ScreenConfig, pack: KnowledgePack | None = None, progress: Progress | None = None,
               engine: Engine | None = None) -> ScreenResult:
    from ..settings import configured_pack

    pack = pack or configured_pack()
    screen = get_screen(pack, cfg.screen_id)
    _check_out(cfg)
    say = progress or (lambda stage, detail: None)
    source = parse_source(cfg.source, cfg.schema)
    timings: dict[str, float] = {}
    own = engine is None
    eng = engine or _make_engine(cfg)
    t0 = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[stage] = round(now - t0, 3)
        t0 = now

    try:
        say("read", source.describe())
        attached = eng.attach(source)
        present = stage_tables(eng, attached)
        as_of = cfg.as_of or _as_of(eng)
        cdm = _cdm_info(eng, present)
        lap("read")
        codes, names = code_rows(screen, pack), name_rows(screen, pack)
        steps = {s.name: s for s in pipeline(screen, codes, names, present, as_of)}
        counts: dict[str, int] = {}
        stage_of = {"sc_codes": "concepts", "sc_names": "concepts", "sc_concept_base": "concepts",
                    "sc_concept_ids": "concepts", "sc_match_keys": "concepts",
                    "sc_events": "events", "sc_index": "index", "sc_evidence": "evidence", "sc_features": "evidence",
                    "sc_person": "cohort", "sc_worklist": "cohort"}
        current = None
        for name, step in steps.items():
            st = stage_of[name]
            if st != current:
                if current is not None:
                    lap(current)
                current = st
                say(st, name)
            counts[name] = eng.materialize(name, step.sql)
        pain = next((e for e in screen.evidence if e.kind in ("value_at_least",) and "pain" in e.concept_set), None)
        raw = eng.rows(_worklist_query(pain.concept_set if pain else None, pain.window.start if pain else 0))
        rule_list = rules(screen)
        masks_p = {int(r["m"]): int(r["n"]) for r in eng.rows(
            "SELECT inclusion_mask AS m, COUNT(*) AS n FROM sc_person GROUP BY inclusion_mask")}
        masks_e = {int(r["m"]): int(r["n"]) for r in eng.rows(
            "SELECT inclusion_mask AS m, COUNT(*) AS n FROM sc_features GROUP BY inclusion_mask")}
        worklist = _worklist(raw, screen, eng, pack, rule_list)
        lap(current or "cohort")
        say("assess", f"top {min(cfg.top_n, len(worklist))} of {len(worklist)}")
        top = [w["person_id"] for w in worklist[: max(cfg.top_n, 0)]]
        results: dict[int, dict[str, Any]] = {}
        if top:
            ids = ", ".join(f"({int(p)})" for p in top)
            eng.materialize("sc_top",
                            f"SELECT CAST(person_id AS BIGINT) AS person_id FROM (VALUES {ids}) AS t(person_id)")
            from .cases import case_rows_sql

            eng.materialize("sc_case_rows", case_rows_sql(present))
            results = {int(r["person_id"]): r for r in eng.assess(as_of)}
        for w in worklist:
            r = results.get(w["person_id"], {})
            for k in ("engine_lead", "engine_lead_label", "engine_decision", "engine_red_flags", "case_missing",
                      "engine_error"):
                w[k] = r.get(k)
            w["engine_decision_summary"] = r.get("engine_decision_summary")
            w["suggested_next_step"] = _next_step(w)
        lap("assess")
        inc_result = [{"inclusion_rule_mask": m, "person_count": c, "mode_id": 1} for m, c in sorted(masks_p.items())]
        inc_result += [{"inclusion_rule_mask": m, "person_count": c, "mode_id": 0} for m, c in sorted(masks_e.items())]
        summary = []
        for mode, masks in ((1, masks_p), (0, masks_e)):
            _, base, final = inclusion_stats(masks, len(rule_list))
            summary.append({"mode_id": mode, "base_count": base, "final_count": final})
        manifest = {
            "screen": {"id": screen.id, "version": screen.version, "label": screen.label},
            "knowledge": {"id": pack.info.id, "version": pack.version, "sources": pack.sources},
            "revspine_version": __version__,
            "engine": eng.version(),
            "python": platform.python_version(),
            "source": {"kind": source.kind, "location": source.describe(),
                       "tables": sorted(present),
                       "checksums": {n: checksum(tf.paths) for n, tf in sorted(source.tables.items())},
                       "vocabulary": "concept ids from the vocabulary tables and source codes" if "concept" in present
                       else "source codes only (no vocabulary tables)"},
            "cdm": cdm,
            "as_of": as_of.isoformat(),
            "parameters": {"top_n": cfg.top_n, "min_days_since_surgery": screen.timing.min_days_since_surgery,
                           "min_follow_up_days": screen.timing.min_follow_up_days,
                           "min_cell_count": screen.suppression.min_cell_count, "seed": cfg.seed},
            "row_counts": counts,
            "worklist": {"persons": len(worklist), "fast_lane": sum(1 for w in worklist if w["fast_lane"]),
                         "assessed": len(results)},
        }
        bundles = {pid: str(r["case_bundle"]) for pid, r in results.items() if r.get("case_bundle")}
        result = ScreenResult(worklist, rule_list, inc_result, summary, manifest, timings, bundles=bundles)
        if cfg.out is not None:
            say("write", str(cfg.out))
            manifest["timings_seconds"] = timings
            write_outputs(cfg, screen, result)
            lap("write")
            result.out = cfg.out
        manifest["timings_seconds"] = timings
        return result
    finally:
        if own:
            eng.close()


def _worklist_query(pain_set: str | None, pain_start: int) -> str:
    if pain_set is None:
        return ("SELECT w.*, CAST(NULL AS DOUBLE) AS last_pain_score, CAST(NULL AS DATE) AS last_pain_date "
                "FROM sc_worklist w")
    return (
        "SELECT w.*, p.value AS last_pain_score, p.event_date AS last_pain_date FROM sc_worklist w LEFT JOIN ("
        "SELECT person_id, value, event_date FROM (SELECT e.person_id, e.value, e.event_date, ROW_NUMBER() OVER ("
        "PARTITION BY e.person_id ORDER BY e.event_date DESC, e.value DESC) AS rn FROM sc_events e "
        f"JOIN sc_worklist w2 ON w2.person_id = e.person_id WHERE e.concept_set = '{pain_set}' "
        f"AND e.value IS NOT NULL AND DATE_DIFF('day', w2.index_date, e.event_date) >= {int(pain_start)}) x "
        "WHERE rn = 1) p ON p.person_id = w.person_id")


def _as_of(eng: Engine) -> date:
    r = eng.rows("SELECT MAX(observation_period_end_date) AS d FROM stg_observation_period")
    d = r[0]["d"] if r else None
    if d is None:
        raise InputError("no observation period has an end date", [Problem("observation_period", "empty")])
    return d if isinstance(d, date) else date.fromisoformat(str(d)[:10])


def _cdm_info(eng: Engine, present: set[str]) -> dict[str, Any]:
    if "cdm_source" not in present:
        return {"cdm_version": None, "vocabulary_version": None}
    r = eng.rows("SELECT cdm_version, vocabulary_version, cdm_source_name FROM stg_cdm_source")
    return dict(r[0]) if r else {"cdm_version": None, "vocabulary_version": None}


def write_outputs(cfg: ScreenConfig, screen: ScreenDefinition, result: ScreenResult) -> None:
    """Write every file into a fresh folder next to the target, then move it into place in one step."""
    assert cfg.out is not None
    out = cfg.out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write_all(tmp, cfg, screen, result)
        if out.exists():
            if any(out.iterdir()) and not cfg.overwrite:
                raise InputError("the output folder is not empty", [Problem("out", str(out))])
            backup = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(backup)
            tmp.rename(out)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_all(d: Path, cfg: ScreenConfig, screen: ScreenDefinition, result: ScreenResult) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .circe import circe_json, describe

    mc = screen.suppression.min_cell_count
    wl = result.worklist
    write_csv(d / "worklist.csv", wl, WORKLIST_COLUMNS)
    table = pa.table({c: [w.get(c) for w in wl] for c in WORKLIST_COLUMNS}) if wl else pa.table(
        {c: pa.array([], pa.string()) for c in WORKLIST_COLUMNS})
    pq.write_table(table, d / "worklist.parquet")
    cid = 1
    write_csv(d / "cohort_inclusion.csv", [
        {"cohort_definition_id": cid, "rule_sequence": r.sequence, "name": r.name, "description": r.description}
        for r in result.rules], ["cohort_definition_id", "rule_sequence", "name", "description"])
    write_csv(d / "cohort_inc_result.csv", [
        {"cohort_definition_id": cid, "inclusion_rule_mask": r["inclusion_rule_mask"],
         "person_count": suppress(r["person_count"], mc), "mode_id": r["mode_id"]} for r in result.inc_result],
        ["cohort_definition_id", "inclusion_rule_mask", "person_count", "mode_id"])
    stats_rows: list[dict[str, Any]] = []
    attrition: list[dict[str, Any]] = []
    for mode in (1, 0):
        masks = {r["inclusion_rule_mask"]: r["person_count"] for r in result.inc_result if r["mode_id"] == mode}
        stats, base, _final = inclusion_stats(masks, len(result.rules))
        for s in stats:
            stats_rows.append({"cohort_definition_id": cid, "rule_sequence": s["rule_sequence"],
                               "person_count": suppress(s["person_count"], mc),
                               "gain_count": suppress(s["gain_count"], mc),
                               "person_total": suppress(s["person_total"], mc), "mode_id": mode})
        remaining = base
        for ru in result.rules:
            need = sum(2 ** k for k in range(ru.sequence + 1))
            left = sum(c for m, c in masks.items() if m & need == need)
            attrition.append({"mode_id": mode, "rule_sequence": ru.sequence, "rule": ru.id, "name": ru.name,
                              "remaining": suppress(left, mc), "removed": suppress(remaining - left, mc)})
            remaining = left
    write_csv(d / "cohort_inc_stats.csv", stats_rows,
              ["cohort_definition_id", "rule_sequence", "person_count", "gain_count", "person_total", "mode_id"])
    write_csv(d / "cohort_summary_stats.csv", [
        {"cohort_definition_id": cid, "base_count": suppress(s["base_count"], mc),
         "final_count": suppress(s["final_count"], mc), "mode_id": s["mode_id"]} for s in result.summary],
        ["cohort_definition_id", "base_count", "final_count", "mode_id"])
    write_csv(d / "attrition.csv", attrition, ["mode_id", "rule_sequence", "rule", "name", "remaining", "removed"])
    write_csv(d / "review_sample.csv", review_sample(wl, cfg.review_per_stratum, cfg.seed),
              ["stratum", "person_id", "rank", "priority", "evidence", "index_date", "reviewer_confirms_fbss",
               "reviewer_notes"])
    (d / "cohort_definition.json").write_text(json.dumps(circe_json(screen), indent=2), encoding="utf-8")
    (d / "cohort_definition.md").write_text(describe(screen), encoding="utf-8")
    (d / "manifest.json").write_text(json.dumps(result.manifest, indent=2, default=str), encoding="utf-8")
    if result.bundles:
        cases = d / CASES_DIR
        cases.mkdir()
        for pid, bundle in sorted(result.bundles.items()):
            (cases / f"{int(pid)}.json").write_text(bundle, encoding="utf-8")


def stratum_of(row: dict[str, Any]) -> str:
    if row["fast_lane"]:
        return "red_flag"
    ev = row["rules_fired"]
    for key in ("implant_complication", "fusion_failure", "fbss_code", "reoperation", "revision_code"):
        if f".{key}" in ev:
            return "coded_failure"
    if "crp_raised" in ev or "esr_raised" in ev:
        return "inflammatory_markers"
    return "pain_or_opioids_only"


def review_sample(worklist: list[dict[str, Any]], per_stratum: int, seed: int) -> list[dict[str, Any]]:
    """A seeded random sample per evidence stratum, for chart review to estimate the screen's PPV by stratum."""
    rng = random.Random(seed)
    by: dict[str, list[dict[str, Any]]] = {}
    for w in worklist:
        by.setdefault(stratum_of(w), []).append(w)
    out = []
    for stratum in sorted(by):
        rows = sorted(by[stratum], key=lambda r: r["person_id"])
        pick = rng.sample(rows, min(per_stratum, len(rows)))
        for w in sorted(pick, key=lambda r: r["person_id"]):
            out.append({"stratum": stratum, "person_id": w["person_id"], "rank": w["rank"], "priority": w["priority"],
                        "evidence": w["evidence"], "index_date": w["index_date"], "reviewer_confirms_fbss": "",
                        "reviewer_notes": ""})
    return out
