"""Named predicates: the only Python behind a finding.

A finding in the knowledge pack names one predicate and its parameters. A predicate
returns None when the finding is not present, or the list of inputs (with their JSON
paths) that make it present. Parameters are validated at pack load time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..case.enums import ImagingCode, Side
from ..case.model import Case
from ..errors import Problem
from ..knowledge.loader import register_checker
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import Finding
from .facts import Facts, bound_prefix, reported_interval
from .inputs import FieldReader, Input, field_getter, narrowest, reads
from .labs import reported_above

__all__ = [
    "side_checked_codes", "side_discordant",
    "PREDICATES", "ABSENT", "absent_check", "compile_finding", "check_finding", "compiled", "CompiledFindings", "Hit",
]

Hit = list[str] | None


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Compare(_P):
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def bounded(self) -> bool:
        return self.gt is not None or self.ge is not None or self.lt is not None or self.le is not None

    def ok(self, v: float) -> bool:
        return (
            (self.gt is None or v > self.gt)
            and (self.ge is None or v >= self.ge)
            and (self.lt is None or v < self.lt)
            and (self.le is None or v <= self.le)
        )


class ImagingP(Compare):
    codes: list[str]
    modalities: list[str] | None = None
    scope: Literal["any", "operated", "adjacent", "not_operated"] = "any"
    severity: list[Literal["mild", "moderate", "severe"]] | None = None
    #: "unrecorded" matches a finding whose direction was not given (a breach of unknown direction).
    directions: (
        list[Literal["medial", "lateral", "superior", "inferior", "anterior", "posterior", "unrecorded"]] | None
    ) = None
    #: "concordant": only a finding on the side of one-sided symptoms (or either side unrecorded, bilateral or
    #: midline); "discordant": only a finding on the other side from one-sided symptoms.
    side: Literal["any", "concordant", "discordant"] = "any"
    #: Only a finding reported with a value: a code that is nothing but a measurement (an SVA, a pelvic tilt)
    #: says nothing about a threshold when its value is missing.
    measured: bool = False


_LATERAL = frozenset({Side.left, Side.right})


def side_discordant(f: Facts, side: Side | None) -> bool:
    """A left or right finding (or block) against symptoms recorded on the other side only."""
    symptom = f.case.symptoms.side
    return symptom in _LATERAL and side in _LATERAL and side != symptom


@per_pack
def side_checked_codes(pack: KnowledgePack) -> frozenset[str]:
    """Imaging codes that some finding reads only on the side of one-sided symptoms (``side: concordant``)."""
    return frozenset(code for fnd in pack.findings.values()
                     if fnd.predicate == "imaging" and fnd.params.get("side") == "concordant"
                     for code in fnd.params["codes"])


class FieldP(Compare):
    path: str
    equals: Any = None
    one_of: list[Any] | None = None
    missing: bool = False  # present when the field is not recorded (e.g. a pattern to derive from the symptoms)


class FieldsP(_P):
    """All of several field conditions (e.g. the two parts of a published criterion)."""

    all: list[FieldP]


class SymptomP(_P):
    any: list[str]
    absent: bool = False  # hit when symptoms are recorded and none of `any` is among them
    denied: bool = False  # hit when one of `any` is in symptoms.denied (asked about and absent)


class MotorP(_P):
    """Weakness by myotome (exam.motor, MRC 0-5) or by the older summary fields.

    ``mrc_le``: a grade at or below this counts (4: any weakness; 3: against gravity or worse);
    ``new``: only weakness new since the operation; ``progressive``: only weakness getting worse.
    The summary fields count too: motor_deficit mild = MRC 4, severe = MRC 3 or worse, and
    motor_deficit_progressive for ``progressive``.
    """

    mrc_le: int = 4
    new: bool = False
    new_or_unknown: bool = False  # weakness not recorded as present before the operation (new or not said)
    progressive: bool = False
    myotomes: list[str] | None = None  # e.g. C5 for a post-operative C5 palsy


class SensoryP(_P):
    distributions: list[Literal["dermatomal", "stocking", "saddle", "non_anatomic"]]
    new: bool = False  # only sensory loss recorded as new since the operation
    roots: list[str] | None = None  # only sensory loss recorded in one of these dermatomes (e.g. L1-L4)


class AnyOfP(_P):
    """Present when any of several predicates is (e.g. an old summary field or its newer structured form)."""

    any: list[dict[str, Any]]


class AllOfP(_P):
    """Present when every one of several predicates is (e.g. a cancer history together with weight loss)."""

    all: list[dict[str, Any]]


class ImagingAbsentP(_P):
    """A study of these modalities, after the index operation and not limited by artefact, shows none of the codes.

    ``after: onset`` counts only a study on or after the symptom onset; when the onset is not recorded,
    only a study of the assessment day or the day before (the symptoms being assessed now).
    """

    codes: list[str]
    modalities: list[str]
    scope: Literal["any", "operated"] = "any"
    after: Literal["surgery", "onset"] = "surgery"


class CultureP(_P):
    specimens: list[Literal["biopsy", "tissue", "sonication", "wound", "blood"]]
    results: list[Literal["positive", "negative", "pending"]]
    virulence: Literal["high", "low"] | None = None
    min_samples_positive: int | None = None  # at least this many positive samples
    max_samples_positive: int | None = None  # at most this many (recorded) positive samples
    #: How each positive culture reads: ``definite`` at least ``definite_samples`` samples with the organism, or
    #: a high-virulence organism; ``possible_contaminant`` fewer recorded samples of a low-virulence organism;
    #: ``unspecified`` neither known (record the organism and the number of positive samples).
    grade: list[Literal["definite", "possible_contaminant", "unspecified"]] | None = None
    #: Positive samples that make a culture definite (the pack's number, with its citation; IDSA: two).
    definite_samples: int | None = None

    @model_validator(mode="after")
    def _grade_needs_its_threshold(self) -> CultureP:
        if self.grade is not None and self.definite_samples is None:
            raise ValueError("grade needs definite_samples (the positive samples that make a culture definite)")
        return self


class LabP(_P):
    test: str
    status: list[
        Literal[
            "normal", "not_interpreted", "raised", "raised_expected", "raised_beyond_expected", "low", "second_rise",
            "raised_indeterminate",
        ]
    ]
    gt: float | None = None  # the latest value above this (in the test's canonical unit)
    min_day: int | None = None  # the latest value taken on or after this day after surgery


class BlockP(Compare):
    types: list[str]
    paradigms: list[str] | None = None
    field: Literal["relief_percent"] = "relief_percent"


class EmgP(_P):
    results: list[str]


class ProcedureP(_P):
    any: list[str] | None = None
    regions: list[Literal["cervical", "thoracic", "lumbar"]] | None = None
    instrumented: bool | None = None
    index_only: bool = False
    levels_any: list[str] | None = None
    #: "unrecorded" matches an operation whose approach is neither recorded nor implied by its procedure, so
    #: that a missing detail never silences a flag.
    approach: (
        list[Literal["anterior", "posterior", "lateral", "combined", "minimally_invasive", "unrecorded"]] | None
    ) = None
    incidental_durotomy: bool | None = None


class CountP(Compare):
    pass


class DaysP(Compare):
    basis: Literal["onset", "assessment"] = "assessment"


_getter = cache(field_getter)


def _imaging(f: Facts, p: ImagingP) -> Hit:
    by_code = f.imaging_by_code
    if by_code.keys().isdisjoint(p.codes):  # none of the codes recorded (most calls): one C-level test
        return None
    entries = [e for code in p.codes for e in by_code.get(code, ())]
    found: list[tuple[int, int, str]] = []
    for i, j, study, fnd in entries:
        code = fnd.code._value_
        mod = study.modality._value_
        if p.modalities and mod not in p.modalities:
            continue
        if p.severity and fnd.severity not in p.severity:
            continue
        if p.directions and (fnd.direction or "unrecorded") not in p.directions:
            continue
        if p.side != "any" and side_discordant(f, fnd.side) != (p.side == "discordant"):
            continue
        if fnd.value is None:
            # Reported without a measurement: present, so it meets a "more than" threshold (a radiologist
            # reports a lucency or a breach they see) but never an upper bound.
            if p.measured or p.lt is not None or p.le is not None:
                continue
        elif not _certain(p, fnd.value, fnd.comparator):
            continue
        lv = fnd.level
        if p.scope == "operated" and lv is not None and lv not in f.operated_levels:
            continue
        if p.scope == "adjacent" and (lv is None or lv not in f.adjacent_to_fusion):
            continue
        if p.scope == "not_operated" and (lv is None or lv in f.operated_levels):
            continue
        q = f" {bound_prefix(fnd.comparator)}{fnd.value:g} {fnd.unit}" if fnd.value is not None else ""
        if fnd.value is None and (p.gt is not None or p.ge is not None):
            q = " (not measured)"
        if fnd.severity:
            q += f" ({fnd.severity})"
        if fnd.direction:
            q += f" ({fnd.direction})"
        at = f" at {lv}" if lv else ""
        found.append((i, j, f"imaging[{i}].findings[{j}]: {mod} {study.date} {code}{at}{q}"))
    if len(found) > 1:
        found.sort()
    return [quote for *_, quote in found] or None


def _certain(p: Compare, value: float, comparator: str) -> bool:
    """True when every value the report allows ("> 1 mm", "<= 3 deg", "= 2 mm") meets all of p's bounds."""
    lo, lo_open, hi, hi_open = reported_interval(value, comparator)
    return (
        (p.gt is None or lo > p.gt or (lo == p.gt and lo_open))
        and (p.ge is None or lo >= p.ge)
        and (p.lt is None or hi < p.lt or (hi == p.lt and hi_open))
        and (p.le is None or hi <= p.le)
    )


