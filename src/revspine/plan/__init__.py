"""Planning a revision: sagittal alignment, the revision plan and the peri-operative order set."""

from . import schema

__all__ = ["schema"]
