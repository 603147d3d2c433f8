"""make(): build trusted result objects fast, without re-validation.

Shared by the engine and the plan, instruments and patient modules, which all build many small
result objects per assessment from values they computed themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["make"]

M = TypeVar("M", bound=BaseModel)
_Spec = tuple[tuple[str, ...], dict[str, Any], dict[str, Callable[[], Any]]]
_SPECS: dict[type[BaseModel], _Spec] = {}
_set = object.__setattr__
_MISSING = object()


def make(cls: type[M], **values: Any) -> M:
    """Build a result object from values computed by revspine itself (trusted, not re-validated).

    Like ``cls.model_construct(**values)`` for these alias-free models, without its per-field
    machinery. Values are stored in the declared field order (serialisation follows it, so the
    JSON does not depend on the order a caller passed them); fields not given take their
    defaults; a name that is not a field raises TypeError. The tests validate every assessment
    against its schema, so a wrong value here cannot go unnoticed.
    """
    names, static, factories = _SPECS.get(cls) or _spec(cls)
    if tuple(values) == names:  # every field, already in declared order: the common case
        return _new(cls, values)
    ordered: dict[str, Any] = {}
    found = 0
    for name in names:
        v = values.get(name, _MISSING)
        if v is not _MISSING:
            found += 1
        else:
            if name in static:
                v = static[name]
            elif name in factories:
                v = factories[name]()
            else:
                raise TypeError(f"{cls.__name__}: missing required field '{name}'")
        ordered[name] = v
    if found < len(values):
        raise TypeError(f"{cls.__name__}: unknown fields {sorted(set(values) - set(names))}")
    return _new(cls, ordered, set(values))


def _new(cls: type[M], values: dict[str, Any], fields_set: set[str] | None = None) -> M:
    m = object.__new__(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", set(values) if fields_set is None else fields_set)
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


def _spec(cls: type[BaseModel]) -> _Spec:
    static: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for name, field in cls.__pydantic_fields__.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif not field.is_required():
            static[name] = field.default
    spec = (tuple(cls.__pydantic_fields__), static, factories)
    _SPECS[cls] = spec
    return spec
