"""A schematic SVG of the sagittal profile, current against target.

The drawing chains a sacral endplate tilted by SS, a lumbar arc of LL degrees and a thoracic
arc of TK degrees; the femoral head sits where PT puts it. It is a picture of the angles, not
a measurement: the drawn plumb line is geometric, and the measured SVA is printed beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from .models import AlignmentResult

__all__ = ["Profile", "profile_points", "sagittal_profile_svg"]

_LUMBAR_LEN = 170.0
_THORACIC_LEN = 230.0
_ENDPLATE_HALF = 22.0
_HIP_DIST = 95.0
_STEPS = 36
CURRENT_COLOUR = "#1f4e79"
TARGET_COLOUR = "#c0504d"


@dataclass(frozen=True)
class Profile:
    ss: float
    ll: float
    pt: float | None
    tk: float | None
    label: str
    colour: str
    dashed: bool = False


def _arc(x: float, y: float, theta: float, turn: float, length: float) -> tuple[list[tuple[float, float]], float]:
    """Walk ``length`` units from (x, y) while the heading (degrees from vertical, + = anterior) turns by ``turn``."""
    pts = []
    step = length / _STEPS
    for i in range(_STEPS):
        th = math.radians(theta + turn * (i + 0.5) / _STEPS)
        x, y = x + step * math.sin(th), y + step * math.cos(th)
        pts.append((x, y))
    return pts, theta + turn


def profile_points(p: Profile) -> dict[str, list[tuple[float, float]]]:
    """Geometry in y-up units: the spine polyline, the sacral endplate and the femoral head centre."""
    ss = math.radians(p.ss)
    anterior = (math.cos(ss), -math.sin(ss))
    post = (-_ENDPLATE_HALF * anterior[0], -_ENDPLATE_HALF * anterior[1])
    ant = (_ENDPLATE_HALF * anterior[0], _ENDPLATE_HALF * anterior[1])
    spine: list[tuple[float, float]] = [(0.0, 0.0)]
    lumbar, heading = _arc(0.0, 0.0, p.ss, -p.ll, _LUMBAR_LEN)
    spine += lumbar
    if p.tk is not None:
        thoracic, _ = _arc(spine[-1][0], spine[-1][1], heading, p.tk, _THORACIC_LEN)
        spine += thoracic
    out = {"spine": spine, "endplate": [post, ant], "s1_posterior": [post]}
    if p.pt is not None:
        pt = math.radians(p.pt)
        out["hip"] = [(_HIP_DIST * math.sin(pt), -_HIP_DIST * math.cos(pt))]
    return out


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _path(points: list[tuple[float, float]], colour: str, width: float, dashed: bool) -> str:
    d = "M " + " L ".join(f"{_fmt(x)} {_fmt(-y)}" for x, y in points)
    dash = ' stroke-dasharray="8 5"' if dashed else ""
    return f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{dash} stroke-linecap="round"/>'


def _draw(p: Profile) -> list[str]:
    g = profile_points(p)
    parts = [_path(g["spine"], p.colour, 6, p.dashed), _path(g["endplate"], p.colour, 3, False)]
    if "hip" in g:
        hx, hy = g["hip"][0]
        parts.append(
            f'<circle cx="{_fmt(hx)}" cy="{_fmt(-hy)}" r="16" fill="none" stroke="{p.colour}" stroke-width="2"/>'
        )
    if not p.dashed:
        ex, ey = g["endplate"][0]
        parts.append(f'<text x="{_fmt(ex - 40)}" y="{_fmt(-ey + 4)}" fill="{p.colour}">S1</text>')
        if "hip" in g:
            hx, hy = g["hip"][0]
            parts.append(f'<text x="{_fmt(hx + 20)}" y="{_fmt(-hy + 4)}" fill="{p.colour}">hip axis</text>')
    top = g["spine"][-1]
    parts.append(
        f'<line x1="{_fmt(top[0])}" y1="{_fmt(-top[1])}" x2="{_fmt(top[0])}" y2="0" stroke="{p.colour}" '
        'stroke-width="1.5" stroke-dasharray="3 4"/>'
    )
    parts.append(f'<circle cx="{_fmt(top[0])}" cy="{_fmt(-top[1])}" r="4" fill="{p.colour}"/>')
    return parts


def _bounds(profiles: list[Profile]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for p in profiles:
        for pts in profile_points(p).values():
            xs += [x for x, _ in pts]
            ys += [-y for _, y in pts]
    return min(xs) - 60, min(ys) - 30, max(xs) + 60, max(ys) + 40


def _target_profile(a: AlignmentResult) -> Profile | None:
    """The PI-class table's theoretical PT and LL: a coherent pair from one source, for the drawing only."""
    m = a.measured
    pi, tk = m.get("pi"), m.get("tk")
    if pi is None or a.status == "inconsistent" or a.pi_class is None or not a.pi_class.matches:
        return None
    row = a.pi_class.matches[0]
    label = (
        f"theoretical for PI {pi:g}°: LL {row.ll_theoretical_deg:g}°, PT {row.pt_theoretical_deg:g}° "
        f"(PI class {row.pi_class}); TK as measured"
    )
    return Profile(
        ss=pi - row.pt_theoretical_deg, ll=row.ll_theoretical_deg, pt=row.pt_theoretical_deg, tk=tk, label=label,
        colour=TARGET_COLOUR, dashed=True,
    )


