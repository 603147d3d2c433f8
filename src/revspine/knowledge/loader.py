"""Read, validate and merge knowledge packs.

A pack is a folder of YAML files. Each file is a mapping whose top-level keys are
section names (``causes``, ``findings``, ``citations``…); a section holds a list of
entries, or for single-entry files (``cause:``) one entry. The built-in pack and a
hospital's local pack go through this same reader; local entries with an existing
id replace the built-in ones, new ids are added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import KnowledgeError, Problem
from . import schema as s
from .parse_cache import ParseCache

__all__ = ["Section", "SECTIONS", "register_section", "read_pack_dir", "builtin_pack_dir"]

# libyaml's safe loader (same YAML, same safety) is several times faster than the pure-Python one.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Section:
    name: str
    model: type[BaseModel]
    many: bool = True
    key: str = "id"


SECTIONS: dict[str, Section] = {}


def register_section(name: str, model: type[BaseModel], *, many: bool = True, key: str = "id") -> None:
    """Let a module add a kind of knowledge entry (plan, order sets, instruments…)."""
    SECTIONS[name] = Section(name, model, many, key)


for _name, _model, _many, _key in (
    ("pack", s.PackInfo, False, "id"),
    ("citations", s.Citation, True, "id"),
    ("scoring", s.Scoring, False, "id"),
    ("timing", s.Timing, False, "id"),
    ("findings", s.Finding, True, "id"),
    ("causes", s.Cause, True, "id"),
    ("red_flags", s.RedFlag, True, "id"),
    ("labs", s.LabTestRule, True, "test"),
    ("workup_tests", s.WorkupTest, True, "id"),
    ("workup_rules", s.WorkupRule, True, "id"),
    ("risk_factors", s.RiskFactorRule, True, "id"),
    ("decision_rules", s.DecisionRule, True, "id"),
    ("non_surgical", s.NonSurgicalOption, True, "id"),
    ("value_sets", s.ValueSet, True, "id"),
):
    register_section(_name, _model, many=_many, key=_key)

# single-entry aliases: a file `causes/infection.yaml` may say `cause: {...}`
_SINGULAR = {"cause": "causes", "lab": "labs", "finding": "findings", "value_set": "value_sets"}


def builtin_pack_dir() -> Path:
    return Path(str(resources.files("revspine.knowledge").joinpath("data")))


def _yaml_files(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def _loc(err: Any) -> str:
    return ".".join(str(x) for x in err["loc"])


def read_pack_dir(root: Path, cache_dir: str | Path | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Parse every YAML file under ``root`` into validated entries, by section.

    Returns (sections, problems). Each problem names the file and the entry. With ``cache_dir``, a file
    whose exact bytes were parsed before is read from the parse cache there (``parse_cache``); it is
    validated all the same.
    """
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeError(f"knowledge pack folder {root} does not exist")
    cache = ParseCache(cache_dir, root, _SafeLoader.__name__) if cache_dir is not None else None
    files = list(_yaml_files(root))
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            doc = _parse(path, rel, cache)
        except yaml.YAMLError as exc:
            problems.append(Problem(rel, f"not valid YAML: {exc}"))
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel, f"not UTF-8 text: {exc}"))
            continue
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(rel, "top level must be a mapping of section names"))
            continue
        for key, body in doc.items():
            name: str = _SINGULAR.get(str(key), str(key))
            section = SECTIONS.get(name)
            if section is None:
                allowed = ", ".join(sorted([*SECTIONS, *_SINGULAR]))
                problems.append(Problem(f"{rel}:{key}", f"unknown section; allowed: {allowed}"))
                continue
            entries = [body] if (key in _SINGULAR or not section.many) else body
            if not isinstance(entries, list):
                problems.append(Problem(f"{rel}:{key}", "must be a list of entries"))
                continue
            for i, raw in enumerate(entries):
                label = raw.get(section.key, f"#{i}") if isinstance(raw, dict) else f"#{i}"
                try:
                    entry = section.model.model_validate(raw)
                except ValidationError as exc:
                    for e in exc.errors():
                        where = _loc(e) or "(entry)"
                        msg = e["msg"]
                        if e["type"] == "extra_forbidden":
                            allowed = ", ".join(section.model.model_fields)
                            msg = f"unknown key; allowed keys: {allowed}"
                        problems.append(Problem(f"{rel}:{name}[{label}].{where}", msg))
                    continue
                if section.many:
                    bucket = out.setdefault(name, {})
                    ident = getattr(entry, section.key)
                    if ident in bucket:
                        problems.append(Problem(f"{rel}:{name}[{ident}]", "duplicate id in this pack"))
                    bucket[ident] = entry
                else:
                    if name in out:
                        problems.append(Problem(f"{rel}:{name}", "section given twice in this pack"))
                    out[name] = entry
    if cache is not None:
        cache.keep_only({path.relative_to(root).as_posix() for path in files})
        cache.save()
    return out, problems


def _parse(path: Path, rel: str, cache: ParseCache | None) -> Any:
    data = path.read_bytes()
    if cache is not None:
        found, doc = cache.get(rel, data)
        if found:
            return doc
    text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text reads it
    doc = yaml.load(text, Loader=_SafeLoader)
    if cache is not None:
        cache.put(rel, data, doc)
    return doc


def merge(base: dict[str, Any], local: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Overlay a local pack on a base pack; returns (merged, ids overridden)."""
    merged: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    overridden: list[str] = []
    for name, body in local.items():
        if name == "pack":
            continue
        if isinstance(body, dict):
            bucket = merged.setdefault(name, {})
            for ident, entry in body.items():
                if ident in bucket:
                    overridden.append(f"{name}:{ident}")
                bucket[ident] = entry
        else:
            if name in merged:
                overridden.append(name)
            merged[name] = body
    return merged, overridden


Checker = Callable[[dict[str, Any]], list[Problem]]
CHECKERS: list[Checker] = []


def register_checker(fn: Checker) -> Checker:
    """Add a cross-reference check run on every loaded pack."""
    CHECKERS.append(fn)
    return fn
