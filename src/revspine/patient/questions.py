"""An offline question box: BM25 over the pack's patient answers. Nothing is downloaded.

    >>> box = QuestionBox(load_pack())
    >>> box.ask("how long until I can go back to work")[0].id
    'recovery_time'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .._construct import make
from ..knowledge.pack import KnowledgePack
from .models import PatientAnswerResult, QuestionMatch
from .schema import PatientAnswer

__all__ = ["QuestionBox", "tokens", "NO_MATCH"]

NO_MATCH = "I could not find an answer to that question here. Please ask your care team."
_STOP = frozenset(
    "a an and are as at be been but by can could do does for from had has have how i if in into is it its "
    "me my of on or so than that the their them then there these they this to was we what when where which "
    "who why will with would you your after before about more".split()
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens without stop words, with a light plural strip ('scans' -> 'scan')."""
    out = []
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if w in _STOP:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class QuestionBox:
    """BM25 (Okapi) over each answer's question, source question, keywords and text."""

    def __init__(self, pack: KnowledgePack) -> None:
        from rank_bm25 import BM25Okapi  # local: keeps numpy out of import time for callers that never ask

        answers: Mapping[str, PatientAnswer] = pack.sections.get("patient_answers", {})
        self._answers = list(answers.values())
        corpus = []
        for a in self._answers:
            # the question and keywords count twice: they say what the answer is about
            head = " ".join([a.question, a.seed_question or "", " ".join(a.keywords)])
            corpus.append(tokens(head) * 2 + tokens(a.answer))
        self._bm25 = BM25Okapi(corpus) if corpus else None

    def ask(
        self, query: str, *, top: int = 3, personalised: Sequence[PatientAnswerResult] = ()
    ) -> list[QuestionMatch]:
        """Best answers first; empty when nothing matches. ``personalised`` swaps in this patient's answers."""
        q = tokens(query)
        if self._bm25 is None or not q:
            return []
        scores = self._bm25.get_scores(q)
        mine = {p.id: p for p in personalised}
        ranked = sorted(range(len(self._answers)), key=lambda i: (-scores[i], i))
        out = []
        for i in ranked[:top]:
            if scores[i] <= 0:
                break
            a = self._answers[i]
            text = mine[a.id].answer if a.id in mine else a.answer
            out.append(
                make(QuestionMatch,
                    id=a.id, question=a.question, answer=text, score=round(float(scores[i]), 3),
                    citations=list(a.citations),
                )
            )
        return out
