"""Score an instrument from item scores, or read a given total, exactly as published.

Bad input raises InputError whose problems name the item (``items[3]``) and what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .._construct import make
from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.instruments import Instrument
from .models import InstrumentScore

__all__ = ["instruments", "get_instrument", "score_items", "read_total", "band_of"]


def instruments(pack: KnowledgePack) -> dict[str, Instrument]:
    found: dict[str, Instrument] = pack.sections.get("instruments", {})
    return found


def get_instrument(instrument_id: str, pack: KnowledgePack, *, path: str = "instrument") -> Instrument:
    inst = instruments(pack).get(instrument_id)
    if inst is None:
        known = ", ".join(sorted(instruments(pack)))
        raise InputError(
            f"unknown instrument '{instrument_id}'", [Problem(path, f"unknown instrument; use one of: {known}")]
        )
    return inst


def _fmt(x: float) -> str:
    return f"{x:g}"


def band_of(inst: Instrument, total: float, subscales: dict[str, float]) -> tuple[str, str | None]:
    for band in inst.bands:
        if band.contains(total, subscales):
            return band.label, band.meaning
    raise InputError(
        f"{inst.label}: a total of {_fmt(total)} is outside the published bands",
        [Problem("total", f"must lie within {_fmt(inst.total_min)}-{_fmt(inst.total_max)}")],
    )


def _check_items(inst: Instrument, items: Sequence[float | None], path: str) -> list[Problem]:
    problems: list[Problem] = []
    n = len(inst.items)
    if len(items) != n:
        problems.append(Problem(path, f"{inst.label} has {n} items; {len(items)} given"))
        return problems
    for i, (value, spec) in enumerate(zip(items, inst.items, strict=True)):
        if value is None:
            if inst.missing == "not_allowed":
                msg = f"item {i + 1} ({spec.topic}) is unanswered; every item is needed"
                problems.append(Problem(f"{path}[{i}]", msg))
            continue
        if isinstance(value, bool) or value not in spec.values:
            allowed = ", ".join(_fmt(v) for v in spec.values)
            msg = f"item {i + 1} ({spec.topic}) is {value!r}; allowed: {allowed}"
            problems.append(Problem(f"{path}[{i}]", msg, value))
    if not problems and all(v is None for v in items):
        problems.append(Problem(path, "no item is answered"))
    return problems


def score_items(
    instrument_id: str, items: Sequence[float | None], pack: KnowledgePack, *, path: str = "items",
    when: date | None = None,
) -> InstrumentScore:
    """Score one completed questionnaire from its item scores (None = unanswered item)."""
    inst = get_instrument(instrument_id, pack)
    problems = _check_items(inst, items, path)
    if problems:
        raise InputError(f"{inst.label}: the item scores are not valid", problems)
    answered = [float(v) for v in items if v is not None]
    missing = [i + 1 for i, v in enumerate(items) if v is None]
    warnings: list[str] = []
    s = sum(answered)
    if inst.scoring == "odi_percent":
        total = round(s / (5 * len(answered)) * 100, 2)
        working: str | None = f"{_fmt(s)} / (5 x {len(answered)}) x 100 = {_fmt(total)}"
    elif inst.scoring == "ndi_raw":
        add = (s / len(answered)) * len(missing)
        total = round(s + add, 2)
        working = f"{_fmt(s)}" + (f" + {_fmt(round(add, 2))} (mean of answered items for {len(missing)} missing)"
                                  if missing else "") + f" = {_fmt(total)}"
    else:
        total = s
        working = " + ".join(_fmt(v) for v in answered) + f" = {_fmt(total)}" if len(answered) > 1 else None
    if len(missing) > 1:
        warnings.append(f"{len(missing)} items unanswered; {inst.missing_note or ''}".strip())
    subscales = {sub.id: sum(float(items[i - 1] or 0) for i in sub.items) for sub in inst.subscales}
    band, meaning = band_of(inst, total, subscales)
    alerts = [a.message for a in inst.alerts if (v := items[a.item - 1]) is not None and v > a.above]
    cited = [*inst.citations, *(c for a in inst.alerts for c in a.citations)]
    return make(InstrumentScore,
        instrument=inst.id, label=inst.label, date=when, source="items", items=list(items), missing_items=missing,
        total=total, unit=inst.unit, band=band, band_meaning=meaning, subscales=subscales,
        scoring_text=inst.scoring_text, working=working, alerts=alerts, warnings=warnings,
        case_field=inst.case_field, citations=sorted(set(cited)),
    )


def read_total(
    instrument_id: str, total: float, pack: KnowledgePack, *, subscales: dict[str, float] | None = None,
    when: date | None = None,
) -> InstrumentScore:
    """Interpret a total recorded without its items (the case's questionnaire totals)."""
    inst = get_instrument(instrument_id, pack)
    if not inst.total_min <= total <= inst.total_max:
        raise InputError(
            f"{inst.label}: total {_fmt(total)} is out of range",
            [Problem("total", f"must lie within {_fmt(inst.total_min)}-{_fmt(inst.total_max)}", total)],
        )
    subs = dict(subscales or {})
    warnings: list[str] = []
    needed = {b.subscale for b in inst.bands if b.subscale}
    if needed - set(subs):
        warnings.append(f"Subscale {', '.join(sorted(needed - set(subs)))} not recorded; the band uses the total only.")
        band, meaning = next(((b.label, b.meaning) for b in inst.bands if b.subscale is None and b.contains(total, {})),
                             ("not classifiable without the subscale", None))
    else:
        band, meaning = band_of(inst, total, subs)
    return make(InstrumentScore,
        instrument=inst.id, label=inst.label, date=when, source="total", items=[], missing_items=[], total=total,
        unit=inst.unit, band=band, band_meaning=meaning, subscales=subs, scoring_text=inst.scoring_text, working=None,
        alerts=[], warnings=warnings, case_field=inst.case_field, citations=list(inst.citations),
    )
