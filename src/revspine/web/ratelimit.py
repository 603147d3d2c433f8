"""In-process sliding-window limiter for failed logins (per username and per client address)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """Counts failures; ``blocked`` says whether another attempt must wait, and how long."""

    def __init__(self, per_user: int, per_ip: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic):
        self.per_user, self.per_ip, self.window = per_user, per_ip, window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, username: str, ip: str) -> float:
        """Seconds until another attempt is allowed (0 when allowed)."""
        now = self.clock()
        with self._lock:
            waits = []
            for key, limit in ((f"u:{username.lower()}", self.per_user), (f"ip:{ip}", self.per_ip)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(q[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, username: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"u:{username.lower()}", f"ip:{ip}"):
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a spray of usernames
                for key in [k for k, q in self._failures.items() if not q]:
                    del self._failures[key]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username.lower()}", None)
