"""parse_case: untrusted JSON -> a consistent Case in canonical units, or InputError.

Each problem names its JSON path (``surgeries[0].date``) and says what is wrong.
"""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..instruments.scoring import get_instrument, score_items
from ..knowledge.pack import KnowledgePack
from ..knowledge.units import unit_key
from .model import MEASURED_IMAGING_UNITS, Case

__all__ = ["parse_case", "json_path", "problems_from_validation"]


def json_path(loc: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(case)"


def _looks_fahrenheit(value: object) -> bool:
    """A body temperature in degrees Fahrenheit (86-113 F, 30-45 C)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 86 <= value <= 113


def problems_from_validation(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> list[Problem]:
    problems = []
    for e in exc.errors(include_url=False):
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "enum":
            msg = f"unknown code; expected one of: {e.get('ctx', {}).get('expected', '')}"
        elif e["type"] == "date_from_datetime_inexact":  # "2015" or 2015 is read as a timestamp: "zero time"
            msg = f"expected a full date as YYYY-MM-DD, got {e.get('input')!r}"
        elif e["type"].startswith("date_"):
            msg = f"expected a full date as YYYY-MM-DD: {msg}"
        elif loc and loc[-1] == "temperature_c" and _looks_fahrenheit(e.get("input")):
            f = float(e["input"])
            msg += f"; {f:g} looks like degrees Fahrenheit ({(f - 32) * 5 / 9:.1f} C): record degrees Celsius"
        value = e.get("input") if e["type"] not in ("missing", "extra_forbidden") else None
        if isinstance(value, (dict, list)):
            value = None
        problems.append(Problem(json_path((*prefix, *loc)), msg, value))
    return problems


def _date_problems(case: Case, today: date) -> list[Problem]:
    p: list[Problem] = []
    ref = case.assessment_date or today
    if case.assessment_date and case.assessment_date > today:
        p.append(Problem("assessment_date", f"{case.assessment_date} is in the future"))
    for i, s in enumerate(case.surgeries):
        if s.date > ref:
            p.append(Problem(f"surgeries[{i}].date", f"{s.date} is after the assessment date {ref}"))
    bd = case.patient.birth_date
    if bd:
        if bd > ref:
            p.append(Problem("patient.birth_date", f"{bd} is after the assessment date {ref}"))
        for i, s in enumerate(case.surgeries):
            if s.date < bd:
                p.append(Problem(f"surgeries[{i}].date", f"{s.date} is before the birth date {bd}"))
    sym = case.symptoms
    if sym.follows_surgery is not None and sym.follows_surgery >= len(case.surgeries):
        p.append(
            Problem("symptoms.follows_surgery", f"is {sym.follows_surgery} but only {len(case.surgeries)} surgeries")
        )
        return p
    pos = case.index_surgery_position()
    index = case.surgeries[pos] if pos is not None else None
    if sym.onset_date is not None:
        if sym.onset_date > ref:
            p.append(Problem("symptoms.onset_date", f"{sym.onset_date} is after the assessment date {ref}"))
        if index is not None and sym.onset_date < index.date:
            p.append(
                Problem(
                    "symptoms.onset_date",
                    f"{sym.onset_date} is before the surgery it follows (surgeries[{pos}], {index.date}); "
                    "set symptoms.follows_surgery to the operation the symptoms began after",
                )
            )
    if sym.onset_days_after_surgery is not None:
        if index is None:
            p.append(Problem("symptoms.onset_days_after_surgery", "given, but no surgery is recorded"))
        else:
            if sym.onset_date is not None and (sym.onset_date - index.date).days != sym.onset_days_after_surgery:
                p.append(
                    Problem(
                        "symptoms.onset_days_after_surgery",
                        f"disagrees with onset_date ({(sym.onset_date - index.date).days} days); give one of them",
                    )
                )
            if index.date.toordinal() + sym.onset_days_after_surgery > ref.toordinal():
                p.append(Problem("symptoms.onset_days_after_surgery", "puts the onset after the assessment date"))
    for name in ("imaging", "labs", "blocks", "electrodiagnostics", "cultures", "instrument_responses"):
        for i, item in enumerate(getattr(case, name)):
            if item.date > ref:
                p.append(Problem(f"{name}[{i}].date", f"{item.date} is after the assessment date {ref}"))
    q = case.questionnaires.date
    if q and q > ref:
        p.append(Problem("questionnaires.date", f"{q} is after the assessment date {ref}"))
    return p


def _consistency_problems(case: Case) -> list[Problem]:
    p: list[Problem] = []
    denied = case.symptoms.denied
    present = {s.value for s in case.symptoms.symptoms}
    for i, s in enumerate(denied):
        if s.value in present:
            p.append(Problem(f"symptoms.denied[{i}]", f"{s.value} is also listed as present in symptoms.symptoms; "
                                                     "keep one", s.value))
    seen: set[tuple[str, str]] = set()
    for i, m in enumerate(case.exam.motor):
        key = (m.myotome, m.side.value)
        if key in seen:
            p.append(Problem(f"exam.motor[{i}]", f"{m.myotome} {m.side.value} is graded twice; keep one grade"))
        seen.add(key)
    for i, study in enumerate(case.imaging):
        if study.modality.value == "flexion_extension_xray":
            continue
        for j, fnd in enumerate(study.findings):
            if fnd.code.value in _DYNAMIC_CODES:
                p.append(Problem(f"imaging[{i}].findings[{j}].code",
                                 f"{fnd.code.value} is measured between flexion and extension radiographs: record it "
                                 f"on a flexion_extension_xray study, not {study.modality.value} (a slip seen on one "
                                 "film is spondylolisthesis)", fnd.code.value))
    return p


_DYNAMIC_CODES = frozenset({"translation", "angular_motion", "segmental_motion"})


def _measure_problems(case: Case) -> list[Problem]:
    """A measured imaging finding in the unit the engine reads (mm or degrees); a length in cm becomes mm.

    A lucency of 0.2 cm was read as 0.2 mm, and an SVA of 11 cm as 11 mm, without a word: the unit is now
    checked against the finding, and any other unit is refused naming the finding's path."""
    p: list[Problem] = []
    for i, study in enumerate(case.imaging):
        for j, fnd in enumerate(study.findings):
            canonical = MEASURED_IMAGING_UNITS.get(fnd.code)
            if canonical is None or fnd.value is None or fnd.unit == canonical:
                continue
            if canonical == "mm" and fnd.unit == "cm":
                fnd.value, fnd.unit = round(fnd.value * 10.0, 6), "mm"
                continue
            accepted = "mm or cm" if canonical == "mm" else "deg"
            p.append(Problem(f"imaging[{i}].findings[{j}].unit",
                             f"'{fnd.unit}' is not a unit for {fnd.code.value}, which is measured in {accepted}",
                             fnd.unit))
    return p


def _lab_problems(case: Case, pack: KnowledgePack) -> list[Problem]:
    p: list[Problem] = []
    for i, lab in enumerate(case.labs):
        rule = pack.labs.get(lab.test.value)
        if rule is None:
            continue
        unit = lab.unit.strip()
        canonical = rule.to_canonical(lab.value, unit)
        if canonical is None:
            accepted = ", ".join(rule.accepted_units())
            p.append(Problem(f"labs[{i}].unit", f"'{unit}' is not a unit for {lab.test.value}; use {accepted}"))
            continue
        value = lab.value if unit_key(unit) == unit_key(rule.canonical_unit) else round(canonical, 4)
        if not rule.plausible_min <= value <= rule.plausible_max:
            p.append(
                Problem(
                    f"labs[{i}].value",
                    f"{lab.value:g} {unit} is implausible for {rule.label} (accepted "
                    f"{rule.plausible_min:g}-{rule.plausible_max:g} {rule.canonical_unit}); check the value and unit",
                    lab.value,
                )
            )
            continue
        lab.value, lab.unit = value, rule.canonical_unit
    return p


def _instrument_problems(case: Case, pack: KnowledgePack) -> list[Problem]:
    """Score each instrument response; fill `questionnaires` from the latest one per instrument.

    A total already in `questionnaires` that disagrees with the latest scored response is an error,
    unless `questionnaires.date` is later than that response (the total is then the newer reading).
    """
    p: list[Problem] = []
    latest: dict[str, tuple[date, int, dict[str, float]]] = {}
    for i, r in enumerate(case.instrument_responses):
        where = f"instrument_responses[{i}]"
        try:
            inst = get_instrument(r.instrument, pack, path=f"{where}.instrument")
            if r.items is not None:
                scored = score_items(r.instrument, r.items, pack, path=f"{where}.items")
                values = {inst.case_field: scored.total} if inst.case_field else {}
                for sub in inst.subscales:
                    if sub.case_field:
                        values[sub.case_field] = scored.subscales[sub.id]
            else:
                total = float(r.total or 0.0)
                if not inst.total_min <= total <= inst.total_max:
                    bounds = f"{inst.total_min:g}-{inst.total_max:g}"
                    p.append(Problem(f"{where}.total", f"{total:g} is outside {bounds}", total))
                    continue
                values = {inst.case_field: total} if inst.case_field else {}
        except InputError as exc:
            p.extend(exc.problems)
            continue
        prev = latest.get(r.instrument)
        if prev is None or (r.date, i) >= (prev[0], prev[1]):
            latest[r.instrument] = (r.date, i, values)
    q = case.questionnaires
    for name, (when, i, values) in latest.items():
        for field, value in values.items():
            current = getattr(q, field)
            if current is not None and float(current) != value:
                if q.date is not None and q.date > when:
                    continue
                p.append(
                    Problem(
                        f"questionnaires.{field}",
                        f"is {current:g}, but instrument_responses[{i}] ({name}, {when}) scores {value:g}; give one, "
                        "or date the totals with questionnaires.date when they are newer",
                    )
                )
                continue
            if current is None:
                integer = int in get_args(type(q).model_fields[field].annotation)
                setattr(q, field, int(value) if integer and value == int(value) else value)
    return p


def parse_case(data: Any, pack: KnowledgePack, *, today: date | None = None) -> Case:
    """Validate raw case data (a dict, JSON text or Case) and normalise lab and imaging units.

    Fills ``assessment_date`` with ``today`` when absent. Raises InputError listing
    every problem found, each with its JSON path.
    """
    today = today or date.today()
    try:
        if isinstance(data, Case):
            case = Case.model_validate(data.model_dump())
        elif isinstance(data, (str, bytes)):
            case = Case.model_validate_json(data)
        else:
            case = Case.model_validate(data)
    except ValidationError as exc:
        raise InputError("the case is not valid", problems_from_validation(exc)) from None
    problems = (_date_problems(case, today) + _consistency_problems(case) + _measure_problems(case)
                + _lab_problems(case, pack)
                + _instrument_problems(case, pack))
    if problems:
        raise InputError("the case is not valid", problems)
    if case.assessment_date is None:
        case.assessment_date = today
    return case
