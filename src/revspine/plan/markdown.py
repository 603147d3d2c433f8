"""Markdown for the plan-area sections of an Assessment (alignment, revision plan, order set,
instruments and outcomes, patient explanation). cli/render.py appends these to its report.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..instruments.models import InstrumentsResult
from ..instruments.outcomes import trend_svg
from ..instruments.scoring import get_instrument
from ..knowledge.pack import KnowledgePack
from ..patient.models import PatientExplanation
from .models import AlignmentResult, OrderSet, RevisionPlan
from .order_set import line_text
from .svg import sagittal_profile_svg

if TYPE_CHECKING:
    from ..pipeline import Assessment

__all__ = ["extra_sections", "alignment_md", "plan_md", "order_set_md", "instruments_md", "patient_md", "svg_figure"]


def _cites(ids: list[str]) -> str:
    return f" [{', '.join(ids)}]" if ids else ""


def svg_figure(svg: str, caption: str) -> str:
    """The SVG as a raw HTML block: Markdown-to-HTML converters show the drawing; the terminal skips it."""
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def alignment_md(al: AlignmentResult) -> list[str]:
    L = ["## Sagittal alignment", f"Status: **{al.status}**."]
    for w in al.warnings:
        L.append(f"> **Check:** {w}")
    for m in al.modifiers:
        flag = "" if m.reliable else " (rests on inconsistent PI/PT)"
        L.append(f"- {m.label} {m.value:g} {m.unit}: Schwab **{m.grade}** ({m.grade_label}){flag}{_cites(m.citations)}")
    if al.consistency:
        L.append(f"- PI = PT + SS check: {al.consistency.message}{_cites(al.consistency.citations)}")
    L += ["", "Target lumbar lordosis by formula (they disagree; read the population):", "",
          "| Formula | Target (°) | Lordosis to add (°) | Population | Sources |", "|---|---|---|---|---|"]
    for t in al.targets:
        if t.status != "computed":
            what = "needs " + ", ".join(t.missing_inputs) if t.missing_inputs else (t.note or t.status)
            L.append(f"| {t.label} (`{t.expression}`) | — | {what} | {t.population} | {', '.join(t.citations)} |")
            continue
        target = f"{t.low_deg:g}–{t.high_deg:g}" if t.kind == "range" else (
            f"> {t.target_deg:g}" if t.kind == "minimum" else f"{t.target_deg:g}")
        add = "—" if t.correction_min_deg is None else (
            f"{t.correction_min_deg:g}" if t.correction_min_deg == t.correction_max_deg
            else f"{t.correction_min_deg:g} to {t.correction_max_deg:g}")
        q = " (secondary source)" if t.quality == "secondary" else ""
        L.append(f"| {t.label} (`{t.expression}`){q} | {target} | {add} | {t.population} | {', '.join(t.citations)} |")
    if al.pi_class:
        rows = "; ".join(f"class {m.pi_class} ({m.published_range}): PT {m.pt_theoretical_deg:g}°, "
                         f"LL {m.ll_theoretical_deg:g}°" for m in al.pi_class.matches)
        note = f" {al.pi_class.note}" if al.pi_class.note else ""
        L.append(f"\nPI-class table for PI {al.pi_class.pi:g}°: {rows}.{note}{_cites(al.pi_class.citations)}")
    if al.correction:
        L.append(f"\n**Correction:** {al.correction.statement}")
    if al.osteotomies:
        L.append("\nOsteotomy options (correction per level from the sources):")
        for o in al.osteotomies:
            L.append(f"- {o.label}: {o.correction_per_level}. {o.note} {o.requirements}{_cites(o.citations)}")
    L.append(f"\n{al.regional_note}")
    drawing = sagittal_profile_svg(al) if al.status != "inconsistent" else None
    if drawing is not None:
        L += ["", svg_figure(drawing, "Sagittal profile, current against target (schematic)")]
    return L


def plan_md(p: RevisionPlan) -> list[str]:
    head = "## Revision plan: " + p.cause_label + (" (provisional)" if p.provisional else "")
    L = [head]
    if p.provisional:
        L.append(f"> The decision is `{p.decision_category}`: this plan is a starting point if revision is chosen.")
    L.append(f"**Timing.** {p.timing.summary}{_cites(p.timing.citations)}")
    L += [f"- {t}" for t in p.timing.targets]
    L.append(f"\n**Levels.** {', '.join(p.levels.levels) or 'not known'} (from {p.levels.basis}). {p.levels.note}")
    L.append("\n**Approach considerations.**")
    for a in p.approaches:
        L.append(f"- {a.label}: {a.considerations}{_cites(a.citations)}")
    b = p.bone_quality
    L.append(f"\n**Bone quality: {b.status}.** {b.advice} {b.augmentation} ({b.thresholds}){_cites(b.citations)}")
    if p.expected_outcomes:
        L.append("\n**Expected outcomes by cause.**")
        L += [f"- {o}" for o in p.expected_outcomes]
    if p.by_prior_operations:
        e = p.by_prior_operations
        L.append(f"\n**By number of previous operations.** {e.statement}{_cites(e.citations)}")
        L += [f"- {f}" for f in e.figures]
        L.append(f"- Uncertainty: {e.uncertainty}")
    L.append(f"\n**Uncertainty.** {p.uncertainty}")
    L += [f"- Evidence gap: {g}" for g in p.evidence_gaps]
    return L


def order_set_md(o: OrderSet) -> list[str]:
    L = [f"## Peri-operative order set ({o.label} v{o.version})", f"> {o.local_note}"]
    L += [f"> **Check:** {w}" for w in o.warnings]
    for line in o.lines:
        alt = " *(alternative: choose one)*" if line.choose_one_of else ""
        L.append(f"- **{line.title}**{alt}: {line_text(line)}")
        L.append(f"  - evidence: {line.evidence}{_cites(line.citations)}")
        if line.evidence_gap:
            L.append(f"  - evidence gap: {line.evidence_gap}")
    if o.not_applicable:
        L.append("\nNot applicable: " + "; ".join(o.not_applicable))
    return L


def instruments_md(r: InstrumentsResult, pack: KnowledgePack) -> list[str]:
    L = ["## Instruments and outcomes"]
    L += [f"> **ACTION:** {a}" for a in r.alerts]
    for s in r.scores:
        when = f" ({s.date})" if s.date else ""
        subs = "".join(f", {k} {v:g}" for k, v in s.subscales.items())
        work = f" — {s.working}" if s.working else ""
        L.append(f"- {s.label}{when}: **{s.total:g}** {s.unit}{subs} → {s.band}{work}{_cites(s.citations)}")
        L += [f"  - {w}" for w in s.warnings]
    for t in r.trends:
        L.append(f"- Trend: {t.summary}{_cites(t.citations)}")
        if t.pass_note:
            L.append(f"  - {t.pass_note}")
        drawing = trend_svg(t, get_instrument(t.instrument, pack))
        L += ["", svg_figure(drawing, f"{t.label} over time"), ""]
    return L


def patient_md(p: PatientExplanation) -> list[str]:
    L = [f"## For the patient: {p.title}"]
    for s in p.sections:
        L.append(f"\n**{s.heading}.** " + " ".join(x.text for x in s.paragraphs))
    L.append("\nAnswers to common questions (personalised where marked *):")
    for a in p.answers:
        L.append(f"- **{a.question}**{' *' if a.personalised else ''} {a.answer}")
    return L


def extra_sections(a: Assessment, pack: KnowledgePack) -> list[str]:
    """The Markdown lines of every plan-area section present in the assessment."""
    parts: list[list[str]] = []
    if a.alignment is not None:
        parts.append(alignment_md(a.alignment))
    if a.revision_plan is not None:
        parts.append(plan_md(a.revision_plan))
    if a.order_set is not None:
        parts.append(order_set_md(a.order_set))
    if a.instruments is not None:
        parts.append(instruments_md(a.instruments, pack))
    if a.patient is not None:
        parts.append(patient_md(a.patient))
    return [line for part in parts for line in (*part, "")]
