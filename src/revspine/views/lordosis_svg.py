"""Draw the lordosis targets of an AlignmentView side by side: one row per formula on a
degree axis, with the patient's current lordosis (and PI) as vertical lines.

The formulas disagree; the chart makes the spread visible at a glance. Static SVG, no
script, a <title> and a <desc> in words; every text escaped; output deterministic.
"""

from __future__ import annotations

import math

from .labels import fmt_num
from .plan_sections import AlignmentView, LordosisTargetView
from .timeline_svg import _n, _t, _text_width

__all__ = ["lordosis_chart_svg", "CURRENT", "TARGET"]

CURRENT = "#1f4e79"  # the sagittal profile's colours: current solid blue, target red
TARGET = "#c0504d"
WIDTH = 760
LABEL_W = 250
RIGHT = 70
TOP = 34
ROW = 24
BOTTOM = 34
FONT = 12


def _deg(x: float) -> str:
    return f"{fmt_num(x)}°"


def _value_text(t: LordosisTargetView) -> str:
    if t.status != "computed":
        return "not computed" + (f": needs {', '.join(t.missing_inputs)}" if t.missing_inputs else "")
    if t.kind == "range" and t.low_deg is not None and t.high_deg is not None:
        return f"{fmt_num(t.low_deg)}–{_deg(t.high_deg)}"
    if t.target_deg is None:
        return "—"
    return ("> " if t.kind == "minimum" else "") + _deg(t.target_deg)


def _fit(label: str, width: float) -> str:
    if _text_width(label, FONT) <= width:
        return label
    while label and _text_width(label + "…", FONT) > width:
        label = label[:-1]
    return label.rstrip() + "…"


