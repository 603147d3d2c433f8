"""The case entry form, laid out the way a clinic note is, derived from the case model.

Form field names are the case's JSON paths (``surgeries[0].date``), so an InputError's problem
paths land beside the right field. ``unflatten`` turns a submitted form into case JSON (dropping
blank repeatable rows and remembering where each kept row came from); ``flatten`` does the reverse
to pre-fill the form from a stored version.
"""

from __future__ import annotations

import copy
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..case import model as m
from ..case.enums import ImagingCode
from ..errors import InputError
from ..views.clinical import FIELD_LABELS, IMAGING_GROUPS, LEVELS, clinical_label

__all__ = ["FieldSpec", "parse_number", "collect_problems", "confirmations", "CONFIRM_RANGES",
           "Fields", "Rows", "Section", "SECTIONS", "FIELDS", "unflatten", "flatten", "row_indices", "field_id",
           "errors_by_field", "form_path", "humanize", "form_values", "describe_path", "form_fields"]

_LABELS = FIELD_LABELS
_ACRONYMS = {"Ct": "CT", "Mri": "MRI", "Tlif": "TLIF", "Plif": "PLIF", "Alif": "ALIF", "Llif": "LLIF/XLIF",
             "Acdf": "ACDF", "Crp": "CRP", "Esr": "ESR", "Wbc": "WBC", "Hba1c": "HbA1c", "Si": "SI", "Emg": "EMG",
             "Dexa": "DEXA", "Spect": "SPECT", "Sva": "SVA", "Ckd": "CKD", "Mrsa": "MRSA", "Xray": "X-ray",
             "Pi": "PI", "Ll": "LL", "Sij": "SIJ", "Iv": "IV"}


