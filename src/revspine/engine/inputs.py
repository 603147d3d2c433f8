"""Which case inputs a finding reads, and which inputs a case records.

A finding's predicate can be present only when the case records at least one of the inputs it
reads (an imaging code, a symptom, a lab test, a field...). ``reads`` names those inputs for a
predicate and its parameters; ``recorded`` lists the inputs one case records. The engine
evaluates a finding only when the two meet: every other finding is not present, without calling
its predicate. ``reads`` returns None for a predicate it does not know, whose finding is then
always evaluated. (tests/test_finding_inputs.py checks, over many cases, that this skips no
finding that would be present.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from itertools import compress, repeat
from operator import attrgetter, is_not
from typing import Any

from .facts import Facts

__all__ = ["Input", "COMMON", "FieldReader", "reads", "recorded", "narrowest", "field_getter"]

Input = tuple[Any, ...]
"""One recorded input: ("imaging", code), ("modality", modality), ("symptom", code), ("denied", code),
("symptoms",), ("lab", test, status of its last value), ("lab", test, "second_rise"), ("block", type),
("field", path), ("field", path, value), ("procedure", procedure), ("region", region), ("approach", approach),
("durotomy", True or False), ("surgeries",), ("cultures",), ("emg",), ("days", basis), ("motor",), ("sensory",)."""

#: Inputs nearly every case records: a poor choice to index a finding that reads several inputs by.
COMMON: frozenset[Input] = frozenset({("surgeries",), ("days", "onset"), ("days", "assessment"), ("motor",),
                                      ("symptoms",)})
_VALUE_TYPES = (str, int, float)  # bool is an int; the case's coded values are StrEnums (str)


def _field(p: Any) -> set[Input] | None:
    """A field read for given values needs one of them (``equals``, ``one_of``); otherwise any value. A field
    read as ``missing`` is present when the case records nothing there: not known, always evaluated."""
    if p.missing:
        return None
    values = [p.equals] if p.equals is not None else p.one_of
    if values and all(isinstance(v, _VALUE_TYPES) for v in values):
        return {("field", p.path, v) for v in values}
    return {("field", p.path)}


def _symptom(p: Any) -> set[Input]:
    if p.denied:
        return {("denied", code) for code in p.any}
    if p.absent:  # present when symptoms are recorded and none of these is among them
        return {("symptoms",)}
    return {("symptom", code) for code in p.any}


def _procedure(p: Any) -> set[Input]:
    """An operation of these procedures, or with this durotomy, region or approach (the narrowest named)."""
    if p.any:
        return {("procedure", x) for x in p.any}
    if p.incidental_durotomy is not None:
        return {("durotomy", p.incidental_durotomy)}
    if p.regions:
        return {("region", r) for r in p.regions}
    if p.approach:
        return {("approach", a) for a in p.approach}
    return {("surgeries",)}


def narrowest(choices: Iterable[frozenset[Input]]) -> frozenset[Input] | None:
    """Of the input sets of the parts of a finding that needs all its parts, the best to index it by (any one
    of them is enough: the finding is not present while one part is not): one without a common input, the
    smallest."""
    return min(choices, key=lambda c: (bool(c & COMMON), len(c)), default=None)


_READS: dict[str, Callable[[Any], set[Input] | frozenset[Input] | None]] = {
    "imaging": lambda p: {("imaging", code) for code in p.codes},
    "imaging_absent": lambda p: {("modality", m) for m in p.modalities},  # a study that could show it
    "culture": lambda p: {("cultures",)},
    "field": _field,
    "fields": lambda p: narrowest(frozenset(got) for item in p.all if (got := _field(item)) is not None),
    "symptom": _symptom,
    "lab": lambda p: {("lab", p.test, status) for status in p.status},
    "block": lambda p: {("block", t) for t in p.types},
    "emg": lambda p: {("emg",)},
    "procedure": _procedure,
    "surgery_count": lambda p: {("surgeries",)},
    "days_after_surgery": lambda p: {("days", p.basis)},
    "motor": lambda p: {("motor",)},
    "sensory": lambda p: {("sensory",)},
}


def reads(name: str, params: Any) -> frozenset[Input] | None:
    """The inputs a predicate with these validated parameters reads: it is not present while the case records
    none of them. None: not known (a composite's parts are read one by one), always evaluate."""
    fn = _READS.get(name)
    got = fn(params) if fn is not None else None
    return None if got is None else frozenset(got)


def field_getter(path: str) -> Callable[[Any], Any]:
    """Read a dotted path of the case (None when any part is None or missing)."""
    get = attrgetter(path)

    def read(case: Any) -> Any:
        try:
            return get(case)
        except AttributeError:
            return None

    return read


class FieldReader:
    """Records the inputs of the case's fields that an index of findings reads (one attrgetter per section of the
    case for the paths ``section.field``; deeper paths one by one); a path through a missing or None value records
    nothing.

    Only the keys the index holds are recorded (``("field", path)`` for a field read for any value, ``("field", path,
    value)`` for one read for that value): the engine meets the recorded inputs with the index, and a key it does
    not hold could not select a finding, so none is built."""

    def __init__(self, keys: Iterable[Input]) -> None:
        wanted: dict[str, tuple[list[Input], dict[Any, Input]]] = {}
        for key in keys:
            if key[0] != "field":
                continue
            bare, values = wanted.setdefault(key[1], ([], {}))
            if len(key) == 2:
                bare.append(key)
            else:
                values[key[2]] = key
        groups: dict[str, list[str]] = {}
        deep: list[tuple[_Wanted, Callable[[Any], Any]]] = []
        for path in sorted(wanted):
            head, _, name = path.partition(".")
            if name and "." not in name:
                groups.setdefault(head, []).append(name)
            else:
                deep.append((_wanted(wanted[path]), field_getter(path)))
        #: per section: its attrgetter, each path's wanted keys (``_wanted``) and the field names
        self._groups = tuple((head, attrgetter(*names), tuple(_wanted(wanted[f"{head}.{n}"]) for n in names),
                              tuple(names))
                             for head, names in groups.items())
        self._deep = tuple(deep)

    def record(self, case: Any, out: set[Input]) -> None:
        """Add to ``out`` the keys of the index that the recorded fields make: ("field", path) for any value recorded
        there, ("field", path, value) for that plain (or coded) value. What ``recorded`` reads, without the lists."""
        add = out.add
        for head, get, wanted, names in self._groups:
            obj = getattr(case, head, None)
            if obj is None:
                continue
            try:
                got = get(obj)
                values: tuple[Any, ...] = got if len(names) > 1 else (got,)
            except AttributeError:
                values = tuple(getattr(obj, name, None) for name in names)
            # most fields are not recorded: pick the recorded ones in C (``compress``) rather than test each here
            for want, value in compress(zip(wanted, values, strict=True), map(is_not, values, repeat(None))):
                _add_value(add, want, value)
        for want, read in self._deep:
            value = read(case)
            if value is not None:
                _add_value(add, want, value)


_Wanted = tuple["Input | None", "dict[Any, Input] | None"]
"""For one field path: its key when read for any value, and its keys by the values it is read for (None: none)."""


def _wanted(entry: tuple[list[Input], dict[Any, Input]]) -> _Wanted:
    bare, values = entry
    return (bare[0] if bare else None), (values or None)


def _add_value(add: Callable[[Input], None], want: _Wanted, value: Any) -> None:
    bare, values = want
    if bare is not None:
        add(bare)
    if values is not None:
        if isinstance(value, Enum):
            value = value._value_
        if isinstance(value, _VALUE_TYPES) and (key := values.get(value)) is not None:
            add(key)


def recorded(facts: Facts, fields: FieldReader) -> set[Input]:
    """The inputs this case records, among ``fields`` (the field keys the pack's index reads) and every list of
    the case."""
    case = facts.case
    sym, exam = case.symptoms, case.exam
    out: set[Input] = set()
    fields.record(case, out)
    out.update(("imaging", code) for code in facts.imaging_by_code)
    out.update(("modality", study.modality._value_) for study in case.imaging)
    out.update(("symptom", s._value_) for s in sym.symptoms)
    out.update(("denied", s._value_) for s in sym.denied)
    for test, reads in facts.lab_reads.items():
        if reads:
            out.add(("lab", test, reads[-1].status))
            if any(r.status == "second_rise" for r in reads):
                out.add(("lab", test, "second_rise"))
    out.update(("block", b.type._value_) for b in case.blocks)
    for s in facts.surgeries:
        out.update((("procedure", s.procedure), ("region", s.region), ("approach", s.approach or "unrecorded"),
                    ("durotomy", s.incidental_durotomy)))
    for key, present in (
        (("symptoms",), sym.symptoms),
        (("cultures",), case.cultures),
        (("emg",), case.electrodiagnostics),
        (("surgeries",), case.surgeries),
        (("days", "onset"), facts.onset_days is not None),
        (("days", "assessment"), facts.days_since_index is not None),
        (("motor",), exam.motor or exam.motor_deficit is not None or exam.motor_deficit_progressive),
        (("sensory",), exam.sensory),
    ):
        if present:
            out.add(key)
    return out