class _Field:
    """A field predicate's parameters (``FieldP``) prepared once, when the pack is compiled: the path's reader, the
    value tests, and whether any bound is set."""

    __slots__ = ("path", "read", "equals", "one_of", "gt", "ge", "lt", "le", "bounded", "bare", "missing")

    def __init__(self, p: FieldP) -> None:
        self.path = p.path
        self.read = _getter(p.path)
        self.equals = p.equals
        self.one_of = p.one_of
        self.gt, self.ge, self.lt, self.le = p.gt, p.ge, p.lt, p.le
        self.bounded = p.bounded()
        self.bare = p.equals is None and p.one_of is None  # any value recorded (but False) makes it present
        self.missing = p.missing  # present when nothing is recorded there


def _field(f: Facts, p: _Field) -> Hit:
    raw = p.read(f.case)  # the case's enums are StrEnums: they compare and hash as their values
    if p.missing:  # nothing recorded there: no value, or an empty list
        return [f"{p.path} not recorded"] if raw is None or raw == [] else None
    if raw is None:
        return None
    if p.equals is not None and raw != p.equals:
        return None
    if p.one_of is not None and raw not in p.one_of:
        return None
    if p.bounded and (
        isinstance(raw, bool) or not isinstance(raw, (int, float))
        or (p.gt is not None and not raw > p.gt) or (p.ge is not None and not raw >= p.ge)
        or (p.lt is not None and not raw < p.lt) or (p.le is not None and not raw <= p.le)
    ):
        return None
    if p.bare and raw is False:
        return None
    return [f"{p.path} = {raw}"]


