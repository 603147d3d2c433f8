"""Seeded synthetic OMOP CDM patients with planted failed-spine-surgery patterns, at any size.

Most persons are ordinary (conditions, pain scores, short opioid courses, back pain without surgery); a
documented fraction had spine surgery that went well, a fraction carries one failure pattern each, and a
fraction are decoys the screen must leave out (too recent, too short a follow-up, tumour, trauma, a hip
implant complication without spine surgery). ``synth_truth.csv`` says, for each non-ordinary person, the
pattern and whether the screen must list them.

The codes are real (ICD-10-CM, CPT, ICD-10-PCS, SNOMED CT, LOINC, RxNorm); their concept ids are local
(2,000,000,000 and up, the OMOP range for site concepts), written to ``concept.csv`` with the rows.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["PATTERNS", "Pattern", "synthesize"]

END = date(2025, 12, 31)
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Pattern:
    id: str
    share: float  # fraction of persons
    listed: bool  # must the screen put them on the worklist?
    fast_lane: bool
    what: str


PATTERNS: tuple[Pattern, ...] = (
    Pattern("spine_ok", 0.015, False, False, "spine operation, follow-up without any sign of failure"),
    Pattern("fbss_code", 0.002, True, False, "M96.1 coded 8 months after the operation"),
    Pattern("implant", 0.0015, True, False, "T84.216 (broken fixation of vertebrae) after the operation"),
    Pattern("pseudarthrosis", 0.001, True, False, "M96.0 a year after a fusion"),
    Pattern("reoperation", 0.0015, True, False, "a second spine operation 10 months after the first"),
    Pattern("pain_code", 0.002, True, False, "low back pain coded 6 months after the operation"),
    Pattern("pain_score", 0.001, True, False, "pain score 7 of 10 at 7 months"),
    Pattern("opioid", 0.0015, True, False, "120 days of oxycodone from month 4"),
    Pattern("crp", 0.0005, True, False, "CRP 45 mg/L 4 months after the operation"),
    Pattern("infection_late", 0.0005, True, True, "implant infection T84.63 at 13 months"),
    Pattern("infection_early", 0.0005, True, True, "surgical site infection T81.4 at day 12, operation 20 days ago"),
    Pattern("decoy_recent", 0.003, False, False, "M96.1 coded, but the operation was 40 days before the data end"),
    Pattern("decoy_short", 0.001, False, False, "M96.1 coded, but observation ends 50 days after the operation"),
    Pattern("decoy_tumour", 0.002, False, False, "vertebral malignancy before the operation, then M96.1"),
    Pattern("decoy_trauma", 0.001, False, False, "lumbar fracture 5 days before the operation, then back pain"),
    Pattern("decoy_hip", 0.002, False, False, "hip prosthesis complication (T84.0) and no spine operation"),
)

# (vocabulary, code, name, domain) -> local concept id
_CODES: list[tuple[str, str, str, str]] = [
    ("CPT4", "22612", "Lumbar posterior arthrodesis", "Procedure"),
    ("CPT4", "22630", "Lumbar posterior interbody arthrodesis", "Procedure"),
    ("CPT4", "63030", "Lumbar laminotomy with discectomy", "Procedure"),
    ("CPT4", "63047", "Lumbar laminectomy, facetectomy and foraminotomy", "Procedure"),
    ("CPT4", "22551", "Cervical anterior interbody arthrodesis", "Procedure"),
    ("SNOMED", "387731002", "Laminectomy", "Procedure"),
    ("ICD10PCS", "0SG1071", "Fusion of 2 or more lumbar vertebral joints, posterior approach", "Procedure"),
    ("CPT4", "27130", "Total hip arthroplasty", "Procedure"),
    ("ICD10CM", "M96.1", "Postlaminectomy syndrome, not elsewhere classified", "Condition"),
    ("ICD10CM", "M96.0", "Pseudarthrosis after fusion or arthrodesis", "Condition"),
    ("ICD10CM", "T84.216A", "Breakdown (mechanical) of internal fixation device of vertebrae, initial", "Condition"),
    ("ICD10CM", "T84.63XA", "Infection due to internal fixation device of spine, initial", "Condition"),
    ("ICD10CM", "T81.40XA", "Infection following a procedure, unspecified, initial", "Condition"),
    ("ICD10CM", "M54.50", "Low back pain, unspecified", "Condition"),
    ("ICD10CM", "C41.2", "Malignant neoplasm of vertebral column", "Condition"),
    ("ICD10CM", "S32.009A", "Unspecified fracture of unspecified lumbar vertebra, initial", "Condition"),
    ("ICD10CM", "T84.010A", "Broken internal right hip prosthesis, initial", "Condition"),
    ("ICD10CM", "I10", "Essential (primary) hypertension", "Condition"),
    ("ICD10CM", "E11.9", "Type 2 diabetes mellitus without complications", "Condition"),
    ("ICD10CM", "J06.9", "Acute upper respiratory infection, unspecified", "Condition"),
    ("LOINC", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "Measurement"),
    ("LOINC", "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", "Measurement"),
    ("RxNorm", "1049621", "Oxycodone Hydrochloride 5 MG Oral Tablet", "Drug"),
    ("RxNorm", "308182", "Amoxicillin 250 MG Oral Capsule", "Drug"),
]
CONCEPT_ID = {(v, c): 2_000_000_001 + i for i, (v, c, _n, _d) in enumerate(_CODES)}
_SPINE_OPS = [("CPT4", "22612"), ("CPT4", "22630"), ("CPT4", "63030"), ("CPT4", "63047"), ("CPT4", "22551"),
              ("SNOMED", "387731002"), ("ICD10PCS", "0SG1071")]
_ORDINARY_DX = [("ICD10CM", "I10"), ("ICD10CM", "E11.9"), ("ICD10CM", "J06.9"), ("ICD10CM", "M54.50")]


class _Rows:
    """Column lists for one table, filled pattern by pattern with numpy arrays."""

    def __init__(self, cols: list[str]) -> None:
        self.cols = cols
        self.parts: list[dict[str, Any]] = []

    def add(self, **cols: Any) -> None:
        self.parts.append(cols)

    def table(self) -> Any:
        import numpy as np
        import pyarrow as pa

        data: dict[str, Any] = {}
        for c in self.cols:
            arrs = []
            for p in self.parts:
                n = max(len(v) for v in p.values() if hasattr(v, "__len__") and not isinstance(v, str))
                v = p.get(c)
                if v is None:
                    arrs.append(pa.nulls(n))
                elif isinstance(v, (str, int, float)):
                    arrs.append(pa.array(np.full(n, v)))
                else:
                    arrs.append(pa.array(v))
            data[c] = pa.concat_arrays([a.cast(arrs[0].type) if a.type == pa.null() else a for a in arrs]) \
                if arrs else pa.array([])
        return pa.table(data)


def _dates(days: Any) -> Any:
    import numpy as np

    return (np.datetime64(EPOCH.isoformat()) + days.astype("timedelta64[D]")).astype("datetime64[D]")


def synthesize(out: Path, persons: int, seed: int = 7, fmt: str = "parquet", base: Path | None = None,
               person_offset: int = 1_000_000) -> dict[str, int]:
    """Write an OMOP CDM 5.4 folder of ``persons`` synthetic persons (plus the ``base`` folder's rows)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    shares = np.array([p.share for p in PATTERNS])
    probs = np.append(shares, 1 - shares.sum())
    kinds = rng.choice(len(probs), size=persons, p=probs)
    pid = np.arange(persons, dtype=np.int64) + person_offset + 1
    end_day = (END - EPOCH).days
    yob = rng.integers(1940, 2000, persons)
    person = _Rows(["person_id", "gender_concept_id", "year_of_birth", "month_of_birth", "day_of_birth",
                    "race_concept_id", "ethnicity_concept_id", "person_source_value", "gender_source_value"])
    person.add(person_id=pid, gender_concept_id=np.where(rng.random(persons) < 0.5, 8507, 8532), year_of_birth=yob,
               month_of_birth=rng.integers(1, 13, persons), day_of_birth=rng.integers(1, 29, persons),
               race_concept_id=0, ethnicity_concept_id=0, person_source_value=np.char.add("synth-", pid.astype(str)),
               gender_source_value=None)
    obs_start = np.full(persons, end_day - 365 * 8) + rng.integers(-300, 300, persons)
    obs_end = np.full(persons, end_day)
    op_day = end_day - rng.integers(400, 2000, persons)  # index operation, when the pattern has one
    by_kind = {p.id: np.flatnonzero(kinds == i) for i, p in enumerate(PATTERNS)}
    obs_end[by_kind["decoy_short"]] = op_day[by_kind["decoy_short"]] + 50
    op_day[by_kind["decoy_recent"]] = end_day - 40
    op_day[by_kind["infection_early"]] = end_day - 20
    ctr = {"condition": 0, "procedure": 0, "measurement": 0, "drug": 0}

    def ids(kind: str, n: int) -> Any:
        start = ctr[kind]
        ctr[kind] += n
        return np.arange(start, start + n, dtype=np.int64) + person_offset * 10 + 1

    cond = _Rows(["condition_occurrence_id", "person_id", "condition_concept_id", "condition_start_date",
                  "condition_type_concept_id", "condition_source_value", "condition_source_concept_id"])
    proc = _Rows(["procedure_occurrence_id", "person_id", "procedure_concept_id", "procedure_date",
                  "procedure_type_concept_id", "procedure_source_value", "procedure_source_concept_id"])
    meas = _Rows(["measurement_id", "person_id", "measurement_concept_id", "measurement_date",
                  "measurement_type_concept_id", "value_as_number", "unit_source_value", "measurement_source_value",
                  "measurement_source_concept_id"])
    drug = _Rows(["drug_exposure_id", "person_id", "drug_concept_id", "drug_exposure_start_date",
                  "drug_exposure_end_date", "drug_type_concept_id", "quantity", "days_supply", "drug_source_value",
                  "drug_source_concept_id"])

    def add_cond(idx: Any, code: tuple[str, str], day: Any) -> None:
        cid = CONCEPT_ID[code]
        cond.add(condition_occurrence_id=ids("condition", len(idx)), person_id=pid[idx], condition_concept_id=cid,
                 condition_start_date=_dates(day), condition_type_concept_id=32817, condition_source_value=code[1],
                 condition_source_concept_id=cid)

    def add_proc(idx: Any, codes: list[tuple[str, str]], day: Any) -> None:
        pick = rng.integers(0, len(codes), len(idx))
        cids = np.array([CONCEPT_ID[codes[k]] for k in pick], dtype=np.int64)
        svs = np.array([codes[k][1] for k in pick])
        proc.add(procedure_occurrence_id=ids("procedure", len(idx)), person_id=pid[idx], procedure_concept_id=cids,
                 procedure_date=_dates(day), procedure_type_concept_id=32817, procedure_source_value=svs,
                 procedure_source_concept_id=cids)

    def add_meas(idx: Any, code: tuple[str, str], day: Any, value: Any, unit: str) -> None:
        cid = CONCEPT_ID[code]
        meas.add(measurement_id=ids("measurement", len(idx)), person_id=pid[idx], measurement_concept_id=cid,
                 measurement_date=_dates(day), measurement_type_concept_id=32817, value_as_number=value,
                 unit_source_value=unit, measurement_source_value=code[1], measurement_source_concept_id=cid)

    def add_drug(idx: Any, code: tuple[str, str], day: Any, days: int) -> None:
        cid = CONCEPT_ID[code]
        drug.add(drug_exposure_id=ids("drug", len(idx)), person_id=pid[idx], drug_concept_id=cid,
                 drug_exposure_start_date=_dates(day), drug_exposure_end_date=_dates(day + days - 1),
                 drug_type_concept_id=32838, quantity=float(days * 4), days_supply=days, drug_source_value=code[1],
                 drug_source_concept_id=cid)

    # everybody: two ordinary conditions and a pain score; 10% a short opioid course
    everyone = np.arange(persons)
    no_op = np.ones(persons, dtype=bool)
    for p in PATTERNS:
        if p.id != "decoy_hip":
            no_op[by_kind[p.id]] = False
    for _ in range(2):  # back pain only for persons without spine surgery (a decoy: pain is not enough)
        pick = rng.integers(0, len(_ORDINARY_DX), persons)
        for k, code in enumerate(_ORDINARY_DX):
            sel = everyone[(pick == k) & (no_op | (k < len(_ORDINARY_DX) - 1))]
            add_cond(sel, code, obs_start[sel] + rng.integers(30, 2000, len(sel)))
    plain = everyone[no_op]
    add_meas(plain, ("LOINC", "72514-3"), obs_start[plain] + rng.integers(30, 2500, len(plain)),
             rng.integers(0, 11, len(plain)).astype(float), "{score}")
    short = plain[rng.random(len(plain)) < 0.10]
    add_drug(short, ("RxNorm", "1049621"), obs_start[short] + rng.integers(30, 2500, len(short)), 7)
    amox = plain[rng.random(len(plain)) < 0.05]
    add_drug(amox, ("RxNorm", "308182"), obs_start[amox] + rng.integers(30, 2500, len(amox)), 10)
    # spine operations and the patterns
    for p in PATTERNS:
        idx = by_kind[p.id]
        if len(idx) == 0:
            continue
        d0 = op_day[idx]
        if p.id == "decoy_hip":
            add_proc(idx, [("CPT4", "27130")], d0)
            add_cond(idx, ("ICD10CM", "T84.010A"), d0 + 200)
            continue
        add_proc(idx, _SPINE_OPS, d0)
        seen = idx[d0 + 180 <= obs_end[idx]]
        add_meas(seen, ("LOINC", "72514-3"), op_day[seen] + 180, np.full(len(seen), 2.0), "{score}")
        if p.id in ("fbss_code", "decoy_recent", "decoy_short", "decoy_tumour"):
            add_cond(idx, ("ICD10CM", "M96.1"), d0 + (240 if p.id in ("fbss_code", "decoy_tumour") else 20))
        if p.id == "decoy_tumour":
            add_cond(idx, ("ICD10CM", "C41.2"), d0 - 60)
        if p.id == "decoy_trauma":
            add_cond(idx, ("ICD10CM", "S32.009A"), d0 - 5)
            add_cond(idx, ("ICD10CM", "M54.50"), d0 + 200)
        if p.id == "implant":
            add_cond(idx, ("ICD10CM", "T84.216A"), d0 + 150)
        if p.id == "pseudarthrosis":
            add_cond(idx, ("ICD10CM", "M96.0"), d0 + 365)
        if p.id == "reoperation":
            add_proc(idx, _SPINE_OPS, d0 + 300)
        if p.id == "pain_code":
            add_cond(idx, ("ICD10CM", "M54.50"), d0 + 180)
        if p.id == "pain_score":
            add_meas(idx, ("LOINC", "72514-3"), d0 + 210, np.full(len(idx), 7.0), "{score}")
        if p.id == "opioid":
            for k in range(4):
                add_drug(idx, ("RxNorm", "1049621"), d0 + 120 + 30 * k, 30)
        if p.id == "crp":
            add_meas(idx, ("LOINC", "1988-5"), d0 + 120, np.full(len(idx), 45.0), "mg/L")
        if p.id == "infection_late":
            add_cond(idx, ("ICD10CM", "T84.63XA"), d0 + 390)
        if p.id == "infection_early":
            add_cond(idx, ("ICD10CM", "T81.40XA"), d0 + 12)
    op_period = _Rows(["observation_period_id", "person_id", "observation_period_start_date",
                       "observation_period_end_date", "period_type_concept_id"])
    op_period.add(observation_period_id=pid, person_id=pid, observation_period_start_date=_dates(obs_start),
                  observation_period_end_date=_dates(obs_end), period_type_concept_id=32817)
    concept = _Rows(["concept_id", "concept_name", "domain_id", "vocabulary_id", "concept_class_id",
                     "standard_concept", "concept_code", "valid_start_date", "valid_end_date", "invalid_reason"])
    concept.add(concept_id=np.array([CONCEPT_ID[(v, c)] for v, c, _n, _d in _CODES], dtype=np.int64),
                concept_name=np.array([n for _v, _c, n, _d in _CODES]),
                domain_id=np.array([d for _v, _c, _n, d in _CODES]),
                vocabulary_id=np.array([v for v, _c, _n, _d in _CODES]),
                concept_class_id="Local", standard_concept="S",
                concept_code=np.array([c for _v, c, _n, _d in _CODES]),
                valid_start_date=_dates(np.zeros(len(_CODES), dtype=np.int64)),
                valid_end_date=_dates(np.full(len(_CODES), (date(2099, 12, 31) - EPOCH).days)), invalid_reason=None)
    tables = {"person": person.table(), "observation_period": op_period.table(),
              "condition_occurrence": cond.table(), "procedure_occurrence": proc.table(),
              "measurement": meas.table(), "drug_exposure": drug.table(), "concept": concept.table()}
    empty = {"observation": ["observation_id", "person_id", "observation_concept_id", "observation_date",
                             "value_as_number", "observation_source_value"],
             "concept_ancestor": ["ancestor_concept_id", "descendant_concept_id"],
             "concept_relationship": ["concept_id_1", "concept_id_2", "relationship_id"]}
    for name, cols in empty.items():
        tables[name] = pa.table({c: pa.array([], pa.string()) for c in cols})
    tables["cdm_source"] = pa.table({"cdm_source_name": ["revspine synthetic"], "cdm_version": ["5.4"],
                                     "vocabulary_version": ["revspine local concepts"]})
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    staging = Path(tempfile.mkdtemp(prefix="revspine-synth-")) if base is not None else None
    try:
        for name, tbl in tables.items():
            if base is not None and staging is not None:
                pacsv.write_csv(tbl, staging / f"{name}.csv")
            elif fmt == "parquet":
                pq.write_table(tbl, out / f"{name}.parquet")
            else:
                pacsv.write_csv(tbl, out / f"{name}.csv")
            counts[name] = tbl.num_rows
        if base is not None and staging is not None:
            counts = _merge_with_base(base, staging, out, fmt)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    truth = pa.table({
        "person_id": pa.array(np.concatenate([pid[by_kind[p.id]] for p in PATTERNS])),
        "pattern": pa.array(np.concatenate([np.full(len(by_kind[p.id]), p.id) for p in PATTERNS])),
        "listed": pa.array(np.concatenate([np.full(len(by_kind[p.id]), p.listed) for p in PATTERNS])),
        "fast_lane": pa.array(np.concatenate([np.full(len(by_kind[p.id]), p.fast_lane) for p in PATTERNS])),
    })
    pacsv.write_csv(truth, out / "synth_truth.csv")
    return counts


def _merge_with_base(base: Path, staging: Path, out: Path, fmt: str) -> dict[str, int]:
    """Each table = the base folder's rows + the generated rows (columns matched by name)."""
    import duckdb

    from .source import find_tables

    base_tables = find_tables(base)
    gen_tables = find_tables(staging)
    con = duckdb.connect()
    counts = {}
    for name in sorted(set(base_tables) | set(gen_tables)):
        parts = []
        for tf in (base_tables.get(name), gen_tables.get(name)):
            if tf is None:
                continue
            files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in tf.paths) + "]"
            parts.append(f"SELECT * FROM read_parquet({files})" if tf.format == "parquet" else
                         f"SELECT * FROM read_csv({files}, header = true, all_varchar = true)")
        sql = " UNION ALL BY NAME ".join(parts)
        target = out / f"{name}.{'parquet' if fmt == 'parquet' else 'csv'}"
        opts = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
        con.execute(f"COPY ({sql}) TO '{str(target)}' {opts}")
        row = con.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()
        counts[name] = int(row[0]) if row else 0
    con.close()
    return counts


