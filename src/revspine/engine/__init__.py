"""The pure reasoning engine over the knowledge pack: red flags, ranking, work-up, decision. No I/O.

``reason(case, pack)`` runs it over one case. The whole assessment (with the plan, questionnaires and
the patient's explanation) is revspine.pipeline.assess.
"""

from . import predicates as _predicates  # noqa: F401  (the finding checks every pack load runs)
from .reason import Reasoning, reason
from .result import Decision, RedFlagResult

__all__ = ["Decision", "RedFlagResult", "Reasoning", "reason"]