def _fields(f: Facts, p: tuple[_Field, ...]) -> Hit:
    used: list[str] = []
    for item in p:
        h = _field(f, item)
        if not h:
            return None
        used += h
    return used


def _symptom(f: Facts, p: SymptomP) -> Hit:
    if p.denied:
        denied = [s._value_ for s in f.case.symptoms.denied if s._value_ in p.any]
        return [f"symptoms.denied contains {s}" for s in denied] or None
    recorded = f.case.symptoms.symptoms
    have = [s._value_ for s in recorded if s._value_ in p.any]
    if p.absent:
        return None if have or not recorded else [f"symptoms.symptoms lists none of {', '.join(p.any)}"]
    return [f"symptoms.symptoms contains {s}" for s in have] or None


def _imaging_absent(f: Facts, p: ImagingAbsentP) -> Hit:
    after = f.index.date if f.index is not None else None
    if p.after == "onset":
        if f.index is not None and f.onset_days is not None:
            after = date.fromordinal(f.index.date.toordinal() + f.onset_days)
        else:
            after = date.fromordinal(f.ref_date.toordinal() - 1)

    counted = _counted(f, p.modalities, after)
    if not any(counted):
        return None
    for code in p.codes:
        for i, _, _, fnd in f.imaging_by_code.get(code, ()):
            if not counted[i]:
                continue
            if p.scope == "operated" and fnd.level is not None and fnd.level not in f.operated_levels:
                continue
            return None
    tail = f" shows none of {', '.join(p.codes)}" + (" at the operated levels" if p.scope == "operated" else "")
    return [s.quote + tail for s, counts in zip(f.studies, counted, strict=True) if counts]


