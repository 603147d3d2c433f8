"""Planning a revision: sagittal alignment, the revision plan and the peri-operative order set.

All functions are pure reads of a case and the knowledge pack:

    >>> from revspine.plan import assess_alignment, revision_plan, build_order_set, order_set_to_fhir
"""

from ..knowledge.sections import plan as schema
from .alignment import Measurements, alignment_from_measurements, assess_alignment
from .fhir import order_set_to_fhir
from .models import AlignmentResult, OrderLine, OrderSet, RevisionPlan
from .order_set import build_order_set
from .revision import case_hits, revision_plan

__all__ = [
    "schema", "Measurements", "assess_alignment", "alignment_from_measurements", "revision_plan", "case_hits",
    "build_order_set", "order_set_to_fhir", "AlignmentResult", "RevisionPlan", "OrderSet", "OrderLine",
]
