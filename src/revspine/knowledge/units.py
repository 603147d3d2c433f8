"""How a laboratory unit is compared: the same unit however it is commonly written.

Only the notation is normalised (UCUM ``10*9/L`` is the ``10^9/L`` of a lab report); a value is converted by
the pack's ``conversions``, never guessed.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["unit_key"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SPELLINGS: dict[str, str] = {"k/ul": "10*3/ul", "thou/ul": "10*3/ul", "/ul": "cells/ul", "/mm3": "cells/mm3",
                              "mm/hr": "mm/h", "mm/hour": "mm/h", "mm/1h": "mm/h", "mm/1hr": "mm/h",
                              "mm/60min": "mm/h"}


@cache
def unit_key(unit: str) -> str:
    """The comparable form of a unit (``10^9/L``, ``x10⁹/L``, ``K/uL`` and ``10*9/L`` alike; ``µg/L``, ``mcg/L``
    and ``ug/L``; ``mm/hr`` and ``mm/h``; any letter case)."""
    u = re.sub("10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", r"10*\1", unit.strip()).translate(_SUPERSCRIPTS)
    u = u.replace(" ", "").replace("^", "*").replace("µ", "u").replace("μ", "u").lower()
    if u[:1] in ("x", "×") and u[1:3] == "10":
        u = u[1:]
    u = u.replace("mcg", "ug").replace("mcl", "ul")
    return _SPELLINGS.get(u, u)