def _counted(f: Facts, modalities: list[str], after: date | None) -> list[bool]:
    """For each imaging study: could it show a finding of these modalities (readable, and not before ``after``)?"""
    return [s.modality in modalities and not s.limited_by_artefact and (after is None or s.date >= after)
            for s in f.studies]


_SUMMARY_MRC = {"mild": 4, "severe": 3}


def _motor(f: Facts, p: MotorP) -> Hit:
    exam = f.case.exam
    hits: list[str] = []
    for i, m in enumerate(exam.motor):
        if m.mrc > p.mrc_le or (p.new and not m.new_since_surgery) or (p.progressive and not m.progressive):
            continue
        if p.new_or_unknown and m.new_since_surgery is False:
            continue
        if p.myotomes and m.myotome not in p.myotomes:
            continue
        notes = [n for n, on in (("new since surgery", m.new_since_surgery), ("progressive", m.progressive)) if on]
        extra = f" ({', '.join(notes)})" if notes else ""
        hits.append(f"exam.motor[{i}]: {m.myotome} {m.side._value_} MRC {m.mrc}/5{extra}")
    if not p.new and not p.myotomes:
        summary = exam.motor_deficit
        grade = _SUMMARY_MRC.get(summary._value_) if summary is not None else None
        progressive = bool(exam.motor_deficit_progressive)
        if p.progressive:
            if progressive:
                hits.append("exam.motor_deficit_progressive = True")
        elif grade is not None and grade <= p.mrc_le and not (p.new_or_unknown and _known_old(exam.motor, p.mrc_le)):
            hits.append(f"exam.motor_deficit = {summary}")
    return hits or None


def _known_old(motor: Sequence[Any], mrc_le: int) -> bool:
    """The graded myotomes explain a summary weakness of this grade, and each is recorded as present before the
    operation: the summary describes a known, old weakness (the muscle-by-muscle record is the more specific)."""
    weak = [m for m in motor if m.mrc <= mrc_le]
    return bool(weak) and all(m.new_since_surgery is False for m in weak)


def _sensory(f: Facts, p: SensoryP) -> Hit:
    hits = [
        f"exam.sensory[{i}]: {s.distribution._value_}" + (f" {s.root}" if s.root else "")
        + (f" {s.side._value_}" if s.side else "") + (" (new since surgery)" if s.new_since_surgery else "")
        for i, s in enumerate(f.case.exam.sensory)
        if s.distribution._value_ in p.distributions and (not p.new or s.new_since_surgery)
        and (not p.roots or s.root in p.roots)
    ]
    return hits or None


def _any_of(f: Facts, p: Any) -> Hit:
    hits: list[str] = []
    for fn, params, _ in p:
        h = fn(f, params)
        if h:
            hits += h
    return _once(hits) or None


def _once(hits: list[str]) -> list[str]:
    """Each input quoted once, in order (two parts of a composite can read the same field)."""
    return list(dict.fromkeys(hits)) if len(hits) > 1 else hits


def _all_of(f: Facts, p: Any) -> Hit:
    hits: list[str] = []
    for fn, params, _ in p:
        h = fn(f, params)
        if not h:
            return None
        hits += h
    return _once(hits)


def _culture_grade(c: Any, virulence: str | None, definite_samples: int) -> str:
    if (c.samples_positive or 0) >= definite_samples or virulence == "high":
        return "definite"
    if virulence == "low" and c.samples_positive is not None and c.samples_positive < definite_samples:
        return "possible_contaminant"
    return "unspecified"


