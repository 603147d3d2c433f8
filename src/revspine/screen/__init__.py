"""Population screening of an OMOP CDM for failed spine surgery, on DuckDB or Spark.

Heavy modules (duckdb, pyspark) load only when a screen runs; importing this package is cheap.
"""

from __future__ import annotations

from ..knowledge.sections.screen import ScreenDefinition

__all__ = ["ScreenDefinition"]
