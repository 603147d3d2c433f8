"""The login rate limit, in the database so that every worker and host counts the same attempts.

Each attempt is counted against the normalised user name, the user id it names (when it names
one) and the client address. The slot is reserved *before* the password is checked, in one
write transaction (on PostgreSQL under advisory locks on the keys), so concurrent guesses cannot
overtake the count; a successful login gives back the name's and the user's slots.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from .accounts import get_user_by_name, normalise_username, now
from .tables import LoginAttempt

__all__ = ["LoginLimit", "Reservation"]


@dataclass(frozen=True)
class Reservation:
    """The outcome of :meth:`LoginLimit.reserve`: ``wait`` seconds (0: the attempt may go ahead)."""

    wait: float
    keys: tuple[str, ...]


@dataclass(frozen=True)
class LoginLimit:
    per_user: int
    per_ip: int
    window_seconds: int

    def reserve(self, s: Session, username: str, ip: str) -> Reservation:
        """Count this attempt now, unless a limit is already reached (then nothing is counted)."""
        name = normalise_username(username)
        user = get_user_by_name(s, name)
        account_keys = [f"name:{name[:100]}"] + ([f"user:{user.id}"] if user is not None else [])
        limits = {k: self.per_user for k in account_keys} | {f"ip:{ip[:100]}": self.per_ip}
        if s.get_bind().dialect.name == "postgresql":
            for key in sorted(limits):
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(key.encode())})
        t = now()
        cutoff = t - timedelta(seconds=self.window_seconds)
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            s.execute(delete(LoginAttempt).where(LoginAttempt.at <= cutoff))
        wait = 0.0
        for key, limit in limits.items():
            count, oldest = s.execute(select(func.count(LoginAttempt.id), func.min(LoginAttempt.at))
                                      .where(LoginAttempt.key == key, LoginAttempt.at > cutoff)).one()
            if count >= limit and oldest is not None:
                oldest = oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=t.tzinfo)
                wait = max(wait, (oldest - cutoff).total_seconds(), 1.0)
        if wait > 0:
            return Reservation(wait, ())
        s.execute(insert(LoginAttempt), [{"key": k, "at": t} for k in limits])
        return Reservation(0.0, tuple(account_keys))

    def succeeded(self, s: Session, reservation: Reservation) -> None:
        """A good password: the account's slots (not the address's) are given back."""
        if reservation.keys:
            s.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(reservation.keys)))
