"""Compile a screen definition to SQL: written once (DuckDB dialect), transpiled by sqlglot for Spark.

The pipeline is a list of named steps, each a SELECT whose result the engine keeps as a table:

``sc_concept_ids``  concept ids of every concept set (vocabulary codes, 'Maps to', descendants, names)
``sc_match_keys``   one lookup of every key a row can match by (concept id, code, code prefix) -> concept set
``sc_events``       every OMOP row that belongs to a concept set: person, set, date, value, unit, days
``sc_index``        candidate index events: each spine-operation day inside an observation period
``sc_features``     per index event: each evidence flag (and its first day), each exclusion, the rules
``sc_person``       per person: the best event's inclusion mask (CohortGenerator's persons mode)
``sc_worklist``     per person on the worklist: the chosen index event and its flags
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import sqlglot

from ..knowledge.sections.screen import Evidence, Exclusion, ScreenDefinition
from .concepts import CodeRow, NameRow

__all__ = ["Step", "Rule", "rules", "pipeline", "transpile", "DOMAIN_TABLES"]


@dataclass(frozen=True)
class Step:
    name: str
    sql: str  # DuckDB dialect


@dataclass(frozen=True)
class Rule:
    sequence: int
    id: str
    name: str
    description: str


# domain -> (table, row id, concept id, source concept id, source value, date, value, unit, days)
DOMAIN_TABLES: dict[str, list[tuple[str, ...]]] = {
    "procedure": [("procedure_occurrence", "procedure_occurrence_id", "procedure_concept_id",
                   "procedure_source_concept_id", "procedure_source_value", "procedure_date", "NULL", "NULL", "NULL")],
    "condition": [("condition_occurrence", "condition_occurrence_id", "condition_concept_id",
                   "condition_source_concept_id", "condition_source_value", "condition_start_date", "NULL", "NULL",
                   "NULL")],
    "measurement": [
        ("measurement", "measurement_id", "measurement_concept_id", "measurement_source_concept_id",
         "measurement_source_value", "measurement_date", "value_as_number", "unit_source_value", "NULL"),
        ("observation", "observation_id", "observation_concept_id", "observation_source_concept_id",
         "observation_source_value", "observation_date", "value_as_number", "unit_source_value", "NULL")],
    "observation": [("observation", "observation_id", "observation_concept_id", "observation_source_concept_id",
                     "observation_source_value", "observation_date", "value_as_number", "unit_source_value", "NULL")],
    "drug": [("drug_exposure", "drug_exposure_id", "drug_concept_id", "drug_source_concept_id", "drug_source_value",
              "drug_exposure_start_date", "quantity", "NULL",
              "COALESCE(days_supply, DATE_DIFF('day', drug_exposure_start_date, drug_exposure_end_date) + 1, 1)")],
    "device": [("device_exposure", "device_exposure_id", "device_concept_id", "device_source_concept_id",
                "device_source_value", "device_exposure_start_date", "NULL", "NULL", "NULL")],
}


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def rules(screen: ScreenDefinition) -> list[Rule]:
    """The inclusion rules in order (bit i of the inclusion mask = rule i holds)."""
    t = screen.timing
    out = [
        Rule(0, "follow_up", f"At least {t.min_follow_up_days} days of observation after the operation",
             f"observation period continues {t.min_follow_up_days} days or more after the index operation"),
        Rule(1, "time_since_surgery", f"Operation at least {t.min_days_since_surgery} days before the screen date",
             t.reason),
        Rule(2, "failure_evidence", "Evidence that the operation failed",
             "; ".join(e.label for e in screen.evidence if e.counts_for_inclusion)),
    ]
    for i, x in enumerate(screen.exclusions):
        out.append(Rule(3 + i, f"no_{x.id}", f"No {x.label.lower()}", x.reason))
    return out


def _values_sql(rows: list[tuple[str, ...]], cols: tuple[str, ...]) -> str:
    """One inline table (a single VALUES list: Spark plans it as one relation, not a union per row)."""
    if not rows:
        return f"SELECT {', '.join(f'CAST(NULL AS VARCHAR) AS {c}' for c in cols)} WHERE 1 = 0"
    values = ", ".join("(" + ", ".join(_q(v) for v in r) + ")" for r in rows)
    return f"SELECT * FROM (VALUES {values}) AS t({', '.join(cols)})"


def codes_sql(codes: list[CodeRow]) -> str:
    return _values_sql([(c.concept_set, c.domain, c.vocabulary, c.key, c.match) for c in codes],
                       ("concept_set", "domain", "vocabulary", "code_key", "match_kind"))


def names_sql(names: list[NameRow]) -> str:
    return _values_sql([(n.concept_set, n.domain, n.name) for n in names], ("concept_set", "domain", "name"))


def _key(expr: str) -> str:
    return f"UPPER(REPLACE(REPLACE(TRIM({expr}), '.', ''), ' ', ''))"


def _concept_base_sql(codes: list[CodeRow], vocab: set[str]) -> str:
    """Concepts of the vocabulary whose code (exact or by prefix) or name is in a concept set."""
    if "concept" not in vocab:
        return "SELECT CAST(NULL AS VARCHAR) AS concept_set, CAST(NULL AS VARCHAR) AS domain, " \
               "CAST(NULL AS BIGINT) AS concept_id WHERE 1 = 0"
    lengths = sorted({len(c.key) for c in codes if c.match == "prefix"})
    base = [
        "SELECT s.concept_set, s.domain, c.concept_id FROM stg_concept c JOIN sc_codes s "
        f"ON c.vocabulary_id = s.vocabulary AND s.match_kind = 'exact' AND {_key('c.concept_code')} = s.code_key",
        "SELECT n.concept_set, n.domain, c.concept_id FROM stg_concept c JOIN sc_names n "
        "ON LOWER(c.domain_id) = n.domain AND STRPOS(LOWER(c.concept_name), n.name) > 0",
    ]
    base += [
        "SELECT s.concept_set, s.domain, c.concept_id FROM stg_concept c JOIN sc_codes s "
        f"ON c.vocabulary_id = s.vocabulary AND s.match_kind = 'prefix' AND LENGTH(s.code_key) = {n} "
        f"AND LEFT({_key('c.concept_code')}, {n}) = s.code_key"
        for n in lengths
    ]
    return " UNION ".join(base)


def _concept_ids_sql(vocab: set[str]) -> str:
    """Concept ids of each set: the matched concepts, what they 'Map to', and the descendants of both."""
    if "concept" not in vocab:
        return "SELECT CAST(NULL AS VARCHAR) AS concept_set, CAST(NULL AS VARCHAR) AS domain, " \
               "CAST(NULL AS BIGINT) AS concept_id WHERE 1 = 0"
    parts = ["SELECT concept_set, domain, concept_id FROM sc_concept_base"]
    if "concept_relationship" in vocab:
        parts.append("SELECT b.concept_set, b.domain, r.concept_id_2 AS concept_id FROM sc_concept_base b "
                     "JOIN stg_concept_relationship r "
                     "ON r.concept_id_1 = b.concept_id AND r.relationship_id = 'Maps to'")
    if "concept_ancestor" in vocab:
        parts.append("SELECT x.concept_set, x.domain, a.descendant_concept_id AS concept_id FROM (" +
                     " UNION ".join(parts) + ") x JOIN stg_concept_ancestor a ON a.ancestor_concept_id = x.concept_id")
    return "SELECT DISTINCT concept_set, domain, concept_id FROM (" + " UNION ".join(parts) + \
        ") u WHERE concept_id IS NOT NULL AND concept_id <> 0"


def _match_keys_sql(vocab: set[str]) -> str:
    """One lookup table of every way a row can belong to a concept set: a concept id ('id'), a whole source code
    ('exact', length 0) or the first ``len`` characters of one ('prefix')."""
    parts = ["SELECT domain, match_kind AS kind, CASE WHEN match_kind = 'prefix' THEN LENGTH(code_key) ELSE 0 END "
             "AS len, code_key AS match_key, concept_set FROM sc_codes"]
    if "concept" in vocab:
        parts.append("SELECT domain, 'id' AS kind, 0 AS len, CAST(concept_id AS VARCHAR) AS match_key, concept_set "
                     "FROM sc_concept_ids")
    return "SELECT DISTINCT domain, kind, len, match_key, concept_set FROM (" + " UNION ALL ".join(parts) + ") k"


def _events_sql(codes: list[CodeRow], names: list[NameRow], present: set[str]) -> str:
    """Every row of a concept set. Each row is read once and turned into the keys it can match by (its concept id
    and source concept id, its source code, the code's prefixes of the lengths the definition uses for the row's
    domain), and all keys of all tables meet the lookup table in one equi-join: no OR in a join condition (a nested
    loop over every row and concept id) and no scan per way of matching. Names match as plain substrings (STRPOS:
    Spark compiles a LIKE pattern built from a column again for every row), for the domains that have names.
    DISTINCT removes the rows that match more than one way."""
    keyed: list[str] = []
    liked: list[str] = []
    row_cols = "d.row_id, d.person_id, d.event_date, d.value, d.unit, d.days, d.sv"
    for domain, tables in DOMAIN_TABLES.items():
        kinds: list[tuple[int, str, int]] = []
        if "concept" in present:
            kinds += [(1, "id", 0), (2, "id", 0)]
        if any(c.domain == domain and c.match == "exact" for c in codes):
            kinds.append((3, "exact", 0))
        kinds += [(4, "prefix", n) for n in sorted({len(c.key) for c in codes
                                                     if c.domain == domain and c.match == "prefix"})]
        for table, rid, cid, scid, sv, day, value, unit, days in tables:
            if table not in present:
                continue
            d = (f"(SELECT {_q(table)} AS src_table, {_q(domain)} AS domain, {rid} AS row_id, person_id, {cid} AS cid, "
                 f"{scid} AS scid, {sv} AS sv, {_key(sv)} AS sv_key, {day} AS event_date, "
                 f"CAST({value} AS DOUBLE) AS value, CAST({unit} AS VARCHAR) AS unit, CAST({days} AS INTEGER) AS days "
                 f"FROM stg_{table} WHERE {day} IS NOT NULL)")
            if kinds:
                values = ", ".join(f"({src}, {_q(kind)}, {n})" for src, kind, n in kinds)
                keyed.append(
                    f"SELECT d.src_table, d.domain, {row_cols}, k.kind, k.len, "
                    "CASE k.src WHEN 1 THEN CAST(d.cid AS VARCHAR) WHEN 2 THEN CAST(d.scid AS VARCHAR) "
                    "WHEN 3 THEN d.sv_key ELSE LEFT(d.sv_key, k.len) END AS match_key "
                    f"FROM {d} d CROSS JOIN (VALUES {values}) AS k(src, kind, len)")
            if any(nm.domain == domain for nm in names):
                liked.append(f"SELECT d.src_table, d.row_id, d.person_id, m.concept_set, d.event_date, d.value, "
                             f"d.unit, d.days, d.sv AS source_value FROM {d} d JOIN sc_names m ON m.domain = "
                             f"{_q(domain)} AND STRPOS(LOWER(d.sv), m.name) > 0")
    selects = list(liked)
    if keyed:
        selects.insert(0, "SELECT x.src_table, x.row_id, x.person_id, m.concept_set, x.event_date, x.value, x.unit, "
                          "x.days, x.sv AS source_value FROM (" + " UNION ALL ".join(keyed) + ") x "
                          "JOIN sc_match_keys m ON m.domain = x.domain AND m.kind = x.kind AND m.len = x.len "
                          "AND m.match_key = x.match_key")
    if not selects:
        selects.append("SELECT CAST(NULL AS VARCHAR) AS src_table, CAST(NULL AS BIGINT) AS row_id, "
                       "CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS VARCHAR) AS concept_set, "
                       "CAST(NULL AS DATE) AS event_date, CAST(NULL AS DOUBLE) AS value, "
                       "CAST(NULL AS VARCHAR) AS unit, CAST(NULL AS INTEGER) AS days, "
                       "CAST(NULL AS VARCHAR) AS source_value WHERE 1 = 0")
    return ("SELECT DISTINCT src_table, row_id, person_id, concept_set, event_date, value, unit, days, source_value "
            "FROM (" + " UNION ALL ".join(selects) + ") u")


def _in_window(e: Evidence | Exclusion, day: str = "e.day") -> str:
    w = e.window
    cond = f"{day} >= {w.start}"
    if w.end is not None:
        cond += f" AND {day} <= {w.end}"
    return cond


def _scaled_value(e: Evidence) -> str:
    whens = " ".join(f"WHEN e.unit = {_q(u)} THEN e.value * {f}" for u, f in sorted(e.unit_scale.items()))
    if not e.unit:
        return "e.value"
    return f"(CASE WHEN e.unit IS NULL OR TRIM(e.unit) = '' THEN e.value {whens} ELSE NULL END)"


def _evidence_cols(screen: ScreenDefinition) -> list[str]:
    cols = []
    for e in screen.evidence:
        base = f"e.concept_set = {_q(e.concept_set)} AND {_in_window(e)}"
        if e.id == "reoperation":
            base += " AND e.day > 0"
        if e.kind == "any":
            hit = base
        elif e.kind == "value_at_least":
            hit = f"{base} AND {_scaled_value(e)} >= {e.threshold}"
        elif e.kind == "value_above":
            hit = f"{base} AND {_scaled_value(e)} > {e.threshold}"
        else:  # days_supply_at_least: the flag is computed from the sum below
            hit = base
        if e.kind == "days_supply_at_least":
            cols.append(f"SUM(CASE WHEN {hit} THEN e.days ELSE 0 END) AS days_{e.id}")
        else:
            cols.append(f"MAX(CASE WHEN {hit} THEN 1 ELSE 0 END) AS ev_{e.id}")
        cols.append(f"MIN(CASE WHEN {hit} THEN e.day END) AS day_{e.id}")
    for x in screen.exclusions:
        cols.append(f"MAX(CASE WHEN e.concept_set = {_q(x.concept_set)} AND {_in_window(x)} THEN 1 ELSE 0 END) "
                    f"AS ex_{x.id}")
    return cols


def pipeline(screen: ScreenDefinition, codes: list[CodeRow], names: list[NameRow], present: set[str],
             as_of: date) -> list[Step]:
    t = screen.timing
    vocab: set[str] = {v for v in ("concept", "concept_ancestor", "concept_relationship") if v in present}
    asof = f"CAST('{as_of.isoformat()}' AS DATE)"
    steps = [
        Step("sc_codes", codes_sql(codes)),
        Step("sc_names", names_sql(names)),
        Step("sc_concept_base", _concept_base_sql(codes, vocab)),
        Step("sc_concept_ids", _concept_ids_sql(vocab)),
        Step("sc_match_keys", _match_keys_sql(vocab)),
        Step("sc_events", _events_sql(codes, names, present)),
        Step("sc_index", (
            "SELECT o.person_id, o.op_date AS index_date, MAX(p.observation_period_end_date) AS period_end, "
            "MIN(o.source_value) AS index_code "
            "FROM (SELECT person_id, event_date AS op_date, MIN(source_value) AS source_value FROM sc_events "
            f"WHERE concept_set = {_q(screen.entry_concept_set)} GROUP BY person_id, event_date) o "
            "JOIN stg_observation_period p ON p.person_id = o.person_id "
            "AND o.op_date >= p.observation_period_start_date AND o.op_date <= p.observation_period_end_date "
            "GROUP BY o.person_id, o.op_date")),
    ]
    ev_cols = ", ".join(_evidence_cols(screen))
    steps.append(Step("sc_evidence", (
        "SELECT i.person_id, i.index_date, i.period_end, i.index_code, " + ev_cols + " FROM sc_index i "
        "LEFT JOIN (SELECT e.*, DATE_DIFF('day', i2.index_date, e.event_date) AS day, i2.index_date AS idx "
        "FROM sc_events e JOIN sc_index i2 ON i2.person_id = e.person_id) e "
        "ON e.person_id = i.person_id AND e.idx = i.index_date "
        "GROUP BY i.person_id, i.index_date, i.period_end, i.index_code")))
    flags = []
    for e in screen.evidence:
        if e.kind == "days_supply_at_least":
            flags.append(f"CASE WHEN days_{e.id} >= {e.threshold} THEN 1 ELSE 0 END AS ev_{e.id}")
        else:
            flags.append(f"ev_{e.id}")
    incl = " OR ".join(f"f_ev_{e.id} = 1" for e in screen.evidence if e.counts_for_inclusion) or "1 = 0"
    red = " OR ".join(f"f_ev_{e.id} = 1" for e in screen.evidence if e.red_flag) or "1 = 0"
    rule_exprs = [
        f"CASE WHEN DATE_DIFF('day', index_date, period_end) >= {t.min_follow_up_days} THEN 1 ELSE 0 END",
        f"CASE WHEN DATE_DIFF('day', index_date, {asof}) >= {t.min_days_since_surgery} THEN 1 ELSE 0 END",
        f"CASE WHEN {incl} THEN 1 ELSE 0 END",
        *(f"CASE WHEN ex_{x.id} = 1 THEN 0 ELSE 1 END" for x in screen.exclusions),
    ]
    mask = " + ".join(f"{expr} * {2 ** i}" for i, expr in enumerate(rule_exprs))
    passed = " + ".join(rule_exprs)
    renamed = ", ".join(f"{f.rsplit(' AS ', 1)[0]} AS f_ev_{e.id}" if " AS " in f else f"{f} AS f_ev_{e.id}"
                        for f, e in zip(flags, screen.evidence, strict=True))
    steps.append(Step("sc_features", (
        "SELECT *, " + f"({mask}) AS inclusion_mask, ({passed}) AS rules_passed, "
        f"CASE WHEN {red} THEN 1 ELSE 0 END AS red_flag, "
        f"DATE_DIFF('day', index_date, {asof}) AS days_since_surgery, "
        "DATE_DIFF('day', index_date, period_end) AS follow_up_days "
        "FROM (SELECT *, " + renamed + " FROM sc_evidence) v")))
    full = 2 ** len(rule_exprs) - 1
    steps.append(Step("sc_person", (
        "SELECT person_id, inclusion_mask FROM (SELECT person_id, inclusion_mask, ROW_NUMBER() OVER ("
        "PARTITION BY person_id ORDER BY rules_passed DESC, index_date DESC) AS rn FROM sc_features) b WHERE rn = 1")))
    steps.append(Step("sc_worklist", (
        "SELECT * FROM (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY person_id "
        "ORDER BY red_flag DESC, index_date DESC) AS rn, "
        f"CASE WHEN inclusion_mask = {full} THEN 1 ELSE 0 END AS in_cohort "
        f"FROM sc_features f WHERE inclusion_mask = {full} OR red_flag = 1) w WHERE rn = 1")))
    return steps


@lru_cache(maxsize=512)
def transpile(sql: str, dialect: str) -> str:
    """DuckDB SQL -> the engine's dialect (identity for DuckDB)."""
    if dialect == "duckdb":
        return sql
    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
