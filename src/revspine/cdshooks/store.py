"""Injectable stores: card feedback (for the audit log) and saved assessments (for the card link).

The web app wires these to its own storage; the in-memory defaults serve tests and the
standalone app.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any, Protocol

import orjson

from ..workflow import Worked

__all__ = ["FeedbackStore", "InMemoryFeedbackStore", "SaveAssessment", "InMemoryAssessments", "IssuedCards"]


class FeedbackStore(Protocol):
    async def record(self, service_id: str, item: dict[str, Any], client: dict[str, Any]) -> bool:
        """Store one feedback item; return False when the same item was already stored (idempotent)."""
        ...


class InMemoryFeedbackStore:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._keys: set[tuple[str, str, str, str]] = set()
        self._lock = threading.Lock()

    async def record(self, service_id: str, item: dict[str, Any], client: dict[str, Any]) -> bool:
        key = (service_id, str(item.get("card")), str(item.get("outcome")), str(item.get("outcomeTimestamp")))
        with self._lock:
            if key in self._keys:
                return False
            self._keys.add(key)
            self.items.append({"service": service_id, **item, "client": client})
            return True


class SaveAssessment(Protocol):
    async def __call__(self, worked: Worked, source: dict[str, Any]) -> str:
        """Store the assessment with its input (``worked``: the mapped case as stored and the assessment
        JSON); return the URL path of its page in the web app."""
        ...


class InMemoryAssessments:
    """Default ``save_assessment``: keeps the latest assessments in memory under unguessable ids.

    Each is kept as JSON bytes (input, assessment, source), which the garbage collector
    does not have to walk.
    """

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self.saved: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    async def __call__(self, worked: Worked, source: dict[str, Any]) -> str:
        key = uuid.uuid4().hex
        assert worked.result is not None
        blob = orjson.dumps({"case": orjson.Fragment(worked.entered_json),
                             "assessment": orjson.Fragment(worked.result.json), "source": source})
        with self._lock:
            self.saved[key] = blob
            while len(self.saved) > self.limit:
                self.saved.popitem(last=False)
        return f"/assessments/{key}"


class IssuedCards:
    """Card uuids this service issued recently (service, hookInstance, summary), for feedback records."""

    def __init__(self, limit: int = 10000) -> None:
        self.limit = limit
        self.cards: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, service_id: str, hook_instance: str, cards: list[dict[str, Any]]) -> None:
        with self._lock:
            for c in cards:
                self.cards[c["uuid"]] = {"service": service_id, "hookInstance": hook_instance,
                                         "summary": c["summary"], "indicator": c["indicator"]}
            while len(self.cards) > self.limit:
                self.cards.popitem(last=False)

    def get(self, card_uuid: str) -> dict[str, Any] | None:
        return self.cards.get(card_uuid)
