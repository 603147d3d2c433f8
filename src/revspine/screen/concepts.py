"""The screen's concept sets as rows: (concept set, domain, vocabulary, code, match) and ingredient names.

Codes come from the screen definition and from the pack value sets it names, so one cited list of codes
serves the FHIR reader and the screen alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.screen import VOCABULARY_OF_SYSTEM, ScreenDefinition

__all__ = ["CodeRow", "NameRow", "code_key", "code_rows", "name_rows"]


@dataclass(frozen=True, slots=True)
class CodeRow:
    concept_set: str
    domain: str
    vocabulary: str
    code: str
    key: str  # normalised: upper case, no dots, no spaces
    match: str  # exact | prefix


@dataclass(frozen=True, slots=True)
class NameRow:
    concept_set: str
    domain: str
    name: str  # lower case


def code_key(code: str) -> str:
    """The form a code is compared in: 'm96.1 ' and 'M961' are the same ICD-10-CM code."""
    return code.strip().upper().replace(".", "").replace(" ", "")


def code_rows(screen: ScreenDefinition, pack: KnowledgePack) -> list[CodeRow]:
    rows: set[CodeRow] = set()
    for cs in screen.concept_sets:
        for c in cs.codes:
            rows.add(CodeRow(cs.id, cs.domain, c.vocabulary, c.code, code_key(c.code), c.match))
        for vid in cs.value_sets:
            vs = pack.value_sets[vid]
            vocab = VOCABULARY_OF_SYSTEM[vs.system]
            for vc in vs.codes:
                rows.add(CodeRow(cs.id, cs.domain, vocab, vc.code, code_key(vc.code), vs.match))
    return sorted(rows, key=lambda r: (r.concept_set, r.vocabulary, r.key))


def name_rows(screen: ScreenDefinition, pack: KnowledgePack) -> list[NameRow]:
    rows: set[NameRow] = set()
    for cs in screen.concept_sets:
        names = [n.lower() for n in cs.names]
        for vid in cs.value_sets:
            names.extend(w.lower() for w in pack.value_sets[vid].text_match)
        rows.update(NameRow(cs.id, cs.domain, n) for n in names)
    return sorted(rows, key=lambda r: (r.concept_set, r.name))
