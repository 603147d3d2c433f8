"""Draw a TimelineView as a static SVG: no script, text labels, <title> and <desc>.

Layout, top to bottom: window labels, event labels (stacked so they never overlap),
event markers, one small panel per lab test with its threshold, the date axis. The
timing windows are shaded behind everything. Items long before the index operation
are listed in a stub on the left. Coordinates are rounded so output is byte-stable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date as Date
from xml.sax.saxutils import escape, quoteattr

from .clinical import clinical_label
from .labels import MONTHS, fmt_num, lab_status_label
from .timeline import LabSeries, TimelineEvent, TimelineView

__all__ = ["timeline_svg", "WIDTH"]

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,40}")
WIDTH = 760
LEFT = 118  # room for the earlier-items stub and the lab panel labels
RIGHT = 14
FONT = 12
ROW = 15
PANEL_H = 58
PANEL_GAP = 26
BAND_FILL = {"early": "#fde7d4", "intermediate": "#e3ecfb", "late": "#e4f2e1"}
BAND_EDGE = {"early": "#b4561b", "intermediate": "#2f5ea8", "late": "#3b7a2f"}
EVENT_COLOUR = {
    "surgery": "#111111", "onset": "#b3261e", "imaging": "#4a4a4a", "lab": "#4a4a4a", "assessment": "#4a4a4a",
}
ALERT = "#b3261e"
OK = "#1d5e20"
EXPECTED = "#8a5a00"


def _n(x: float) -> str:
    """A coordinate as text: one decimal, no trailing '.0'."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _t(s: str) -> str:
    return escape(s)


_NARROW = frozenset("ijlft.,:;'!|()[] -")
_WIDE = frozenset("mwMW@%")


def _text_width(s: str, size: float = FONT) -> float:
    """Approximate width of a label in DejaVu Sans-like fonts (generous, so labels never collide)."""
    em = sum(0.34 if c in _NARROW else 0.9 if c in _WIDE else 0.7 if c.isupper() or c.isdigit() else 0.58 for c in s)
    return em * size


class _Rows:
    """Greedy placement of labels into rows so that none overlap."""

    def __init__(self) -> None:
        self.ends: list[float] = []

    def place(self, x0: float, x1: float) -> int:
        for i, end in enumerate(self.ends):
            if x0 > end + 6:
                self.ends[i] = x1
                return i
        self.ends.append(x1)
        return len(self.ends) - 1


def _ticks(start: Date, end: Date) -> list[tuple[Date, str]]:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60, 120) if months / s <= 8), 240)
    y, m = start.year, start.month
    out = []
    while True:
        m0 = y * 12 + m - 1
        if m0 % step == 0:
            d = Date(y, m, 1)
            if start <= d <= end:
                out.append((d, str(y) if step >= 12 else f"{MONTHS[m - 1]} {y}"))
        m += 1
        if m > 12:
            y, m = y + 1, 1
        if Date(y, m, 1) > end:
            break
    return out


def _anchor_label(x: float, label: str, right: float) -> tuple[float, float, str]:
    """Where a label starting at the marker x fits; flip to the left of the marker near the edge."""
    w = _text_width(label)
    if x + 4 + w <= right:
        return x + 4, x + 4 + w, "start"
    return x - 4 - w, x - 4, "end"