def lordosis_chart_svg(view: AlignmentView) -> str:
    """SVG markup of the targets against the current LL; empty when nothing can be placed."""
    measured = {m.parameter: m.value for m in view.measured}
    ll, pi = measured.get("ll"), measured.get("pi")
    values = [v for t in view.targets if t.status == "computed" for v in (t.target_deg, t.low_deg, t.high_deg)
              if v is not None]
    if not values:
        return ""
    refs = [v for v in (ll, pi) if v is not None]
    lo = math.floor((min(values + refs) - 5) / 10) * 10
    hi = math.ceil((max(values + refs) + 5) / 10) * 10
    plot_l, plot_r = LABEL_W, WIDTH - RIGHT
    height = TOP + ROW * len(view.targets) + BOTTOM

    def x(v: float) -> float:
        return plot_l + (plot_r - plot_l) * (v - lo) / (hi - lo)

    y_end = TOP + ROW * len(view.targets)
    parts: list[str] = [
        f'<rect x="{plot_l}" y="{TOP - 6}" width="{plot_r - plot_l}" height="{y_end - TOP + 12}" fill="#f7f7f8"/>'
    ]
    for tick in range(lo, hi + 1, 10):
        tx = x(tick)
        parts.append(f'<line x1="{_n(tx)}" y1="{TOP - 6}" x2="{_n(tx)}" y2="{y_end + 6}" stroke="#dcdcdc"/>')
        parts.append(f'<text x="{_n(tx)}" y="{y_end + 20}" text-anchor="middle" font-size="11" fill="#444">'
                     f"{tick}°</text>")
    parts.append(f'<text x="{plot_r + 22}" y="{y_end + 20}" font-size="11" fill="#444">LL</text>')
    for i, t in enumerate(view.targets):
        cy = TOP + ROW * i + ROW / 2
        secondary = t.quality == "secondary"
        name = t.label + (" (secondary)" if secondary else "")
        parts.append(f'<text x="{LABEL_W - 8}" y="{_n(cy + 4)}" text-anchor="end" font-size="{FONT}" fill="#111">'
                     f"{_t(_fit(name, LABEL_W - 14))}</text>")
        text = _value_text(t)
        if t.status != "computed":
            parts.append(f'<text x="{plot_l + 6}" y="{_n(cy + 4)}" font-size="11" fill="#666" '
                         f'font-style="italic">{_t(text)}</text>')
            continue
        fill = "#fff" if secondary else TARGET
        dash = ' stroke-dasharray="4 3"' if secondary else ""
        if t.kind == "range" and t.low_deg is not None and t.high_deg is not None:
            x0, x1 = x(t.low_deg), x(t.high_deg)
            parts.append(f'<rect x="{_n(x0)}" y="{_n(cy - 5)}" width="{_n(max(x1 - x0, 2))}" height="10" rx="2" '
                         f'fill="{fill}" fill-opacity="0.85" stroke="{TARGET}" stroke-width="1.5"{dash}/>')
            end = x1
        elif t.kind == "minimum" and t.target_deg is not None:
            x0 = x(t.target_deg)
            parts.append(f'<line x1="{_n(x0)}" y1="{_n(cy)}" x2="{_n(plot_r - 8)}" y2="{_n(cy)}" stroke="{TARGET}" '
                         f'stroke-width="3"{dash}/>')
            parts.append(f'<path d="M {_n(plot_r - 10)} {_n(cy - 5)} L {_n(plot_r - 2)} {_n(cy)} L {_n(plot_r - 10)} '
                         f'{_n(cy + 5)} Z" fill="{TARGET}"/>')
            parts.append(f'<line x1="{_n(x0)}" y1="{_n(cy - 7)}" x2="{_n(x0)}" y2="{_n(cy + 7)}" stroke="{TARGET}" '
                         'stroke-width="3"/>')
            end = x0
        elif t.target_deg is not None:
            end = x(t.target_deg)
            parts.append(f'<circle cx="{_n(end)}" cy="{_n(cy)}" r="5.5" fill="{fill}" stroke="{TARGET}" '
                         'stroke-width="2"/>')
        else:
            continue
        # the value beside the marker: right of it unless that runs off the plot
        tx = end + 9
        anchor = "start"
        if t.kind == "minimum" or tx + _text_width(text, 11) > plot_r + RIGHT - 4:
            tx, anchor = (x(t.target_deg or 0) - 9, "end") if t.kind != "range" else (x(t.low_deg or 0) - 9, "end")
        parts.append(f'<text x="{_n(tx)}" y="{_n(cy + 4)}" text-anchor="{anchor}" font-size="11" '
                     f'font-weight="bold" fill="{TARGET}">{_t(text)}</text>')
    refs_desc = []
    if pi is not None:
        px = x(pi)
        parts.append(f'<line x1="{_n(px)}" y1="{TOP - 10}" x2="{_n(px)}" y2="{y_end + 6}" stroke="#555" '
                     'stroke-width="1.5" stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{_n(px)}" y="{TOP - 14}" text-anchor="middle" font-size="11" fill="#333">'
                     f"PI {_t(_deg(pi))}</text>")
        refs_desc.append(f"PI {_deg(pi)}")
    if ll is not None:
        lx = x(ll)
        parts.append(f'<line x1="{_n(lx)}" y1="{TOP - 10}" x2="{_n(lx)}" y2="{y_end + 6}" stroke="{CURRENT}" '
                     'stroke-width="3"/>')
        parts.append(f'<text x="{_n(lx)}" y="{TOP - 14}" text-anchor="middle" font-size="11" font-weight="bold" '
                     f'fill="{CURRENT}">current LL {_t(_deg(ll))}</text>')
        refs_desc.insert(0, f"current LL {_deg(ll)}")
    desc = "; ".join([*refs_desc, *(f"{t.label}: {_value_text(t)}" for t in view.targets)])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rs-lordosis-chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="lordosis-title lordosis-desc" '
        f'font-family="DejaVu Sans, Arial, sans-serif">'
        '<title id="lordosis-title">Target lumbar lordosis by formula against the current lordosis</title>'
        f'<desc id="lordosis-desc">{_t(desc)}</desc>' + "".join(parts) + "</svg>"
    )
