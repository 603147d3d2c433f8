"""A short-lived, in-process memory of API tokens already checked against the database.

Every REST, FHIR and CDS Hooks call carries a Bearer token; looking it up in the database on
each call was a fifth of the server's time for ``POST /api/patients/{id}/assess``. A token found
valid is remembered for ``ttl`` seconds (setting ``token_cache_seconds``, 0 turns this off), by
the SHA-256 of its text: the plain token is never kept. Revoking a token or deactivating a user
through this process forgets everything at once; another worker process notices within ``ttl``.
Unknown or revoked tokens are never remembered, so a wrong token always costs a lookup.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from ..storage.accounts import token_digest
from ..storage.tables import User

__all__ = ["TokenCache"]


class TokenCache:
    """``get`` / ``put`` a detached User by token, for at most ``ttl`` seconds; ``clear`` on any change."""

    def __init__(self, ttl: float, *, size: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._items: OrderedDict[str, tuple[float, User]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> User | None:
        if self.ttl <= 0:
            return None
        key = token_digest(token)
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if self.clock() >= item[0]:
                del self._items[key]
                return None
            return item[1]

    def put(self, token: str, user: User) -> None:
        if self.ttl <= 0:
            return
        key = token_digest(token)
        with self._lock:
            self._items[key] = (self.clock() + self.ttl, user)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