def _culture(f: Facts, p: CultureP) -> Hit:
    hits = []
    for i, c in enumerate(f.case.cultures):
        if c.specimen not in p.specimens or c.result not in p.results:
            continue
        virulence, named = f.culture_virulence[i]
        if p.virulence is not None and virulence != p.virulence:
            continue
        if p.min_samples_positive is not None and (c.samples_positive or 0) < p.min_samples_positive:
            continue
        if p.max_samples_positive is not None and (
            c.samples_positive is None or c.samples_positive > p.max_samples_positive
        ):
            continue
        if p.grade is not None and _culture_grade(c, virulence, p.definite_samples or 0) not in p.grade:
            continue
        how = " (read from the organism's name)" if named else ""
        what = [x for x in (c.organism, virulence and f"{virulence} virulence{how}") if x]
        if c.samples_positive is not None:
            what.append(f"{c.samples_positive}/{c.samples_total or '?'} samples")
        hits.append(f"cultures[{i}]: {c.specimen} {c.date} {c.result}" + (f" ({', '.join(what)})" if what else ""))
    return hits or None


def _lab(f: Facts, p: LabP) -> Hit:
    reads = f.lab_reads.get(p.test, [])
    hits = [f"{r.path}: {r.test} {bound_prefix(r.comparator)}{r.value:g} {r.unit} ({r.status})" for r in reads[-1:]
            if r.status in p.status
            and (p.gt is None or reported_above(r.value, r.comparator, p.gt) is True)
            and (p.min_day is None or (r.day_after_surgery is not None and r.day_after_surgery >= p.min_day))]
    if "second_rise" in p.status:
        hits += [f"{r.path}: {r.test} second rise" for r in reads if r.status == "second_rise"]
    return hits or None


def _block(f: Facts, p: BlockP) -> Hit:
    hits = []
    for i, b in enumerate(f.case.blocks):
        if b.type._value_ not in p.types:
            continue
        if p.paradigms and b.paradigm not in p.paradigms:
            continue
        if not p.ok(b.relief_percent):
            continue
        if side_discordant(f, b.side):  # a block of the other side does not test one-sided pain
            continue
        at = f" {b.level}" if b.level else ""
        hits.append(f"blocks[{i}]: {b.type._value_}{at} {b.relief_percent:g}% relief ({b.paradigm})")
    return hits or None


def _emg(f: Facts, p: EmgP) -> Hit:
    hits = [
        f"electrodiagnostics[{i}]: {e.result._value_}"
        for i, e in enumerate(f.case.electrodiagnostics)
        if e.result._value_ in p.results
    ]
    return hits or None


def _procedure(f: Facts, p: ProcedureP) -> Hit:
    surgeries = f.surgeries
    if p.index_only:
        surgeries = tuple(s for s in f.surgeries if s.position == f.index_position)
    hits = [
        s.quote for s in surgeries
        if (not p.any or s.procedure in p.any)
        and (not p.regions or s.region in p.regions)
        and (p.instrumented is None or s.instrumented == p.instrumented)
        and (not p.levels_any or not s.levels.isdisjoint(p.levels_any))
        and (not p.approach or (s.approach or "unrecorded") in p.approach)
        and (p.incidental_durotomy is None or s.incidental_durotomy == p.incidental_durotomy)
    ]
    return hits or None


def _surgery_count(f: Facts, p: CountP) -> Hit:
    n = f.surgery_count
    return [f"surgeries: {n} operations"] if n and p.ok(n) else None


def _days(f: Facts, p: DaysP) -> Hit:
    d = f.onset_days if p.basis == "onset" else f.days_since_index
    if d is None or not p.ok(d):
        return None
    return [f"{'onset' if p.basis == 'onset' else 'assessment'} {d} days after surgery"]


PREDICATES: dict[str, tuple[type[_P], Callable[[Facts, Any], Hit]]] = {
    "imaging": (ImagingP, _imaging),
    "imaging_absent": (ImagingAbsentP, _imaging_absent),
    "culture": (CultureP, _culture),
    "field": (FieldP, _field),
    "fields": (FieldsP, _fields),
    "symptom": (SymptomP, _symptom),
    "lab": (LabP, _lab),
    "block": (BlockP, _block),
    "emg": (EmgP, _emg),
    "procedure": (ProcedureP, _procedure),
    "surgery_count": (CountP, _surgery_count),
    "days_after_surgery": (DaysP, _days),
    "motor": (MotorP, _motor),
    "sensory": (SensoryP, _sensory),
}
# any_of compiles its parts into (function, params) pairs; see _compile_params.
PREDICATES["any_of"] = (AnyOfP, _any_of)
PREDICATES["all_of"] = (AllOfP, _all_of)
_COMPOSITE = {"any_of": "any", "all_of": "all"}

