"""For the patient: a plain-language explanation, answers to common questions, an offline
question box (BM25) and a printable handout. Every text lives in the knowledge pack.
"""

from ..knowledge.sections import patient as schema
from ..knowledge.sections.patient import jargon_problems
from .explain import explain_for_patient, personalised_answers
from .handout import handout_html
from .models import PatientAnswerResult, PatientExplanation, PatientParagraph, PatientSection, QuestionMatch
from .questions import NO_MATCH, QuestionBox

__all__ = [
    "schema", "explain_for_patient", "personalised_answers", "handout_html", "QuestionBox", "NO_MATCH",
    "jargon_problems", "PatientExplanation", "PatientSection", "PatientParagraph", "PatientAnswerResult",
    "QuestionMatch",
]
