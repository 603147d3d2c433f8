"""An offline question box: BM25 over the pack's patient answers, with a confidence. Nothing is downloaded.

    >>> box = QuestionBox(load_pack())
    >>> box.ask("how long until I can go back to work")[0].id
    'recovery_time'

Questions come as patients type them: misspelt ("recovry"), in other words ("vape", "physio").
Each word is reduced to a stem and a misspelt word is matched to the nearest word the answers
use (rapidfuzz, edit similarity). The best answer is shown only when it is confident: it must
cover most of the question's words and clearly beat the next answer; otherwise the box says to
ask the care team rather than show a wrong answer (tests/patient/question_eval.yaml measures it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .._construct import make
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.patient import PatientAnswer
from .models import PatientAnswerResult, QuestionMatch

__all__ = ["QuestionBox", "tokens", "NO_MATCH", "CONFIDENCE_THRESHOLD"]

NO_MATCH = "I could not find a good answer to that question here. Please ask your care team."
#: Below this confidence the box shows no answer (calibrated on tests/patient/question_eval.yaml).
CONFIDENCE_THRESHOLD = 0.55
_STOP = frozenset(
    "a an and are as at be been but by can could do does for from had has have how i if in into is it its "
    "me my of on or so than that the their them then there these they this to was we what when where which "
    "who why will with would you your about more am im i'm did get got should any there just really still "
    "ok okay please doctor dr".split()
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s")
_SPELLING_MIN = 88.0  # rapidfuzz ratio (0-100) for a misspelt word to count as a known one


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def tokens(text: str) -> list[str]:
    """Lower-case word stems without stop words ('scans' -> 'scan', 'driving' -> 'driv')."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower().replace("'", ""))
    return [_stem(w) for w in words if w not in _STOP and len(w) > 1]


class QuestionBox:
    """BM25 (Okapi) over each answer's question, source question and keywords (twice) and its text."""

    def __init__(self, pack: KnowledgePack) -> None:
        from rank_bm25 import BM25Okapi  # local: keeps numpy out of import time for callers that never ask

        answers: Mapping[str, PatientAnswer] = pack.sections.get("patient_answers", {})
        self._answers = list(answers.values())
        corpus, self._heads = [], []
        for a in self._answers:
            head = tokens(" ".join([a.question, a.seed_question or "", " ".join(a.keywords)]))
            self._heads.append(frozenset(head))
            corpus.append(head * 2 + tokens(a.answer))
        self._vocabulary = sorted({t for doc in corpus for t in doc})
        self._known = frozenset(self._vocabulary)
        self._bm25 = BM25Okapi(corpus) if corpus else None

    def _spell(self, words: list[str]) -> list[str]:
        """Each unknown word replaced by the closest known one, when it is close enough."""
        from rapidfuzz import fuzz, process

        out = []
        for w in words:
            if w in self._known or len(w) < 5:
                out.append(w)
                continue
            best = process.extractOne(w, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_SPELLING_MIN)
            out.append(best[0] if best else w)
        return out

    def ask(
        self, query: str, *, top: int = 3, personalised: Sequence[PatientAnswerResult] = ()
    ) -> list[QuestionMatch]:
        """Best answers first, each with its confidence; empty when nothing matches at all.
        ``personalised`` swaps in this patient's answers. Callers show only confident ones."""
        q = self._spell(tokens(query))
        if self._bm25 is None or not q:
            return []
        scores = self._bm25.get_scores(q)
        mine = {p.id: p for p in personalised}
        ranked = sorted(range(len(self._answers)), key=lambda i: (-scores[i], i))
        best, second = float(scores[ranked[0]]), float(scores[ranked[1]]) if len(ranked) > 1 else 0.0
        out = []
        for n, i in enumerate(ranked[:top]):
            if scores[i] <= 0:
                break
            a = self._answers[i]
            covered = sum(1 for t in q if t in self._heads[i]) / len(q)
            margin = (best - second) / best if n == 0 else 0.0
            # shown only when most of the question's words are the answer's own and it clearly beats the next
            confidence = round(min(covered, min(1.0, margin / 0.3)), 3)
            text = mine[a.id].answer if a.id in mine else a.answer
            out.append(
                make(QuestionMatch,
                    id=a.id, question=a.question, answer=text, score=round(float(scores[i]), 3),
                    confidence=confidence if n == 0 else min(confidence, 0.0), citations=list(a.citations),
                )
            )
        return out