def check_finding(finding: Finding) -> str | None:
    """Validate a finding's predicate name and parameters; return a message or None."""
    entry = PREDICATES.get(finding.predicate)
    if entry is None:
        return f"unknown predicate '{finding.predicate}'; known: {', '.join(sorted(PREDICATES))}"
    return _check_params(finding.predicate, finding.params, "params")


def _check_params(name: str, raw: dict[str, Any], where: str) -> str | None:
    entry = PREDICATES.get(name)
    if entry is None:
        at = "" if where == "params" else f"{where}: "
        return f"{at}unknown predicate '{name}'; known: {', '.join(sorted(PREDICATES))}"
    model, _ = entry
    try:
        params = model.model_validate(raw)
    except ValidationError as exc:
        return "; ".join(f"{where}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(params, (AnyOfP, AllOfP)):
        key = _COMPOSITE[name]
        for k, part in enumerate(getattr(params, key)):
            if set(part) - {"predicate", "params"} or not isinstance(part.get("predicate"), str):
                return f"{where}.{key}[{k}]: give 'predicate' and 'params'"
            msg = _check_params(part["predicate"], part.get("params") or {}, f"{where}.{key}[{k}].params")
            if msg:
                return msg
    items = [params] if isinstance(params, FieldP) else list(params.all) if isinstance(params, FieldsP) else []
    for item in items:
        if not _resolve_path(item.path):
            return f"{where}.path '{item.path}' is not a field of the case"
    return None


def _resolve_path(path: str) -> bool:
    """True when every part of a dotted path is a field (or property) of the case model."""
    model: Any = Case
    for part in path.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return False
        if part not in fields:
            return isinstance(getattr(model, part, None), property)
        ann = fields[part].annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if hasattr(a, "model_fields")), ann)
    return True


def compile_finding(finding: Finding) -> tuple[Callable[[Facts, Any], Hit], Any]:
    """A finding's predicate and its validated parameters (done once, at load): call ``fn(facts, params)``."""
    return _compile(finding.predicate, finding.params)


def _compile(name: str, raw: dict[str, Any]) -> tuple[Callable[[Facts, Any], Hit], Any]:
    model, fn = PREDICATES[name]
    if name in _COMPOSITE:  # parts as (function, params, absent reader or None)
        parts = raw.get(_COMPOSITE[name]) or []
        return fn, tuple((*_compile(part["predicate"], part.get("params") or {}), ABSENT.get(part["predicate"]))
                         for part in parts)
    params = model.model_validate(raw)
    if isinstance(params, FieldP):  # read many times per case: prepared once (``_Field``)
        return fn, _Field(params)
    if isinstance(params, FieldsP):
        return fn, tuple(_Field(item) for item in params.all)
    return fn, params


# -- Absent findings (ranking) ------------------------------------------------------------------
# A finding is *absent* when the case shows it was looked for and not found: an examination item
# recorded negative, a symptom the patient denied, a study that could show it and does not, a test
# whose result falls short. "Not recorded" is *unknown* and never counts. Each function returns the
# inputs that show the finding absent (quoted with their JSON paths), or None (present or unknown).
# Only called for findings that are not present.

_NOT_DONE = frozenset({"not_done", "not_examined", "unknown"})  # recorded as not examined: unknown, never absent


def _field_absent(f: Facts, p: _Field) -> Hit:
    raw = p.read(f.case)
    if raw is None or (isinstance(raw, str) and raw in _NOT_DONE):
        return None
    return [f"{p.path} = {raw} (recorded)"]  # recorded and (the finding not being present) not matching


def _fields_absent(f: Facts, p: tuple[_Field, ...]) -> Hit:
    for item in p:
        if item.read(f.case) is not None and not _field(f, item):
            return _field_absent(f, item)
    return None


