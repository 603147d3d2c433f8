"""CDS Hooks 2.0 service: discovery, patient-view and order-select/order-sign, feedback, JWT trust.

``create_cds_router(settings, ...)`` builds the APIRouter; ``router`` is one built from the
environment (see :mod:`revspine.cdshooks.settings`) on first use.
"""

from __future__ import annotations

from typing import Any

from .router import create_cds_router
from .settings import CdsSettings, TrustedIssuer
from .store import FeedbackStore, InMemoryAssessments, InMemoryFeedbackStore, SaveAssessment

__all__ = ["create_cds_router", "CdsSettings", "TrustedIssuer", "FeedbackStore", "InMemoryFeedbackStore",
           "SaveAssessment", "InMemoryAssessments", "router"]

_router: Any = None


def __getattr__(name: str) -> Any:
    global _router
    if name == "router":
        if _router is None:
            _router = create_cds_router()
        return _router
    raise AttributeError(name)
