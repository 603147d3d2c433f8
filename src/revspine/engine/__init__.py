"""The pure assessment engine: case + knowledge pack -> Assessment. No I/O."""

from .assess import assess
from .result import Assessment

__all__ = ["assess", "Assessment"]
