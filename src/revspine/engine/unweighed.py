"""Recorded, not weighed: the codes and values of a case that no rule of the pack reads.

Every accepted code (a symptom, an imaging code, an examination item, a risk factor...) is either
read by a finding that some rule uses (a cause's evidence, a red flag, a risk-factor, work-up,
decision or plan rule), interpreted by a lab rule, or listed in ``Assessment.unweighed``, so that
nothing a clinician records is silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from itertools import compress, repeat
from operator import attrgetter, is_not
from typing import Any

from ..case.model import Case
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import Condition, Evidence
from .predicates import compiled

__all__ = ["unweighed", "read_keys"]

Key = tuple[str, str]

# Fields the engine reads directly (not through a finding): timing, the revision plan's bone health.
_READ_BY_CODE: frozenset[Key] = frozenset({
    ("field", "symptoms.onset_date"), ("field", "symptoms.onset_days_after_surgery"),
    ("field", "symptoms.follows_surgery"), ("field", "symptoms.pain_free_interval_days"),
    ("field", "risk_factors.dexa_t_score"), ("field", "risk_factors.ct_hounsfield_l1"),
    ("field", "risk_factors.osteoporosis"),
})
# Findings the plan reads by id in code (plan/order_set.py).
_FINDINGS_READ_BY_CODE = ("beta_lactam_allergy", "mrsa_colonised")
def _walk(obj: Any) -> Iterator[Any]:
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _walk(v)
    elif hasattr(type(obj), "model_fields"):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name))


def _used_findings(pack: KnowledgePack) -> set[str]:
    used = set(_FINDINGS_READ_BY_CODE)
    for name, body in pack.sections.items():
        if name == "findings":
            continue
        for value in _walk(body):
            if isinstance(value, Condition):
                used.update(value.finding_ids())
            elif isinstance(value, Evidence):
                used.add(value.finding)
    return used & set(pack.findings)


def _keys(predicate: str, params: dict[str, Any]) -> Iterator[Key]:
    if predicate in ("any_of", "all_of"):
        for part in params.get("any" if predicate == "any_of" else "all", []):
            yield from _keys(part["predicate"], part.get("params") or {})
    elif predicate == "field":
        yield from _field_keys(params)
    elif predicate == "fields":
        for item in params["all"]:
            yield from _field_keys(item)
    elif predicate == "symptom":
        for code in params["any"]:
            yield "symptom", code
            yield "denied", code  # a denial of a weighed symptom is its negative
    elif predicate in ("imaging", "imaging_absent"):
        for code in params["codes"]:
            yield "imaging", code
    elif predicate == "motor":
        yield from (("field", "exam.motor"), ("field", "exam.motor_deficit"),
                    ("field", "exam.motor_deficit_progressive"))
        yield from (("field", f"exam.motor_deficit={v}") for v in ("none", "mild", "severe"))
    elif predicate == "sensory":
        for d in params["distributions"]:
            yield "sensory", d
    elif predicate == "lab":
        yield "lab", params["test"]
    elif predicate == "block":
        for t in params["types"]:
            yield "block", t
    elif predicate == "emg":
        for r in params["results"]:
            yield "emg", r
    elif predicate == "culture":
        for sp in params["specimens"]:
            yield "culture", sp
    elif predicate == "procedure" and params.get("incidental_durotomy") is not None:
        yield "field", "surgeries.incidental_durotomy"


def _field_keys(params: dict[str, Any]) -> Iterator[Key]:
    """A coded field read for some of its values ("exam.wound = drainage") reads only those values."""
    values = [params["equals"]] if isinstance(params.get("equals"), str) else params.get("one_of") or []
    coded = [v for v in values if isinstance(v, str)]
    if coded:
        for v in coded:
            yield "field", f"{params['path']}={v}"
    else:
        yield "field", params["path"]


@per_pack
def read_keys(pack: KnowledgePack) -> frozenset[Key]:
    """What the rules of ``pack`` read, as (kind, code or path) pairs; worked out once per pack."""
    keys = set(_READ_BY_CODE) | {("lab", test) for test in pack.labs}
    for fid in _used_findings(pack):
        f = pack.findings[fid]
        keys.update(_keys(f.predicate, f.params))
    for fid in compiled(pack).absent:  # weighed when absent: any recorded value is read
        f = pack.findings[fid]
        keys.update(("any", path) for kind, path in _keys(f.predicate, f.params) if kind == "field")
    return frozenset(keys)


#: Sections of single values of the case (with the lists read elsewhere left out).
_SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("symptoms", frozenset({"symptoms", "denied"})), ("exam", frozenset({"motor", "sensory"})),
    ("risk_factors", frozenset()),
)


@cache
def _single_values(section: str, skip: frozenset[str]) -> tuple[tuple[str, Any, str], ...]:
    """(field name, default, JSON path) of each single value of a section of the case."""
    model: Any = Case.model_fields[section].annotation
    return tuple((name, info.default, f"{section}.{name}") for name, info in model.model_fields.items()
                 if name not in skip)


@cache
def _fields_to_read(keys: frozenset[Key]) -> tuple[tuple[str, Callable[[Any], tuple[Any, ...]],
                                                        tuple[tuple[Any, str, bool], ...]], ...]:
    """Per section: a getter of its single values that a rule may leave unread (those read whatever their value,
    ``("any", path)``, left out) and, for each, (default, JSON path, whether a rule reads any value of it)."""
    out: list[tuple[str, Callable[[Any], tuple[Any, ...]], tuple[tuple[Any, str, bool], ...]]] = []
    for section, skip in _SECTIONS:
        kept = [(name, default, path) for name, default, path in _single_values(section, skip)
                if ("any", path) not in keys]
        get = _values_of(tuple(name for name, _, _ in kept))
        out.append((section, get, tuple((default, path, ("field", path) in keys) for _, default, path in kept)))
    return tuple(out)


def _values_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function that reads these attributes of an object, as a tuple."""
    if len(names) > 1:
        get: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
        return get
    return lambda obj: tuple(getattr(obj, n) for n in names)  # attrgetter of one name returns the bare value


