"""The virulence of a cultured organism: as recorded, or read from its name through the pack's organism value sets.

A culture that names ``Staphylococcus aureus`` but leaves ``organism_virulence`` blank is a high-virulence culture
(one positive deep sample is significant, IDSA); ``Cutibacterium acnes`` a low-virulence one. High-virulence names
are tried first: a culture that grew S. aureus with a skin contaminant is a high-virulence culture.
"""

from __future__ import annotations

import re

from ..case.model import Case
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.textmatch import words_pattern

__all__ = ["culture_virulence"]


@per_pack
def _patterns(pack: KnowledgePack) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(virulence, pattern) of each organism value set, high virulence first."""
    found = []
    for vs in pack.value_sets.values():
        if vs.maps_to.get("domain") != "organism":
            continue
        pattern = words_pattern(vs.text_match)
        if pattern is not None:
            found.append((str(vs.maps_to["virulence"]), pattern))
    return tuple(sorted(found, key=lambda vp: vp[0] != "high"))


def culture_virulence(case: Case, pack: KnowledgePack) -> tuple[tuple[str | None, bool], ...]:
    """For each culture: (virulence or None, True when read from the organism's name)."""
    if not case.cultures:
        return ()
    out: list[tuple[str | None, bool]] = []
    for c in case.cultures:
        if c.organism_virulence is not None or not c.organism:
            out.append((c.organism_virulence, False))
            continue
        read = next((v for v, pattern in _patterns(pack) if pattern.search(c.organism)), None)
        out.append((read, read is not None))
    return tuple(out)