def timeline_svg(view: TimelineView, id_prefix: str = "timeline") -> str:
    """The timeline as an SVG string (deterministic). `id_prefix` names the title and desc ids."""
    if not _ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be letters, digits, '-' or '_', not {id_prefix!r}")
    plot_l, plot_r = float(LEFT), float(WIDTH - RIGHT)
    span = max(1, (view.end - view.start).days)

    def x(d: Date) -> float:
        return plot_l + (d - view.start).days / span * (plot_r - plot_l)

    parts: list[str] = []
    # Window labels, stacked.
    band_rows = _Rows()
    band_labels = []
    for b in view.bands:
        x0 = max(plot_l, x(b.start))
        label = b.label + (" (onset)" if b.current else "")
        lx0, lx1, anchor = x0 + 3, x0 + 3 + _text_width(label, 11), "start"
        if lx1 > plot_r:
            lx0, lx1, anchor = plot_r - _text_width(label, 11), plot_r, "end"
        band_labels.append((b, band_rows.place(lx0, lx1), lx0 if anchor == "start" else lx1, anchor, label))
    top = 6 + ROW * len(band_rows.ends)
    # Event labels, stacked above the marker lane.
    ev_rows = _Rows()
    placed = []
    for e in view.events:
        ex = x(e.date)
        lx0, lx1, anchor = _anchor_label(ex, e.label, plot_r)
        placed.append((e, ex, ev_rows.place(lx0, lx1), lx0, lx1, anchor))
    label_top = top + 6
    lane = label_top + ROW * max(1, len(ev_rows.ends)) + 6
    # the stub of earlier items sits left of the plot, above the lab panels' names: the panels start below it
    stub_h = 18 + ROW * 2 * len(view.earlier)
    panels_top = max(lane + 26, top + stub_h + 8) if view.labs else lane + 26
    axis_y = panels_top + len(view.labs) * (PANEL_H + PANEL_GAP) + (0 if view.labs else 8)
    height = max(axis_y + 34, top + stub_h + 10)

    # Shaded windows (behind everything).
    for b, row, lx, anchor, label in band_labels:
        bx0 = max(plot_l, x(b.start))
        bx1 = plot_r if b.end is None else min(plot_r, x(b.end) + (plot_r - plot_l) / span)
        if bx1 <= bx0:
            continue
        edge = BAND_EDGE[b.window]
        parts.append(
            f'<rect x="{_n(bx0)}" y="{_n(top - 2)}" width="{_n(bx1 - bx0)}" height="{_n(axis_y - top + 2)}" '
            f'fill="{BAND_FILL[b.window]}"'
            + (f' stroke="{edge}" stroke-width="2"' if b.current else "") + "/>"
        )
        weight = ' font-weight="bold"' if b.current else ""
        parts.append(
            f'<text x="{_n(lx)}" y="{_n(14 + row * ROW)}" font-size="11" fill="{edge}" '
            f'text-anchor="{anchor}"{weight}>{_t(label)}</text>'
        )
    # Guide lines and markers for events.
    for e, ex, row, _lx0, _lx1, _anchor in placed:
        colour = EVENT_COLOUR[e.kind]
        ly = label_top + 10 + row * ROW
        if e.kind in ("surgery", "onset", "assessment"):
            dash = {"surgery": "", "onset": ' stroke-dasharray="5 3"', "assessment": ' stroke-dasharray="2 3"'}[e.kind]
            width = "2" if e.kind != "assessment" else "1.2"
            parts.append(
                f'<line x1="{_n(ex)}" y1="{_n(ly - 10)}" x2="{_n(ex)}" y2="{_n(axis_y)}" stroke="{colour}" '
                f'stroke-width="{width}"{dash}/>'
            )
        else:
            parts.append(
                f'<line x1="{_n(ex)}" y1="{_n(ly - 10)}" x2="{_n(ex)}" y2="{_n(lane)}" stroke="{colour}" '
                'stroke-width="0.8"/>'
            )
        parts.append(_marker(e, ex, lane))
    # Event labels last, on a light backing so that guide lines never run through them.
    for e, _ex, row, lx0, lx1, anchor in placed:
        ly = label_top + 10 + row * ROW
        weight = ' font-weight="bold"' if e.kind in ("surgery", "onset") else ""
        parts.append(_backing(lx0, lx1, ly, FONT))
        parts.append(
            f'<text x="{_n(lx0 if anchor == "start" else lx1)}" y="{_n(ly)}" font-size="{FONT}" '
            f'fill="{EVENT_COLOUR[e.kind]}" text-anchor="{anchor}"{weight}>{_t(e.label)}</text>'
        )
    # Lab panels.
    for i, s in enumerate(view.labs):
        parts.extend(_lab_panel(s, panels_top + i * (PANEL_H + PANEL_GAP), plot_l, plot_r, x))
    # Axis.
    parts.append(
        f'<line x1="{_n(plot_l)}" y1="{_n(axis_y)}" x2="{_n(plot_r)}" y2="{_n(axis_y)}" stroke="#111" '
        'stroke-width="1"/>'
    )
    for d, label in _ticks(view.start, view.end):
        tx = x(d)
        parts.append(f'<line x1="{_n(tx)}" y1="{_n(axis_y)}" x2="{_n(tx)}" y2="{_n(axis_y + 5)}" stroke="#111"/>')
        parts.append(
            f'<text x="{_n(tx)}" y="{_n(axis_y + 18)}" font-size="11" fill="#111" text-anchor="middle">'
            f"{_t(label)}</text>"
        )
    # Items before the axis.
    if view.earlier:
        parts.append(f'<text x="4" y="{_n(top + 12)}" font-size="11" font-weight="bold" fill="#111">Earlier:</text>')
        for k, e in enumerate(view.earlier):
            y = top + 12 + ROW * (1 + 2 * k)
            what = e.label.split(": ", 1)[-1]
            parts.append(
                f'<text x="4" y="{_n(y)}" font-size="10" fill="#111">{_t(e.date.isoformat())} '
                f"{_t(e.kind.capitalize())}</text>"
            )
            parts.append(
                f'<text x="4" y="{_n(y + ROW - 3)}" font-size="10" fill="#111"><title>{_t(e.label)}</title>'
                f"{_t(_short(what))}</text>"
            )

    tid, did = f"{id_prefix}-title", f"{id_prefix}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="{WIDTH}" height="{_n(height)}" role="img" aria-labelledby={quoteattr(tid + " " + did)} '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">'
        f"<title id={quoteattr(tid)}>Timeline of operations, symptom onset and labs against the timing windows</title>"
        f"<desc id={quoteattr(did)}>{_t(view.summary)}</desc>"
    )
    return head + "".join(parts) + "</svg>"


