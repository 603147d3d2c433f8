"""A printable patient handout: one self-contained HTML page (the web helper renders it to PDF)."""

from __future__ import annotations

from html import escape

from .models import PatientExplanation

__all__ = ["handout_html", "HANDOUT_FOOTER"]

HANDOUT_FOOTER = (
    "This page helps you talk with your care team. It does not replace their advice. "
    "Your care team's report lists the source for each statement."
)
_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; font-size: 13pt; line-height: 1.5; color: #111;
       max-width: 42em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.4em; border-bottom: 1px solid #999; }
dt { font-weight: bold; margin-top: 0.8em; } dd { margin-left: 0; }
.meta { color: #444; font-size: 0.95em; } footer { margin-top: 2em; font-size: 0.95em; color: #333; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } dt { page-break-after: avoid; } }
"""


def handout_html(explanation: PatientExplanation, *, patient_label: str | None = None, date: str | None = None) -> str:
    """The handout as an HTML document. Every string from the explanation is escaped."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(explanation.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(explanation.title)}</h1>",
    ]
    meta = " · ".join(escape(x) for x in (patient_label, date) if x)
    if meta:
        parts.append(f'<p class="meta">{meta}</p>')
    for section in explanation.sections:
        parts.append(f'<section id="{escape(section.id)}"><h2>{escape(section.heading)}</h2>')
        parts += [f"<p>{escape(p.text)}</p>" for p in section.paragraphs]
        parts.append("</section>")
    parts.append('<section id="questions"><h2>Your questions, answered</h2><dl>')
    for a in explanation.answers:
        parts.append(f"<dt>{escape(a.question)}</dt><dd>{escape(a.answer)}</dd>")
    parts.append("</dl></section>")
    parts.append(f"<footer><p>{escape(HANDOUT_FOOTER)}</p></footer></body></html>")
    return "\n".join(parts)