def sagittal_profile_svg(a: AlignmentResult) -> str | None:
    """SVG markup of the current (solid) and target (dashed) profiles, or None when SS and LL are unknown."""
    m = a.measured
    ss = m.get("ss")
    if ss is None and m.get("pi") is not None and m.get("pt") is not None:
        ss = float(m["pi"] or 0) - float(m["pt"] or 0)
    ll = m.get("ll")
    if ss is None or ll is None:
        return None
    sva = m.get("sva_mm")
    cur_label = f"current: LL {ll:g}°, SS {ss:g}°" + (f", PT {m['pt']:g}°" if m.get("pt") is not None else "")
    cur_label += f", measured SVA {sva:g} mm" if sva is not None else ", SVA not measured"
    profiles = [Profile(ss=ss, ll=ll, pt=m.get("pt"), tk=m.get("tk"), label=cur_label, colour=CURRENT_COLOUR)]
    target = _target_profile(a)
    if target is not None:
        profiles.append(target)
    x0, y0, x1, y1 = _bounds(profiles)
    x1 = max(x1, x0 + 700)  # room for the legend
    legend_h = 22 * (len(profiles) + 2)
    width, height = x1 - x0, y1 - y0 + legend_h
    body: list[str] = []
    for p in profiles:
        body += _draw(p)
    ly = y1 + 8
    legend = []
    for i, p in enumerate(profiles):
        y = ly + 22 * i
        dash = ' stroke-dasharray="8 5"' if p.dashed else ""
        legend.append(
            f'<line x1="{_fmt(x0 + 10)}" y1="{_fmt(y)}" x2="{_fmt(x0 + 40)}" y2="{_fmt(y)}" stroke="{p.colour}" '
            f'stroke-width="5"{dash}/><text x="{_fmt(x0 + 48)}" y="{_fmt(y + 5)}">{escape(p.label)}</text>'
        )
    note = "Schematic, not to scale. Patient faces right; dotted lines drop a plumb line from the top of each curve."
    legend.append(f'<text x="{_fmt(x0 + 10)}" y="{_fmt(ly + 22 * len(profiles) + 5)}">{escape(note)}</text>')
    desc = "; ".join(p.label for p in profiles)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_fmt(x0)} {_fmt(y0)} {_fmt(width)} {_fmt(height)}" '
        f'width="{max(int(width), 520)}" role="img" aria-labelledby="sagittal-title sagittal-desc" '
        'font-family="sans-serif" font-size="13">'
        '<title id="sagittal-title">Sagittal profile, current against target</title>'
        f'<desc id="sagittal-desc">{escape(desc)}</desc>'
        f'<line x1="{_fmt(x0)}" y1="0" x2="{_fmt(x1)}" y2="0" stroke="#999" stroke-width="1"/>'
        + "".join(body) + "".join(legend) + "</svg>"
    )