def humanize(name: str) -> str:
    words = name.replace("_", " ").split()
    words = [_ACRONYMS.get(w.capitalize(), w) for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    widget: Literal["select", "tristate", "checkbox", "number", "date", "text", "textarea", "multicheck", "list",
                    "level", "unit"]
    options: tuple[tuple[str, str], ...] = ()
    help: str | None = None
    step: str | None = None
    default: str = ""
    blank_option: bool = True
    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    integer: bool = False


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _spec(model: type[BaseModel], name: str) -> FieldSpec:
    info = model.model_fields[name]
    ann, optional = _unwrap(info.annotation)
    if get_origin(ann) is type(None):  # pragma: no cover
        optional = True
    label, help_ = _LABELS.get(name, humanize(name)), info.description
    default = info.default if info.default is not PydanticUndefined and info.default is not None else None
    dflt = default.value if isinstance(default, Enum) else ("" if default is None else str(default))
    if get_origin(ann) is list:
        inner = get_args(ann)[0]
        if isinstance(inner, type) and issubclass(inner, Enum):
            return FieldSpec(name, label, "multicheck", tuple((e.value, clinical_label(e.value)) for e in inner),
                             help_)
        return FieldSpec(name, label, "list", help=help_)
    if isinstance(ann, type) and issubclass(ann, Enum):
        options = tuple((e.value, clinical_label(e.value)) for e in ann)
        groups = _groups(options) if ann is ImagingCode else ()
        return FieldSpec(name, label, "select", options, help=help_, groups=groups,
                         default=dflt, blank_option=optional or default is None)
    if name == "level":
        return FieldSpec(name, "Level", "level", tuple((lv, lv) for lv in LEVELS), help_)
    if name == "unit" and model is m.LabResult:
        return FieldSpec(name, label, "unit", help=help_)
    if get_origin(ann) is Literal:
        return FieldSpec(name, label, "select", tuple((str(v), humanize(str(v))) for v in get_args(ann)), help_,
                         default=dflt, blank_option=optional or default is None)
    if ann is bool:
        return FieldSpec(name, label, "tristate" if optional else "checkbox", help=help_)
    if ann is int:
        return FieldSpec(name, label, "number", help=help_, step="1", integer=True)
    if ann is float:
        return FieldSpec(name, label, "number", help=help_, step="any")
    if ann is date:
        return FieldSpec(name, label, "date", help=help_)
    return FieldSpec(name, label, "textarea" if name == "notes" else "text", help=help_)


def _groups(options: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Options in the clinical groups of IMAGING_GROUPS; codes in no group go last, under "Other"."""
    label = dict(options)
    placed = {c for _, codes in IMAGING_GROUPS for c in codes}
    out = [(title, tuple((c, label[c]) for c in codes if c in label)) for title, codes in IMAGING_GROUPS]
    rest = tuple(o for o in options if o[0] not in placed)
    return tuple(g for g in (*out, ("Other", rest)) if g[1])


@dataclass(frozen=True)
class Fields:
    """Single fields of one sub-object (``prefix`` '' for the case itself)."""

    prefix: str
    model: type[BaseModel]
    names: tuple[str, ...]
    title: str | None = None

    @property
    def specs(self) -> list[FieldSpec]:
        return [_spec(self.model, n) for n in self.names]

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name


@dataclass(frozen=True)
class Rows:
    """A repeatable group (one row per surgery, study, lab...), optionally with nested rows."""

    name: str
    model: type[BaseModel]
    names: tuple[str, ...]
    title: str
    add_label: str
    nested: Rows | None = None
    initial_rows: int = 0
    item: str = "Row"

    @property
    def specs(self) -> list[FieldSpec]:
        return [_spec(self.model, n) for n in self.names]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Fields | Rows, ...] = field(default_factory=tuple)


def _all(model: type[BaseModel], *skip: str) -> tuple[str, ...]:
    return tuple(n for n in model.model_fields if n not in skip)


SECTIONS: tuple[Section, ...] = (
    Section("history", "History and prior surgeries", (
        Fields("patient", m.Patient, ("age", "sex", "height_cm", "weight_kg", "bmi")),
        Rows("surgeries", m.PriorSurgery, _all(m.PriorSurgery), "Prior surgeries", "Add a surgery",
             initial_rows=1, item="Surgery"),
    )),
    Section("symptoms", "Symptoms and timeline", (Fields("symptoms", m.SymptomCourse, _all(m.SymptomCourse)),)),
    Section("exam", "Examination", (
        Fields("exam", m.Examination, _all(m.Examination, "motor", "sensory")),
        Rows("exam.motor", m.MotorGrade, _all(m.MotorGrade), "Strength by myotome (MRC 0-5)", "Add a myotome",
             item="Myotome"),
        Rows("exam.sensory", m.SensoryFinding, _all(m.SensoryFinding), "Sensory findings", "Add a sensory finding",
             item="Sensory finding"),
    )),
    Section("imaging", "Imaging", (
        Rows("imaging", m.ImagingStudy, ("modality", "date", "limited_by_artefact"), "Studies", "Add a study",
             item="Study",
             nested=Rows("findings", m.ImagingFinding, _all(m.ImagingFinding), "Findings", "Add a finding",
                         initial_rows=1, item="Finding")),
        Fields("alignment", m.Alignment, _all(m.Alignment), title="Spinopelvic alignment (standing radiograph)"),
    )),
    Section("labs", "Labs and microbiology", (
        Rows("labs", m.LabResult, _all(m.LabResult), "Labs", "Add a lab result", item="Lab"),
        Rows("cultures", m.Culture, _all(m.Culture), "Cultures", "Add a culture", item="Culture"),
    )),
    Section("blocks", "Diagnostic blocks", (Rows("blocks", m.DiagnosticBlock, _all(m.DiagnosticBlock), "Blocks",
                                                 "Add a block", item="Block"),)),
    Section("emg", "EMG / nerve conduction", (Rows("electrodiagnostics", m.ElectroStudy, _all(m.ElectroStudy),
                                                   "Studies", "Add an EMG/NCV study", item="Study"),)),
    Section("risk", "Risk factors", (Fields("risk_factors", m.RiskFactors, _all(m.RiskFactors)),)),
    Section("questionnaires", "Questionnaires", (Fields("questionnaires", m.Questionnaires, _all(m.Questionnaires)),)),
    Section("about", "About this assessment", (Fields("", m.Case, ("assessment_date", "case_id", "notes")),)),
)


def _index_specs() -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for section in SECTIONS:
        for block in section.blocks:
            if isinstance(block, Fields):
                for spec in block.specs:
                    out[block.path(spec.name)] = spec
            else:
                for spec in block.specs:
                    out[f"{block.name}.{spec.name}"] = spec
                if block.nested:
                    for spec in block.nested.specs:
                        out[f"{block.name}.{block.nested.name}.{spec.name}"] = spec
    return out


#: Schema path without indices (``imaging.findings.code``) -> field spec.
FIELDS: dict[str, FieldSpec] = _index_specs()
_SEGMENT = re.compile(r"^([a-z_0-9]+)(?:\[(\d+)\])?$")


def _parse_key(key: str) -> list[tuple[str, int | None]] | None:
    out: list[tuple[str, int | None]] = []
    for part in key.split("."):
        match = _SEGMENT.match(part)
        if not match:
            return None
        out.append((match.group(1), int(match.group(2)) if match.group(2) is not None else None))
    return out


_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")


def parse_number(text: str, *, integer: bool = False) -> tuple[int | float | None, str | None]:
    """A number typed into a form: (the value, None) or (None, what is wrong).

    Only a plain decimal is read: digits with at most one decimal point. Nothing is guessed: a
    comma, a letter or an exponent is an error with a message, never a dropped or altered value."""
    t = text.strip()
    if _DECIMAL.fullmatch(t):
        value = float(t)
        if integer:
            if value != int(value):
                return None, f"“{t}” is not a whole number: type a whole number, e.g. {int(value)}"
            return int(value), None
        return value, None
    if _COMMA_DECIMAL.fullmatch(t):
        return None, f"use a decimal point: {t.replace(',', '.')}"
    return None, f"“{t}” is not a number: type digits with at most one decimal point, e.g. 3.5"


def _convert(spec: FieldSpec, values: list[str], problems: list[str]) -> Any:
    values = [v.strip() for v in values if v.strip()]
    if spec.widget == "multicheck":
        return values or None
    if not values:
        return None
    v = values[-1]
    if spec.widget == "list":
        return [x.strip() for x in v.split(",") if x.strip()]
    if spec.widget == "tristate":
        return {"yes": True, "no": False}.get(v, v)
    if spec.widget == "checkbox":
        return True
    if spec.default and v == spec.default:
        return None  # the model's default: leave it out so a blank row stays blank
    if spec.widget == "number":
        number, problem = parse_number(v, integer=spec.integer)
        if problem:
            problems.append(problem)
        return number
    if spec.widget == "date":
        try:
            date.fromisoformat(v)
        except ValueError:
            problems.append(f"“{v}” is not a date: use the form YYYY-MM-DD")
            return None
    return v


def unflatten(form: list[tuple[str, str]], problems: list[tuple[str, str]] | None = None
              ) -> tuple[dict[str, Any], dict[str, dict[int, int]]]:
    """Form items -> (case JSON, row maps). Row maps: list path as submitted -> {kept index: form index}.

    A value that cannot be read (a number with a comma, a letter in a number, a malformed date) is
    left out and reported in ``problems`` as (form field name, message)."""
    grouped: dict[str, list[str]] = {}
    for key, value in form:
        grouped.setdefault(key, []).append(value)
    tree: dict[str, Any] = {}
    for key, values in grouped.items():
        parts = _parse_key(key)
        if parts is None:
            continue
        spec = FIELDS.get(".".join(p for p, _ in parts))
        if spec is None:
            continue
        found: list[str] = []
        value = _convert(spec, values, found)
        if problems is not None:
            problems.extend((key, message) for message in found)
        if value is None:
            continue
        node = tree
        for i, (name, index) in enumerate(parts):
            last = i == len(parts) - 1
            if index is None:
                if last:
                    node[name] = value
                else:
                    node = node.setdefault(name, {})
            else:
                node = node.setdefault(name, {}).setdefault(("row", index), {})
    maps: dict[str, dict[int, int]] = {}
    return _lists(tree, "", maps), maps


def _lists(node: dict[Any, Any], prefix: str, maps: dict[str, dict[int, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in node.items():
        if isinstance(value, dict) and value and all(isinstance(k, tuple) for k in value):
            path = f"{prefix}.{name}" if prefix else name
            kept: list[dict[str, Any]] = []
            mapping: dict[int, int] = {}
            for (_, index), row in sorted(value.items(), key=lambda kv: kv[0][1]):
                mapping[len(kept)] = index
                kept.append(_lists(row, f"{path}[{len(kept)}]", maps))
            maps[path] = mapping
            out[name] = kept
        elif isinstance(value, dict):
            out[name] = _lists(value, f"{prefix}.{name}" if prefix else name, maps)
        else:
            out[name] = value
    return out


def form_path(problem_path: str, maps: dict[str, dict[int, int]]) -> str:
    """A problem path in the submitted JSON -> the form field name it came from."""
    parts = _parse_key(problem_path)
    if parts is None:
        return problem_path
    json_prefix, form_parts = "", []
    for name, index in parts:
        json_path = f"{json_prefix}.{name}" if json_prefix else name
        if index is None:
            form_parts.append(name)
            json_prefix = json_path
        else:
            original = maps.get(json_path, {}).get(index, index)
            form_parts.append(f"{name}[{original}]")
            json_prefix = f"{json_path}[{index}]"
    return ".".join(form_parts)


def flatten(data: Any, prefix: str = "", schema: str = "") -> dict[str, Any]:
    """Case JSON -> form values (``{"surgeries[0].date": "2025-06-10", "symptoms.symptoms": [...]}``)."""
    out: dict[str, Any] = {}
    if not isinstance(data, dict):
        return out
    for name, value in data.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        spath = f"{schema}.{name}" if schema else str(name)
        spec = FIELDS.get(spath)
        if spec is not None:
            if spec.widget == "multicheck" and isinstance(value, list):
                out[path] = [str(v) for v in value]
            elif spec.widget == "list" and isinstance(value, list):
                out[path] = ", ".join(str(v) for v in value)
            elif spec.widget == "tristate" and isinstance(value, bool):
                out[path] = "yes" if value else "no"
            elif spec.widget == "checkbox":
                out[path] = "on" if value else ""
            elif value is not None and not isinstance(value, (dict, list)):
                out[path] = str(value)
        elif isinstance(value, list):
            for i, row in enumerate(value):
                out.update(flatten(row, f"{path}[{i}]", spath))
        elif isinstance(value, dict):
            out.update(flatten(value, path, spath))
    return out


def row_indices(values: dict[str, Any], list_path: str, minimum: int = 0) -> list[int]:
    """Row indices present in ``values`` for a repeatable group (at least ``minimum`` rows)."""
    pattern = re.compile(re.escape(list_path) + r"\[(\d+)\]\.")
    found = sorted({int(mt.group(1)) for key in values if (mt := pattern.match(key))})
    while len(found) < minimum:
        found.append(found[-1] + 1 if found else 0)
    return found


def field_id(path: str) -> str:
    return "f-" + re.sub(r"[^a-zA-Z0-9_]+", "-", path).strip("-")


def errors_by_field(problems: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path, message in problems:
        out.setdefault(path, []).append(message)
    return out


def form_values(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Submitted form items -> values to re-fill the form (check-box groups as lists)."""
    values: dict[str, Any] = {}
    for key, value in items:
        spec = FIELDS.get(re.sub(r"\[\d+\]", "", key))
        if spec is not None and spec.widget == "multicheck":
            values.setdefault(key, []).append(value)
        else:
            values[key] = value
    return values


def _items() -> dict[str, str]:
    out: dict[str, str] = {}
    for section in SECTIONS:
        for block in section.blocks:
            if isinstance(block, Rows):
                out[block.name] = block.item
                if block.nested:
                    out[block.nested.name] = block.nested.item
    return out


_ITEMS = _items()


def describe_path(path: str) -> str:
    """A problem path in words: ``surgeries[0].region`` -> ``Surgery 1 › Region``."""
    parts = _parse_key(path)
    if parts is None:
        return path
    words, schema = [], []
    for i, (name, index) in enumerate(parts):
        schema.append(name)
        if index is not None:
            words.append(f"{_ITEMS.get(name, humanize(name))} {index + 1}")
        elif i == len(parts) - 1:
            spec = FIELDS.get(".".join(schema))
            words.append(spec.label if spec else humanize(name))
        else:
            words.append(humanize(name))
    return " › ".join(words)


def form_fields() -> list[dict[str, Any]]:
    """Every field of the form in order, for the form page's JSON twin."""
    out: list[dict[str, Any]] = []

    def add(section: str, path: str, spec: FieldSpec, repeatable: bool) -> None:
        out.append({"path": path, "section": section, "label": spec.label, "widget": spec.widget,
                    "options": [v for v, _ in spec.options], "repeatable": repeatable})

    for section in SECTIONS:
        for block in section.blocks:
            if isinstance(block, Fields):
                for spec in block.specs:
                    add(section.title, block.path(spec.name), spec, False)
            else:
                for spec in block.specs:
                    add(section.title, f"{block.name}.{spec.name}", spec, True)
                if block.nested:
                    for spec in block.nested.specs:
                        add(section.title, f"{block.name}.{block.nested.name}.{spec.name}", spec, True)
    return out


def _remove(data: dict[str, Any], path: str, whole_row: bool) -> dict[str, dict[int, int]] | None:
    """Take the value at ``path`` out of ``data`` (in place): the leaf, or with ``whole_row`` the list row
    that holds it. Returns the row map of the list a row was removed from ({new index: old index}),
    keyed by that list's JSON path, or None when only a leaf went (indices unchanged)."""
    parts = _parse_key(path)
    if parts is None:
        return None
    last_row = max((i for i, (_, idx) in enumerate(parts) if idx is not None), default=None)
    node: Any = data
    prefix = ""
    for i, (name, index) in enumerate(parts):
        if not isinstance(node, dict) or name not in node:
            return None
        here = f"{prefix}.{name}" if prefix else name
        if index is None:
            if i == len(parts) - 1:
                node.pop(name, None)
                return None
            node, prefix = node[name], here
            continue
        rows = node[name]
        if not isinstance(rows, list) or index >= len(rows):
            return None
        if whole_row and i == last_row or (i == len(parts) - 1):
            del rows[index]
            return {here: {n: (n if n < index else n + 1) for n in range(len(rows))}}
        node, prefix = rows[index], f"{here}[{index}]"
    return None


def _natural(path: str) -> list[Any]:
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", path)]


def collect_problems(data: dict[str, Any], check: Callable[[dict[str, Any]], None], *,
                     rounds: int = 5) -> list[tuple[str, str]]:
    """Every problem of a submitted case in one pass, as (JSON path in ``data``, message).

    ``check`` raises InputError for the first layer of problems it meets (types and ranges first,
    then dates, units and scores). So the failing values are taken out of a copy and the rest is
    checked again, until it passes: the clinician sees all problems after one submit. A value taken
    out is never saved (nothing is saved while any problem stands)."""
    current = copy.deepcopy(data)
    chain: list[dict[str, dict[int, int]]] = []
    found: dict[str, list[str]] = {}
    tried: set[str] = set()

    def original(path: str) -> str:
        for row_map in reversed(chain):
            path = form_path(path, row_map)
        return path

    for _ in range(rounds):
        try:
            check(current)
            break
        except InputError as exc:
            problems = list(exc.problems)
        for p in problems:
            at = original(p.path)
            messages = found.setdefault(at, [])
            if not messages:
                messages.append(p.message)
        removals: list[tuple[str, bool]] = []
        for p in problems:
            at = original(p.path)
            removals.append((p.path, at in tried))
            tried.add(at)
        # deepest and last rows first, so earlier removals do not shift the later paths
        for path, whole in sorted(removals, key=lambda r: _natural(r[0]), reverse=True):
            row_map = _remove(current, path, whole)
            if row_map:
                chain.append(row_map)
    return [(path, message) for path, messages in found.items() for message in messages]


#: Values that are possible but unusual enough to be a slip of the keyboard: the form asks the
#: clinician to confirm them before saving (schema path -> (low, high, unit as printed)). These
#: catch typing errors; they are not clinical thresholds, and the engine never reads them.
CONFIRM_RANGES: dict[str, tuple[float, float, str]] = {
    "patient.age": (16, 100, "years"),
    "patient.height_cm": (120, 215, "cm"),
    "patient.weight_kg": (35, 200, "kg"),
    "patient.bmi": (15, 60, "kg/m²"),
    "exam.temperature_c": (34, 41.5, "°C"),
    "risk_factors.opioid_mme_per_day": (0, 300, "MME/day"),
    "alignment.sva_mm": (-100, 250, "mm"),
}


def confirmations(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Values in ``data`` outside CONFIRM_RANGES, as (JSON path, message asking to confirm them)."""
    out: list[tuple[str, str]] = []
    for path, (low, high, unit) in CONFIRM_RANGES.items():
        node: Any = data
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, (int, float)) and not low <= node <= high:
            label = FIELDS[path].label if path in FIELDS else path
            what = label.split(" (")[0].lower()
            out.append((path, f"{node:g} {unit} is unusual for {what} (usually {low:g}-{high:g}): check it; if it "
                              "is right, tick “this value is correct” and save again"))
    return out
