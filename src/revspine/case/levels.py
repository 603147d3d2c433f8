"""Spinal levels: parse ``L4-L5``-style motion segments and reason about adjacency."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["VERTEBRAE", "parse_level", "canonical_level", "is_valid_level", "adjacent_levels", "region_of_level"]

VERTEBRAE: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    "S1",
)
_INDEX = {v: i for i, v in enumerate(VERTEBRAE)}
# A motion segment as operative notes write it: L4-L5, L4-5, L4/5, L4/L5, L4 - L5, L4–L5 (any dash), or one
# vertebra (L4). A lower vertebra written without its letter takes the upper one's (L4-5 is L4-L5).
_LEVEL = re.compile(r"^([CTLS])(\d{1,2})(?:\s*[-/\u2010-\u2015]\s*([CTLS])?(\d{1,2}))?$")


def _split(text: str) -> tuple[str, str] | None:
    m = _LEVEL.match(text.strip().upper())
    if not m:
        return None
    letter, number, lower_letter, lower_number = m.groups()
    upper = f"{letter}{number}"
    return upper, (f"{lower_letter or letter}{lower_number}" if lower_number else upper)


def canonical_level(text: str) -> str:
    """The level in the form revspine stores (``L4-L5``, or ``L4`` for one vertebra), from any notation
    :func:`parse_level` accepts; raises ValueError as it does."""
    i, j = parse_level(text)
    return VERTEBRAE[i] if i == j else _name(i, j)


@lru_cache(maxsize=512)
def parse_level(text: str) -> tuple[int, int]:
    """Return (upper, lower) vertebra indices of a level such as ``L4-L5`` or ``L5-S1`` (also written ``L4-5``,
    ``L4/5`` or ``L4/L5``).

    A single vertebra (``L4``) is returned as (i, i). Raises ValueError with a
    message that names the accepted form.
    """
    parts = _split(text)
    if parts is None:
        raise ValueError(f"'{text}' is not a spinal level; use a form like 'L4-L5' or 'C5-C6'")
    upper, lower = parts
    for v in (upper, lower):
        if v not in _INDEX:
            raise ValueError(f"'{text}': {v} is not a vertebra (C1-C7, T1-T12, L1-L5, S1); use a form like 'L4-L5'")
    i, j = _INDEX[upper], _INDEX[lower]
    if j < i:
        raise ValueError(f"'{text}': the upper vertebra must come first")
    if j - i > 1:
        raise ValueError(f"'{text}' spans more than one motion segment; list each level")
    return i, j


def is_valid_level(text: str) -> bool:
    try:
        parse_level(text)
    except ValueError:
        return False
    return True


def _name(i: int, j: int) -> str:
    return f"{VERTEBRAE[i]}-{VERTEBRAE[j]}"


def adjacent_levels(levels: list[str]) -> set[str]:
    """The motion segments directly above and below each block of (fused) levels.

    Each fused segment contributes its two neighbours; segments that are themselves
    fused are removed, so ``C5-C6`` and ``L4-L5`` give ``C4-C5, C6-C7, L3-L4, L5-S1``.
    """
    segments = {parse_level(lv) for lv in levels}
    out: set[tuple[int, int]] = set()
    for i, j in segments:
        if i - 1 >= 0:
            out.add((i - 1, i))
        if j + 1 < len(VERTEBRAE):
            out.add((j, j + 1))
    return {_name(i, j) for i, j in out - segments}


def region_of_level(text: str) -> str:
    i, _ = parse_level(text)
    v = VERTEBRAE[i]
    return {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "lumbar"}[v[0]]