def _symptom_absent(f: Facts, p: SymptomP) -> Hit:
    """Absent only when every symptom of the finding was asked about and denied (``symptoms.denied``).

    A symptom merely missing from the recorded list is not taken as absent: a list of complaints
    records what the patient reported, not every question asked.
    """
    if p.absent:
        return None
    denied = {getattr(s, "value", s) for s in getattr(f.case.symptoms, "denied", None) or ()}
    if denied and all(code in denied for code in p.any):
        return [f"symptoms.denied contains {code}" for code in p.any]
    return None


def _imaging_absent_of(f: Facts, p: ImagingP) -> Hit:
    """A study of a modality that can show the finding, after the operation (and after the onset when it is
    known), not limited by artefact, without it; or the finding measured short of the threshold."""
    if not p.modalities:
        return None  # no modality is named that can show it: absence cannot be read
    if not f.imaging_by_code.keys().isdisjoint(p.codes):  # some of the codes recorded (each with its entries)
        measured = [e for code in p.codes for e in f.imaging_by_code.get(code, ())
                    if e[3].value is not None and e[2].modality._value_ in p.modalities]
        if measured and p.bounded():
            return [f"imaging[{i}].findings[{j}]: {s.modality._value_} {s.date} {fnd.code._value_} {fnd.value:g} "
                    f"{fnd.unit} (below the threshold)" for i, j, s, fnd in measured]
        return None  # recorded at another level or on another modality: not read as absent
    after = f.index.date if f.index is not None else None
    if f.index is not None and f.onset_days is not None and f.onset_days > 0:
        after = f.index.date + timedelta(days=f.onset_days)
    tail = f" shows none of {', '.join(p.codes)}"
    return [s.quote + tail for s, counts in zip(f.studies, _counted(f, p.modalities, after), strict=True)
            if counts] or None


def _culture_absent(f: Facts, p: CultureP) -> Hit:
    if "positive" not in p.results:
        return None
    neg = [f"cultures[{i}]: {c.specimen} {c.date} {c.result}" for i, c in enumerate(f.case.cultures)
           if c.specimen in p.specimens and c.result == "negative"]
    return neg or None


def _lab_absent(f: Facts, p: LabP) -> Hit:
    reads = f.lab_reads.get(p.test, [])
    if not reads or "normal" in p.status:
        return None
    last = reads[-1]
    return [f"{last.path}: {last.test} {last.value:g} {last.unit} (normal)"] if last.status == "normal" else None


def _block_absent(f: Facts, p: BlockP) -> Hit:
    out = [
        f"blocks[{i}]: {b.type._value_} {b.relief_percent:g}% relief ({b.paradigm})"
        for i, b in enumerate(f.case.blocks)
        if b.type._value_ in p.types and (not p.paradigms or b.paradigm in p.paradigms) and not p.ok(b.relief_percent)
        and not side_discordant(f, b.side)
    ]
    return out or None


def _emg_absent(f: Facts, p: EmgP) -> Hit:
    out = [f"electrodiagnostics[{i}]: {e.result._value_}" for i, e in enumerate(f.case.electrodiagnostics)
           if e.result._value_ not in p.results]
    return out or None


def _motor_absent(f: Facts, p: MotorP) -> Hit:
    """Strength recorded and no grade meets the finding; a weak grade whose newness or progression was not
    recorded (when the finding asks for it) leaves the finding unknown."""
    exam = f.case.exam
    if exam.motor:
        for m in exam.motor:
            if m.mrc <= p.mrc_le and ((p.new and m.new_since_surgery is None)
                                      or (p.progressive and m.progressive is None)):
                return None
        if p.myotomes and not any(m.myotome in p.myotomes for m in exam.motor):
            return None
        return [f"exam.motor: {len(exam.motor)} myotome(s) graded, none meets it (recorded)"]
    if p.new or p.myotomes or exam.motor_deficit is None:
        return None
    if p.progressive:
        if exam.motor_deficit._value_ == "none" or exam.motor_deficit_progressive is False:
            return [f"exam.motor_deficit = {exam.motor_deficit} (recorded)"]
        return None
    return [f"exam.motor_deficit = {exam.motor_deficit} (recorded)"]