def _unread(case: Case, keys: frozenset[Key]) -> Iterator[str]:
    """Each recorded code or value whose key no rule reads, as its JSON path and value."""
    sym = case.symptoms
    yield from (f"symptoms.symptoms: {s._value_}" for s in sym.symptoms if ("symptom", s._value_) not in keys)
    yield from (f"symptoms.denied: {s._value_}" for s in sym.denied if ("denied", s._value_) not in keys)
    for section, get, fields in _fields_to_read(keys):
        values = get(getattr(case, section))
        # most of the ~60 single values are not recorded: pick the recorded ones in C (``compress``)
        for value, (default, path, read) in compress(zip(values, fields, strict=True),
                                                     map(is_not, values, repeat(None))):
            if value == default:
                continue
            if isinstance(value, str):  # coded values (StrEnums) by value
                read = ("field", f"{path}={value}") in keys
            if not read:
                yield f"{path} = {value}"
    if ("field", "exam.motor") not in keys:
        yield from (f"exam.motor[{i}]: {m.myotome} {m.side._value_} MRC {m.mrc}/5"
                    for i, m in enumerate(case.exam.motor))
    yield from (f"exam.sensory[{i}]: {sf.distribution._value_}" for i, sf in enumerate(case.exam.sensory)
                if ("sensory", sf.distribution._value_) not in keys)
    if ("field", "surgeries.incidental_durotomy") not in keys:
        yield from (f"surgeries[{i}].incidental_durotomy = {op.incidental_durotomy}"
                    for i, op in enumerate(case.surgeries) if op.incidental_durotomy is not None)
    for i, study in enumerate(case.imaging):
        yield from (f"imaging[{i}].findings[{j}]: {fnd.code._value_}" for j, fnd in enumerate(study.findings)
                    if ("imaging", fnd.code._value_) not in keys)
    yield from (f"labs[{i}]: {lab.test._value_}" for i, lab in enumerate(case.labs)
                if ("lab", lab.test._value_) not in keys)
    yield from (f"blocks[{i}]: {b.type._value_}" for i, b in enumerate(case.blocks)
                if ("block", b.type._value_) not in keys)
    yield from (f"electrodiagnostics[{i}]: {e.result._value_}" for i, e in enumerate(case.electrodiagnostics)
                if ("emg", e.result._value_) not in keys)
    yield from (f"cultures[{i}]: {c.specimen}" for i, c in enumerate(case.cultures)
                if ("culture", c.specimen) not in keys)


def unweighed(case: Case, pack: KnowledgePack) -> list[str]:
    """Each recorded code or value no rule of ``pack`` reads, with its JSON path."""
    return list(_unread(case, read_keys(pack)))
