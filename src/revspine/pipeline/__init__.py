"""The assess pipeline: case + knowledge pack -> Assessment (engine, plan, questionnaires, patient text). No I/O."""

from .assess import assess
from .result import Assessment

__all__ = ["assess", "Assessment"]