def _any_of_absent(f: Facts, p: Any) -> Hit:
    """Absent when every part is read as absent."""
    used: list[str] = []
    for _, params, absent in p:
        h = absent(f, params) if absent is not None else None
        if not h:
            return None
        used += h
    return _once(used)  # parts reading the same field quote it once


def _all_of_absent(f: Facts, p: Any) -> Hit:
    """Absent when any part is read as absent."""
    for fn, params, absent in p:
        if not fn(f, params) and absent is not None:
            h: Hit = absent(f, params)
            if h:
                return h
    return None


ABSENT: dict[str, Callable[[Facts, Any], Hit]] = {
    "field": _field_absent,
    "fields": _fields_absent,
    "symptom": _symptom_absent,
    "imaging": _imaging_absent_of,
    "culture": _culture_absent,
    "lab": _lab_absent,
    "block": _block_absent,
    "emg": _emg_absent,
    "motor": _motor_absent,
    "any_of": _any_of_absent,
    "all_of": _all_of_absent,
}


def absent_check(predicate: str) -> Callable[[Facts, Any], Hit] | None:
    """The function that reads a finding of this predicate as absent, or None when absence cannot be read."""
    return ABSENT.get(predicate)


@register_checker
def _check_against_the_case_model(sections: dict[str, Any]) -> list[Problem]:
    """Checked when a pack loads: every finding names a known predicate with valid parameters (paths that
    are fields of the case), and revision strategies name imaging codes the case model knows."""
    problems = [Problem(f"findings[{fid}]", msg) for fid, finding in sections.get("findings", {}).items()
                if (msg := check_finding(finding))]
    codes = {c.value for c in ImagingCode}
    for sid, strat in sections.get("revision_strategies", {}).items():
        problems += [Problem(f"revision_strategies[{sid}]", f"unknown imaging code '{code}'")
                     for code in strat.imaging_codes if code not in codes]
    return problems


Compiled = dict[str, tuple[Callable[[Facts, Any], Hit], Any]]


class CompiledFindings(NamedTuple):
    """The pack's findings, compiled once per pack."""

    present: Compiled
    """Every finding's predicate with its validated parameters: call ``fn(facts, params)``."""
    absent: Compiled
    """The absent readers of the findings some cause weighs when absent."""
    order: tuple[str, ...]
    """Every finding id, in pack order."""
    by_input: dict[Input, tuple[str, ...]]
    """Input -> the findings that read it (``inputs.reads``): a finding can be present only when the case
    records one of its inputs."""
    always: tuple[str, ...]
    """Findings whose inputs are not known: always evaluated."""
    fields: FieldReader
    """Records the field inputs ``by_input`` holds."""
    unknown: dict[str, Hit]
    """Every finding id, in pack order, not present (None): a copy is where one case's hits start."""


def _inputs(name: str, raw: dict[str, Any]) -> frozenset[Input] | None:
    """The inputs a predicate reads (a composite: its parts'), or None when not known."""
    if name in _COMPOSITE:
        parts = [_inputs(part["predicate"], part.get("params") or {}) for part in raw.get(_COMPOSITE[name]) or []]
        if name == "all_of":  # present only when every part is: any one part's inputs will do
            return narrowest(p for p in parts if p is not None)
        return None if None in parts else frozenset().union(*(p for p in parts if p is not None))
    return reads(name, PREDICATES[name][0].model_validate(raw))


@per_pack
def compiled(pack: KnowledgePack) -> CompiledFindings:
    """The pack's findings compiled for evaluation (``CompiledFindings``), worked out once per pack."""
    present = {fid: compile_finding(f) for fid, f in pack.findings.items()}
    absent = {fid: (fn, present[fid][1]) for fid in pack.weighed_absent
              if (fn := absent_check(pack.findings[fid].predicate)) is not None}
    by_input: dict[Input, list[str]] = {}
    always: list[str] = []
    for fid, f in pack.findings.items():
        inputs = _inputs(f.predicate, f.params)
        if inputs is None:
            always.append(fid)
        for key in inputs or ():
            by_input.setdefault(key, []).append(fid)
    return CompiledFindings(
        present, absent, tuple(pack.findings), {k: tuple(v) for k, v in by_input.items()}, tuple(always),
        FieldReader(by_input), dict.fromkeys(pack.findings),
    )