def _backing(x0: float, x1: float, baseline: float, size: float) -> str:
    """A light rectangle behind a label."""
    return (
        f'<rect x="{_n(x0 - 2)}" y="{_n(baseline - size + 1)}" width="{_n(x1 - x0 + 4)}" height="{_n(size + 2)}" '
        'fill="#ffffff" fill-opacity="0.8"/>'
    )


def _short(label: str, limit: int = 19) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _marker(e: TimelineEvent, ex: float, lane: float) -> str:
    c = EVENT_COLOUR[e.kind]
    if e.kind == "surgery":
        size = 8 if e.is_index else 6
        return (
            f'<path d="M{_n(ex)} {_n(lane - size)} L{_n(ex + size)} {_n(lane + size / 2)} '
            f'L{_n(ex - size)} {_n(lane + size / 2)} Z" fill="{c}"/>'
        )
    if e.kind == "onset":
        return f'<circle cx="{_n(ex)}" cy="{_n(lane)}" r="6" fill="#ffffff" stroke="{c}" stroke-width="3"/>'
    if e.kind == "assessment":
        return (
            f'<path d="M{_n(ex)} {_n(lane - 6)} L{_n(ex + 6)} {_n(lane)} L{_n(ex)} {_n(lane + 6)} '
            f'L{_n(ex - 6)} {_n(lane)} Z" fill="{c}"/>'
        )
    return f'<rect x="{_n(ex - 4)}" y="{_n(lane - 4)}" width="8" height="8" fill="{c}"/>'


def _lab_panel(s: LabSeries, y0: float, plot_l: float, plot_r: float, x: Callable[[Date], float]) -> list[str]:
    vals = [p.value for p in s.points] + ([s.threshold] if s.threshold is not None else [])
    vmax = max(vals) * 1.2 if max(vals) > 0 else 1.0
    y1 = y0 + PANEL_H

    def y(v: float) -> float:
        return y1 - v / vmax * PANEL_H

    head = f"{s.label} ({s.unit})"
    if s.threshold is not None:
        head += f"; dashed line: threshold {fmt_num(s.threshold)} {s.unit}"
    out = [
        f'<rect x="{_n(plot_l)}" y="{_n(y0)}" width="{_n(plot_r - plot_l)}" height="{PANEL_H}" fill="#ffffff" '
        'fill-opacity="0.55" stroke="#777" stroke-width="0.6"/>',
        _backing(plot_l + 2, plot_l + 2 + _text_width(head, 10.5), y0 - 5, 10.5),
        f'<text x="{_n(plot_l + 2)}" y="{_n(y0 - 5)}" font-size="10.5" fill="#111">{_t(head)}</text>',
        f'<text x="{_n(plot_l - 6)}" y="{_n(y0 + 12)}" font-size="11" font-weight="bold" fill="#111" '
        f'text-anchor="end">{_t(clinical_label(s.test))}</text>',
        f'<text x="{_n(plot_l - 6)}" y="{_n(y0 + 25)}" font-size="10" fill="#111" text-anchor="end">'
        f"{_t(s.unit)}</text>",
        f'<text x="{_n(plot_l - 6)}" y="{_n(y1)}" font-size="9" fill="#444" text-anchor="end">0</text>',
    ]
    if s.threshold is not None:
        ty = y(s.threshold)
        out.append(
            f'<line x1="{_n(plot_l)}" y1="{_n(ty)}" x2="{_n(plot_r)}" y2="{_n(ty)}" stroke="#444" '
            'stroke-width="1" stroke-dasharray="6 3"/>'
        )
        if all(abs(ty + 3 - taken) >= 10 for taken in (y0 + 12, y0 + 25, y1)):
            out.append(
                f'<text x="{_n(plot_l - 6)}" y="{_n(ty + 3)}" font-size="9" fill="#444" text-anchor="end">'
                f"{_t(fmt_num(s.threshold))}</text>"
            )
    if len(s.points) > 1:
        pts = " ".join(f"{_n(x(p.date))},{_n(y(p.value))}" for p in s.points)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#333" stroke-width="1.2"/>')
    rows = _Rows()
    for p in s.points:
        px, py = x(p.date), y(p.value)
        colour = ALERT if p.alert else (EXPECTED if p.status == "raised_expected" else OK)
        label = fmt_num(p.value)
        width = _text_width(label, 10)
        lx0 = px + 6 if px + 6 + width <= plot_r - 2 else px - 6 - width
        row = rows.place(lx0, lx0 + width)
        ly = min(y1 - 2, max(y0 + 10, py + 4 - row * 11))
        out.append(
            f'<circle cx="{_n(px)}" cy="{_n(py)}" r="{4.5 if p.alert else 3.5}" fill="{colour}">'
            f"<title>{_t(f'{s.label} {label} {s.unit} on {p.date.isoformat()}: {lab_status_label(p.status)}')}</title>"
            "</circle>"
        )
        out.append(
            f'<text x="{_n(lx0)}" y="{_n(ly)}" font-size="10" fill="{colour}"'
            + (' font-weight="bold"' if p.alert else "") + f">{_t(label)}</text>"
        )
    return out
