"""Knowledge-pack sections for the patient: plain texts, answers to common questions, and the
jargon list that every patient-facing text is checked against.

A text that uses a jargon term must also contain that term's plain explanation; the pack checker
below enforces it on load, so a hospital's local texts obey the same rule.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...errors import Problem
from ..loader import register_checker, register_section

__all__ = ["JargonTerm", "PatientText", "PatientAnswer", "PLACEHOLDERS", "jargon_problems", "placeholders_in"]

Cited = list[str]
PLACEHOLDERS = frozenset({
    "levels", "surgery_date", "surgery_count", "cause_name", "pass_first", "pass_now", "odds", "earlier",
    "score", "band", "instrument_name", "targets", "approach_list",
})


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JargonTerm(_Entry):
    id: str = Field(description="The term, lower case")
    forms: list[str] = Field(default_factory=list, description="Other spellings and plurals")
    explained_as: str = Field(description="The plain phrase that must appear wherever the term does")


class PatientText(_Entry):
    """A reusable plain-language text. Ids: cause.<cause>, decision.<category>, risk.<rule>, plan.<part>, ..."""

    id: str
    text: str
    citations: Cited = Field(min_length=1)


class PatientAnswer(_Entry):
    id: str
    question: str = Field(description="The question in plain words, as shown to the patient")
    seed_question: str | None = Field(None, description="The question as the source page asks it (for search)")
    keywords: list[str] = Field(default_factory=list, description="Extra words people use when asking this")
    answer: str
    by_cause: dict[str, str] = Field(default_factory=dict, description="Added when this cause leads the assessment")
    by_decision: dict[str, str] = Field(default_factory=dict, description="Added for this decision category")
    citations: Cited = Field(min_length=1)


def placeholders_in(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _pattern(term: JargonTerm) -> re.Pattern[str]:
    return _words_pattern(tuple(sorted({term.id, *term.forms}, key=len, reverse=True)))


@lru_cache(maxsize=1024)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE)


def jargon_problems(text: str, jargon: dict[str, JargonTerm]) -> list[str]:
    """Jargon terms used in ``text`` without their plain explanation alongside."""
    found = []
    lowered = text.lower()
    for term in jargon.values():
        if _pattern(term).search(text) and term.explained_as.lower() not in lowered:
            found.append(f"uses '{term.id}' without '{term.explained_as}'")
    return found


@register_checker
def _check_patient_texts(sections: dict[str, Any]) -> list[Problem]:
    jargon: dict[str, JargonTerm] = sections.get("jargon", {})
    problems: list[Problem] = []
    texts: list[tuple[str, str]] = []
    for tid, t in sections.get("patient_texts", {}).items():
        texts.append((f"patient_texts[{tid}]", t.text))
    for aid, a in sections.get("patient_answers", {}).items():
        where = f"patient_answers[{aid}]"
        texts += [(f"{where}.question", a.question), (f"{where}.answer", a.answer)]
        texts += [(f"{where}.by_cause.{k}", v) for k, v in a.by_cause.items()]
        texts += [(f"{where}.by_decision.{k}", v) for k, v in a.by_decision.items()]
        for cause in a.by_cause:
            if cause not in sections.get("causes", {}):
                problems.append(Problem(f"{where}.by_cause", f"'{cause}' is not a cause id"))
    for where, text in texts:
        unknown = placeholders_in(text) - PLACEHOLDERS
        if unknown:
            problems.append(Problem(where, f"unknown placeholder(s): {', '.join(sorted(unknown))}"))
        for msg in jargon_problems(text, jargon):
            problems.append(Problem(where, msg))
    return problems


for _name, _model in (("jargon", JargonTerm), ("patient_texts", PatientText), ("patient_answers", PatientAnswer)):
    register_section(_name, _model)
