"""Outcome tracking: a dated series of totals -> change, MCID reached or not, PASS, and a plot.

For every instrument shipped, a lower score is better; the code still reads ``higher_is_worse``
so that a local pack could add one where higher is better.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from .._construct import make
from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.instruments import Instrument
from .models import OutcomeTrend, SeriesPoint, ThresholdCheck
from .scoring import get_instrument

__all__ = ["track", "trend_svg"]

_DAYS_PER_MONTH = 30.44


def _slope(points: list[SeriesPoint]) -> float | None:
    if len(points) < 2:
        return None
    t0 = points[0].date
    xs = [(p.date - t0).days / _DAYS_PER_MONTH for p in points]
    ys = [p.total for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx, 2)


def _checks(inst: Instrument, base: float, latest: float) -> list[ThresholdCheck]:
    sign = 1 if inst.higher_is_worse else -1
    gain = sign * (base - latest)
    out = []
    for m in inst.mcid:
        if m.kind == "points":
            change = round(gain, 2)
        elif base == 0:
            continue
        else:
            change = round(gain / abs(base) * 100, 1)
        out.append(
            make(ThresholdCheck,
                kind=m.kind, threshold=m.value, change=change, reached=change >= m.value, population=m.population,
                citations=list(m.citations),
            )
        )
    return out


def track(instrument_id: str, series: Sequence[tuple[date, float]], pack: KnowledgePack) -> OutcomeTrend:
    """Trend of one instrument over time. The earliest point is the baseline."""
    inst = get_instrument(instrument_id, pack)
    if len(series) < 2:
        raise InputError("a trend needs at least two dated scores", [Problem("series", f"{len(series)} given")])
    for i, (_, total) in enumerate(series):
        if not inst.total_min <= total <= inst.total_max:
            raise InputError(
                f"{inst.label}: score out of range",
                [Problem(f"series[{i}]", f"{total:g} is outside {inst.total_min:g}-{inst.total_max:g}", total)],
            )
    points = [make(SeriesPoint, date=d, total=float(t)) for d, t in sorted(series, key=lambda p: p[0])]
    base, latest = points[0], points[-1]
    checks = _checks(inst, base.total, latest.total)
    change = round(latest.total - base.total, 2)
    pct = round(change / abs(base.total) * 100, 1) if base.total else None
    if not inst.mcid:
        direction = "not_interpretable"
    elif any(c.reached for c in checks):
        direction = "improved"
    elif any(-c.change >= c.threshold for c in checks):
        direction = "worsened"
    else:
        direction = "no_important_change"
    pass_ok = pass_thr = None
    if inst.pass_state is not None:
        pass_thr = inst.pass_state.at_most
        pass_ok = latest.total <= pass_thr
    words = {
        "improved": "an important improvement",
        "worsened": "an important worsening",
        "no_important_change": "no important change",
        "not_interpretable": "a change that no published threshold interprets",
    }
    summary = (
        f"{inst.label}: {base.total:g} on {base.date} to {latest.total:g} on {latest.date} "
        f"({change:+g} {'percentage points' if inst.unit == '%' else inst.unit}) is {words[direction]}"
    )
    reached = [f"{c.threshold:g} {'points' if c.kind == 'points' else '%'}" for c in checks if c.reached]
    if checks:
        summary += f" (MCID reached: {', '.join(reached) if reached else 'none of ' + str(len(checks))})"
    if pass_ok is not None:
        summary += f"; acceptable symptom state (≤ {pass_thr:g}) {'reached' if pass_ok else 'not reached'}"
    cited = [*inst.citations, *(c for m in inst.mcid for c in m.citations)]
    if inst.pass_state:
        cited += inst.pass_state.citations
    trend = make(OutcomeTrend,
        instrument=inst.id, label=inst.label, unit=inst.unit, points=points, baseline=base, latest=latest,
        change_points=change, change_percent=pct, slope_per_month=_slope(points), direction=direction,
        mcid=checks, mcid_note=inst.mcid_gap, pass_reached=pass_ok, pass_threshold=pass_thr,
        pass_note=None if inst.pass_state else inst.pass_gap, summary=summary + ".",
        citations=sorted(set(cited)),
    )
    return trend


def trend_svg(trend: OutcomeTrend, inst: Instrument, *, width: int = 560, height: int = 240) -> str:
    """A line plot of the series, with the baseline-minus-MCID line and the PASS line where published."""
    left, right, top, bottom = 48, 16, 28, 40
    pw, ph = width - left - right, height - top - bottom
    lo, hi = inst.total_min, inst.total_max
    d0 = trend.points[0].date.toordinal()
    span = max(trend.points[-1].date.toordinal() - d0, 1)

    def x(d: date) -> float:
        return left + pw * (d.toordinal() - d0) / span

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'aria-labelledby="trend-{trend.instrument}-t" font-family="sans-serif" font-size="11">',
        f'<title id="trend-{trend.instrument}-t">{escape(trend.summary)}</title>',
        f'<text x="{left}" y="16" font-size="13">{escape(trend.label)} ({escape(trend.unit)}; '
        f'{"lower" if inst.higher_is_worse else "higher"} is better)</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>',
    ]
    for v in (lo, (lo + hi) / 2, hi):
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    pts_mcid = [m for m in trend.mcid if m.kind == "points"]
    if pts_mcid:
        level = trend.baseline.total - pts_mcid[0].threshold
        if lo <= level <= hi:
            parts.append(
                f'<line x1="{left}" y1="{y(level):.1f}" x2="{left + pw}" y2="{y(level):.1f}" stroke="#2e7d32" '
                'stroke-dasharray="6 4"/>'
                f'<text x="{left + pw - 4}" y="{y(level) - 4:.1f}" text-anchor="end" fill="#2e7d32">'
                f'baseline - MCID ({pts_mcid[0].threshold:g})</text>'
            )
    if trend.pass_threshold is not None:
        py = y(trend.pass_threshold)
        parts.append(
            f'<line x1="{left}" y1="{py:.1f}" x2="{left + pw}" y2="{py:.1f}" stroke="#6a1b9a" stroke-dasharray="2 3"/>'
            f'<text x="{left + 4}" y="{py - 4:.1f}" fill="#6a1b9a">acceptable state ≤ {trend.pass_threshold:g}</text>'
        )
    path = " L ".join(f"{x(p.date):.1f} {y(p.total):.1f}" for p in trend.points)
    parts.append(f'<path d="M {path}" fill="none" stroke="#1f4e79" stroke-width="2.5"/>')
    for p in trend.points:
        parts.append(
            f'<circle cx="{x(p.date):.1f}" cy="{y(p.total):.1f}" r="4" fill="#1f4e79"><title>{p.date}: {p.total:g}'
            "</title></circle>"
        )
    parts.append(f'<text x="{left}" y="{height - 12}">{trend.points[0].date}</text>')
    parts.append(f'<text x="{left + pw}" y="{height - 12}" text-anchor="end">{trend.points[-1].date}</text>')
    parts.append("</svg>")
    return "".join(parts)
