"""Result models for the patient: the plain-language explanation and question-box matches."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PatientParagraph", "PatientSection", "PatientAnswerResult", "PatientExplanation", "QuestionMatch"]


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientParagraph(_R):
    text: str
    source: str = Field(description="Id of the pack text it came from")
    citations: list[str]


class PatientSection(_R):
    id: str
    heading: str
    paragraphs: list[PatientParagraph]


class PatientAnswerResult(_R):
    id: str
    question: str
    answer: str
    personalised: bool = Field(description="True when a sentence for this patient's cause or decision was added")
    citations: list[str]


class PatientExplanation(_R):
    """What the patient reads: written at or below US grade 8 and checked against the jargon list."""

    title: str
    sections: list[PatientSection]
    answers: list[PatientAnswerResult]
    citations: list[str]


class QuestionMatch(_R):
    id: str
    question: str
    answer: str
    score: float = Field(description="BM25 score; higher is a closer match")
    confidence: float = Field(0.0, description="0..1: how much of the question the answer covers, and how clearly "
                                               "it beats the next answer; below the box's threshold it is not shown")
    citations: list[str]
