"""The patient's side of the view layer: the printable handout and the question box.

    >>> handout = build_handout_view(assessment, patient_label="Ms A. Example")
    >>> html = render("handout.html", handout=handout)     # a self-contained page to print
    >>> found = answer_question(assessment, "how long until I can work", pack)
    >>> html = render("_question.html", found=found)       # the answers, best first

Both are documented view objects, so the web app's page and its JSON twin come from the
same object. Every text comes from the knowledge pack through the Assessment's patient
explanation (checked for reading grade and jargon there); the question box runs BM25
offline over the pack's answers and swaps in this patient's personalised answers.
"""

from __future__ import annotations

from datetime import date as Date

from pydantic import Field

from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack, per_pack
from ..patient.handout import HANDOUT_FOOTER
from ..patient.questions import CONFIDENCE_THRESHOLD, NO_MATCH, QuestionBox
from ..pipeline import Assessment
from .followup_sections import PatientAnswerView, PatientSectionView
from .plan_view import patient_view
from .sections import CitationView, ViewModel

__all__ = [
    "HandoutView",
    "QuestionMatchView",
    "QuestionAnswerView",
    "build_handout_view",
    "answer_question",
    "MAX_QUESTION_CHARS",
]

MAX_QUESTION_CHARS = 500
class HandoutView(ViewModel):
    """The printable handout for the patient: plain-language sections and answers, no codes."""

    title: str = Field(description="Title of the handout")
    patient_label: str | None = Field(description="How the clinic names the patient (given by the caller)")
    assessment_date: Date = Field(description="Date of the assessment the handout explains")
    sections: list[PatientSectionView] = Field(description="The explanation, section by section")
    answers: list[PatientAnswerView] = Field(description="Answers to the questions chosen for this handout")
    footer: str = Field(description="What the handout is and is not; the care team's report lists the sources")
    clinic_name: str | None = Field(None, description="The clinic's name (a setting), printed at the top")
    clinic_contact: str | None = Field(None, description="How to reach the clinic (a setting), printed at the top "
                                                         "and the bottom")


class QuestionMatchView(ViewModel):
    id: str = Field(description="Id of the answer in the knowledge pack")
    question: str = Field(description="The question the answer was written for")
    answer: str = Field(description="The answer; this patient's personalised version when there is one")
    score: float = Field(description="BM25 score of the match; higher is closer (clinician side only)")
    personalised: bool = Field(description="True when the answer carries a sentence for this patient")
    citations: list[str] = Field(description="Citation ids for the answer; the text is in `citations`")


class QuestionAnswerView(ViewModel):
    """What the question box found for one question, best match first."""

    question: str = Field(description="The question as asked (trimmed)")
    found: bool = Field(description="True when at least one answer matched")
    message: str = Field(description="Shown when nothing matched: ask the care team; empty otherwise")
    matches: list[QuestionMatchView] = Field(description="The best answer when the box is confident of it; empty "
                                                         "otherwise (the message then says to ask the care team)")
    citations: list[CitationView] = Field(description="Sources of the answers shown, sorted by id")


def _citations(ids: set[str], pack: KnowledgePack) -> list[CitationView]:
    out = []
    for cid in sorted(ids):
        c = pack.citation_refs.get(cid)
        if c is not None:
            out.append(CitationView(id=cid, text=c.text, url=c.url, quality=c.quality))
    return out


def build_handout_view(
    assessment: Assessment,
    patient_label: str | None = None,
    *,
    answer_ids: list[str] | None = None,
    clinic_name: str | None = None,
    clinic_contact: str | None = None,
) -> HandoutView | None:
    """The handout of an assessment, or None when it carries no patient explanation.

    ``answer_ids`` picks the answers to print (in that order); default: every answer.
    An id the explanation does not have is an InputError naming it."""
    if assessment.patient is None:
        return None
    pv = patient_view(assessment.patient)
    answers = pv.answers
    if answer_ids is not None:
        by_id = {a.id: a for a in answers}
        unknown = [Problem(f"answer_ids[{n}]", f"no answer '{i}'") for n, i in enumerate(answer_ids) if i not in by_id]
        if unknown:
            raise InputError("unknown answer id", unknown)
        answers = [by_id[i] for i in answer_ids]
    return HandoutView(
        title=pv.title, patient_label=patient_label, assessment_date=assessment.assessment_date,
        sections=pv.sections, answers=answers, footer=HANDOUT_FOOTER, clinic_name=clinic_name or None,
        clinic_contact=clinic_contact or None,
    )


@per_pack
def _box(pack: KnowledgePack) -> QuestionBox:
    return QuestionBox(pack)


def answer_question(assessment: Assessment | None, question: str, pack: KnowledgePack, *,
                    top: int = 3) -> QuestionAnswerView:
    """The best answers to a patient's question, offline (BM25 over the pack's answers).

    With an assessment, this patient's personalised answers replace the general ones. An empty
    or over-long question is an InputError on `question`; `top` must be 1 to 10."""
    q = " ".join((question or "").split())
    if not q:
        raise InputError("the question is empty", [Problem("question", "type a question")])
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError("the question is too long",
                         [Problem("question", f"at most {MAX_QUESTION_CHARS} characters; got {len(q)}")])
    if not 1 <= top <= 10:
        raise InputError("top is out of range", [Problem("top", f"1 to 10; got {top}")])
    mine = {a.id: a for a in assessment.patient.answers} if assessment and assessment.patient else {}
    found = _box(pack).ask(q, top=top, personalised=list(mine.values()))
    # only a confident best answer is shown: below the threshold, "ask your care team", never a guess
    matches = found[:1] if found and found[0].confidence >= CONFIDENCE_THRESHOLD else []
    views = [
        QuestionMatchView(id=m.id, question=m.question, answer=m.answer, score=m.score,
                          personalised=m.id in mine and mine[m.id].personalised, citations=list(m.citations))
        for m in matches
    ]
    return QuestionAnswerView(
        question=q, found=bool(views), message="" if views else NO_MATCH, matches=views,
        citations=_citations({c for m in views for c in m.citations}, pack),
    )
