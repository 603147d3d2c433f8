"""Matching a value set's ``text_match`` words in free text: whole words, any case."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["words_pattern", "lower_first"]


def words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any of ``words`` as a whole word (not inside a longer word or a hyphenated one)."""
    words = [w for w in words if w]
    if not words:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE)


def lower_first(text: str) -> str:
    """Lower-case the first letter of a label inside a sentence, but not of an acronym (CRP, MRI, ESR)."""
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1].islower() else text
