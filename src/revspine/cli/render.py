"""Render an Assessment as plain text (Rich) or Markdown. Both read the same object."""

from __future__ import annotations

import orjson

from ..engine.facts import bound_prefix
from ..engine.result import CauseResult
from ..knowledge.pack import KnowledgePack
from ..pipeline import Assessment
from ..plan.markdown import extra_sections
from ..settings import configured_pack
from ..views.labels import DECISION_HEADLINES

__all__ = ["to_markdown", "to_json", "cause_line"]

def to_json(a: Assessment) -> str:
    """THE JSON of an assessment (``revspine assess --format json``), indented, one trailing newline."""
    return orjson.dumps(a.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode() + "\n"


def cause_line(c: CauseResult) -> str:
    return f"{c.rank}. {c.label} — score {c.score:.2f} (prior {c.prior:.3g})"


def _evidence(c: CauseResult, indent: str = "   ") -> list[str]:
    out = []
    for label, items in (("for", c.supporting), ("against", c.opposing)):
        for e in items:
            how = f"LR {e.lr:g}" if e.kind == "likelihood_ratio" else f"ordinal {e.weight:+d}"
            out.append(f"{indent}- {label}: {e.label} ({how}; ×{e.factor:g}) — {e.reason} [{', '.join(e.citations)}]")
            for i in e.inputs:
                out.append(f"{indent}  - input: `{i}`")
    return out


def to_markdown(a: Assessment, pack: KnowledgePack | None = None) -> str:
    """The assessment as Markdown; drawings use ``pack`` (default: the built-in pack plus local packs)."""
    L: list[str] = []
    L.append(f"# revspine assessment {a.case_id or ''}".rstrip())
    L.append("")
    L.append(
        f"Assessed {a.assessment_date} · engine {a.versions.engine} · knowledge "
        f"{a.versions.knowledge_id} {a.versions.knowledge}"
    )
    L.append("")
    L.append(f"> {a.decision.disclaimer}")
    L.append("")
    if a.applicability == "not_applicable":
        L.append(f"**{DECISION_HEADLINES['not_applicable']}.** " + " ".join(a.decision.reasons[-1:]))
        L.append("")
    alerts = a.instruments.alerts if a.instruments is not None else []
    L.append("## Red flags and safety alerts" if alerts else "## Red flags")
    for alert in alerts:  # questionnaire answers that need action today (PHQ-9 item 9), beside the red flags
        L.append(f"- **SAFETY ALERT (questionnaire):** {alert}")
    if a.red_flags:
        for r in a.red_flags:
            points = f" Points to: {', '.join(r.points_to)}." if r.points_to else ""
            L.append(f"- **{r.urgency.upper()}: {r.label}.** {r.action}{points} [{', '.join(r.citations)}]")
            for i in r.inputs:
                L.append(f"  - input: `{i}`")
    else:
        L.append("- No red flag found in the data given.")
    L.append("")
    t = a.timing_window
    L.append("## Timing")
    L.append(f"- {t.label}" + (f" (day {t.days_after_surgery})" if t.days_after_surgery is not None else ""))
    if t.note:
        L.append(f"- {t.note}")
    L.append("")
    L.append("## Differential (best first)")
    for c in a.differential:
        L.append(f"{cause_line(c)}")
        # sub-bullets sit under the item's text, however wide its number ("10. ")
        L.extend(_evidence(c, " " * len(f"{c.rank}. ")))
    if a.not_applicable:
        L.append("")
        L.append("Not applicable: " + "; ".join(f"{x.label} ({x.reason})" for x in a.not_applicable))
    L.append("")
    L.append("## Mimics to rule out")
    for m in a.mimics:
        L.append(f"- {m.label} — score {m.score:.2f}" + (" (supporting findings present)" if m.supporting else ""))
    L.append("")
    L.append("## Labs read against the days since surgery")
    for lab in a.labs or []:
        day = f"day {lab.day_after_surgery}" if lab.day_after_surgery is not None else "no surgery date"
        value = f"{bound_prefix(lab.comparator)}{lab.value:g} {lab.unit}"
        L.append(f"- {lab.test} {value} ({lab.date}, {day}): **{lab.status}** — {lab.reading}")
    if not a.labs:
        L.append("- None recorded.")
    L.append("")
    L.append("## Missing work-up (in order)")
    for n, w in enumerate(a.workup, start=1):
        flag = "; before any revision" if w.before_revision else ""
        L.append(f"{n}. {w.label} (priority {w.priority}{flag})")
        for why in w.reasons:
            L.append(" " * len(f"{n}. ") + f"- {why.reason} [{', '.join(why.citations)}]")
    if a.workup_deferred:
        L.append("- Deferred while the course is as expected: " + ", ".join(w.label for w in a.workup_deferred) + ".")
    elif not a.workup:
        L.append("- Nothing missing among the tests the pack knows.")
    L.append("")
    L.append("## Risk factors")
    for rf in a.risk_factors:
        target = f" Target: {rf.target}." if rf.target else ""
        L.append(f"- {rf.label}: {rf.effect}.{target} [{', '.join(rf.citations)}]")
    if not a.risk_factors:
        L.append("- None recorded.")
    L.append("")
    d = a.decision
    L.append("## Decision")
    L.append(f"**{DECISION_HEADLINES[d.category]}** (`{d.category}`, rule {d.rule_id})")
    for because in d.reasons:
        L.append(f"- {because}")
    L.append("")
    L.append("Non-surgical options:")
    for o in d.non_surgical_options:
        L.append(f"- {o.label}: {o.reason} [{', '.join(o.citations)}]")
    L.append("")
    L.append("## Uncertain or missing")
    for u in a.uncertainties:
        L.append(f"- {u}")
    L.append("")
    if a.unweighed:
        L.append("## Recorded, not weighed")
        L.append("No rule of this knowledge pack weighs these entries; they are shown so that nothing is dropped:")
        L.extend(f"- `{u}`" for u in a.unweighed)
        L.append("")
    # alignment, revision plan, order set, instruments, patient (when present)
    L.extend(extra_sections(a, pack or configured_pack()))
    L.append("## Citations")
    for cid, ref in a.citations.items():
        L.append(f"- [{cid}] {ref.text}" + (f" {ref.url}" if ref.url else ""))
    return "\n".join(L) + "\n"
