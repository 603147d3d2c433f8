"""The OMOP CDM tables and columns the screen reads (common to CDM 5.3 and 5.4), with their types.

Input columns arrive as text (CSV) or typed (Parquet, databases); staging casts each to its type, and a
value that does not cast is reported by table and column, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Table", "TABLES", "REQUIRED", "VOCABULARY", "staging_sql", "diagnose_sql"]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, SQL type)
    required: bool = True
    optional_columns: tuple[tuple[str, str], ...] = ()


_ID = "BIGINT"
TABLES: dict[str, Table] = {t.name: t for t in (
    Table("person", (("person_id", _ID), ("gender_concept_id", _ID), ("year_of_birth", "INTEGER")),
          optional_columns=(("month_of_birth", "INTEGER"), ("day_of_birth", "INTEGER"),
                            ("gender_source_value", "VARCHAR"))),
    Table("observation_period", (("person_id", _ID), ("observation_period_start_date", "DATE"),
                                 ("observation_period_end_date", "DATE"))),
    Table("procedure_occurrence", (("procedure_occurrence_id", _ID), ("person_id", _ID),
                                   ("procedure_concept_id", _ID), ("procedure_date", "DATE")),
          optional_columns=(("procedure_source_value", "VARCHAR"), ("procedure_source_concept_id", _ID))),
    Table("condition_occurrence", (("condition_occurrence_id", _ID), ("person_id", _ID),
                                   ("condition_concept_id", _ID), ("condition_start_date", "DATE")),
          optional_columns=(("condition_source_value", "VARCHAR"), ("condition_source_concept_id", _ID))),
    Table("measurement", (("measurement_id", _ID), ("person_id", _ID), ("measurement_concept_id", _ID),
                          ("measurement_date", "DATE")),
          optional_columns=(("value_as_number", "DOUBLE"), ("unit_source_value", "VARCHAR"),
                            ("measurement_source_value", "VARCHAR"), ("measurement_source_concept_id", _ID))),
    Table("observation", (("observation_id", _ID), ("person_id", _ID), ("observation_concept_id", _ID),
                          ("observation_date", "DATE")),
          optional_columns=(("value_as_number", "DOUBLE"), ("unit_source_value", "VARCHAR"),
                            ("observation_source_value", "VARCHAR"), ("observation_source_concept_id", _ID))),
    Table("drug_exposure", (("drug_exposure_id", _ID), ("person_id", _ID), ("drug_concept_id", _ID),
                            ("drug_exposure_start_date", "DATE")),
          optional_columns=(("drug_exposure_end_date", "DATE"), ("days_supply", "INTEGER"), ("quantity", "DOUBLE"),
                            ("drug_source_value", "VARCHAR"), ("drug_source_concept_id", _ID))),
    Table("device_exposure", (("device_exposure_id", _ID), ("person_id", _ID), ("device_concept_id", _ID),
                              ("device_exposure_start_date", "DATE")), required=False,
          optional_columns=(("device_source_value", "VARCHAR"), ("device_source_concept_id", _ID))),
    Table("visit_occurrence", (("visit_occurrence_id", _ID), ("person_id", _ID), ("visit_concept_id", _ID),
                               ("visit_start_date", "DATE")), required=False),
    Table("concept", (("concept_id", _ID), ("concept_name", "VARCHAR"), ("domain_id", "VARCHAR"),
                      ("vocabulary_id", "VARCHAR"), ("concept_code", "VARCHAR")), required=False),
    Table("concept_ancestor", (("ancestor_concept_id", _ID), ("descendant_concept_id", _ID)), required=False),
    Table("concept_relationship", (("concept_id_1", _ID), ("concept_id_2", _ID), ("relationship_id", "VARCHAR")),
          required=False),
    Table("cdm_source", (), required=False,
          optional_columns=(("cdm_version", "VARCHAR"), ("vocabulary_version", "VARCHAR"),
                            ("cdm_source_name", "VARCHAR"))),
)}
REQUIRED = tuple(n for n, t in TABLES.items() if t.required)
VOCABULARY = ("concept", "concept_ancestor", "concept_relationship")


def staging_sql(table: Table, present: set[str]) -> str:
    """SELECT that casts the columns the screen uses; an optional column absent from the input is NULL."""
    cols = []
    for name, typ in (*table.columns, *table.optional_columns):
        if name in present:
            cols.append(f"CAST({name} AS {typ}) AS {name}")
        else:
            cols.append(f"CAST(NULL AS {typ}) AS {name}")
    return f"SELECT {', '.join(cols)} FROM src_{table.name}"


def diagnose_sql(table: Table, column: str, typ: str) -> str:
    """Values of one column that do not cast to its type (first few), for the error message."""
    return (f"SELECT CAST({column} AS VARCHAR) AS v FROM src_{table.name} "
            f"WHERE {column} IS NOT NULL AND TRY_CAST({column} AS {typ}) IS NULL LIMIT 3")
