"""Matching a value set's ``text_match`` words in free text: whole words, any case."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["words_pattern"]


def words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any of ``words`` as a whole word (not inside a longer word or a hyphenated one)."""
    words = [w for w in words if w]
    if not words:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE)
