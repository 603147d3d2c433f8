"""make() and Template: build trusted result objects fast, without re-validation.

Shared by the engine and the plan, instruments and patient modules, which all build many small
result objects per assessment from values they computed themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from keyword import iskeyword
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

__all__ = ["make", "Template"]

M = TypeVar("M", bound=BaseModel)
_Spec = tuple[tuple[str, ...], dict[str, Any], dict[str, Callable[[], Any]]]
_SPECS: dict[type[BaseModel], _Spec] = {}
_EVERY: dict[type[BaseModel], set[str]] = {}
_new_object = object.__new__
_set_dict = object.__setattr__
# BaseModel's own slots, set directly (what pydantic's model_construct sets, without its per-field work)
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_MISSING = object()


def make(cls: type[M], **values: Any) -> M:
    """Build a result object from values computed by revspine itself (trusted, not re-validated).

    Like ``cls.model_construct(**values)`` for these alias-free models, without its per-field
    machinery. Values are stored in the declared field order (serialisation follows it, so the
    JSON does not depend on the order a caller passed them); fields not given take their
    defaults; a name that is not a field raises TypeError. The tests validate every assessment
    against its schema, so a wrong value here cannot go unnoticed. An object given every field shares its
    class's set of set fields (``_every_field``).
    """
    names, static, factories = _SPECS.get(cls) or _spec(cls)
    if tuple(values) == names:  # every field, already in declared order: the common case
        return _new(cls, values, _every_field(cls))
    return _new(cls, _ordered(cls, values), _every_field(cls) if len(values) == len(names) else set(values))


class Template(Generic[M]):
    """A result object prepared once (its fixed fields, in declared order) and filled in per call.

    ``Template(EvidenceItem, ("inputs", "citations"), rule_id=..., label=...)`` checks the names once;
    ``template(inputs=..., citations=...)`` then builds the object from a copy of the fixed values and
    exactly the per-call values named: what ``make`` would build from the same values, for the objects
    an assessment builds many times over. Fixed values are shared by every object built, so they must
    not be mutable (give lists per call); fields left to a default factory get a fresh value per call.

    ``template.build`` is the same builder as a plain function of exactly those keyword arguments (written
    for this template once, like a namedtuple's methods): the engine's hot paths call it, which spares
    the generic call's checks and copies (Python itself rejects a missing or unknown name).
    """

    __slots__ = ("cls", "names", "values", "given", "factories", "build")

    def __init__(self, cls: type[M], names: tuple[str, ...], /, **fixed: Any) -> None:
        both = {**fixed, **dict.fromkeys(names, _MISSING)}
        if len(both) != len(fixed) + len(names):
            raise TypeError(f"{cls.__name__}: a field is both fixed and given per call")
        if mutable := sorted(k for k, v in fixed.items() if isinstance(v, (list, dict, set))):
            raise TypeError(f"{cls.__name__}: give the mutable fields {mutable} per call")
        _, _, factories = _SPECS.get(cls) or _spec(cls)
        self.cls = cls
        self.names = frozenset(names)
        self.values = _ordered(cls, both)
        self.given = frozenset(both)
        self.factories = tuple((k, f) for k, f in factories.items() if k not in both)
        self.build: Callable[..., M] = _builder(cls, names, self.values, self.given, self.factories)

    def __call__(self, **values: Any) -> M:
        if values.keys() != self.names:
            raise TypeError(f"{self.cls.__name__}: give exactly {', '.join(sorted(self.names))}")
        return self.build(**values)


def _builder(
    cls: type[M], names: tuple[str, ...], values: dict[str, Any], given: frozenset[str],
    factories: tuple[tuple[str, Callable[[], Any]], ...],
) -> Callable[..., M]:
    """A function of exactly ``names`` (keyword-only) that builds ``cls`` from ``values`` (in declared order, with the
    named fields placeholders) with the names filled in and each factory field made fresh.

    The object's fields are one dict display in declared order (constant keys: one step, not a copy of ``values``
    and a store per name); the fixed values are the function's globals ``_fixed<i>``."""
    for name in names:
        if not name.isidentifier() or iskeyword(name) or name.startswith("_"):
            raise TypeError(f"{cls.__name__}: '{name}' cannot be a per-call field")
    made = {name: f"_factory{i}()" for i, (name, _) in enumerate(factories)}
    fixed = {f"_fixed{i}": v for i, (name, v) in enumerate(values.items()) if name not in names and name not in made}
    entries = [
        f"{name!r}: {name if name in names else made.get(name) or f'_fixed{i}'}" for i, name in enumerate(values)
    ]
    shared = given >= cls.__pydantic_fields__.keys()  # every field set: one set for all (``_every_field``)
    source = (
        f"def build({'*, ' + ', '.join(names) if names else ''}):\n"
        "    _m = _new_object(_cls)\n"
        f"    _set_dict(_m, '__dict__', {{{', '.join(entries)}}})\n"
        f"    _set_fields_set(_m, {'_given' if shared else '_given.copy()'})\n"
        "    _set_extra(_m, None)\n"
        "    _set_private(_m, None)\n"
        "    return _m\n"
    )
    namespace: dict[str, Any] = {
        "_cls": cls, "_given": _every_field(cls) if shared else set(given), "_new_object": _new_object,
        "_set_dict": _set_dict, "_set_fields_set": _set_fields_set, "_set_extra": _set_extra,
        "_set_private": _set_private, **fixed, **{f"_factory{i}": factory for i, (_, factory) in enumerate(factories)},
    }
    exec(source, namespace)  # noqa: S102  (source built above from field names checked as identifiers)
    build: Callable[..., M] = namespace["build"]
    build.__qualname__ = f"Template[{cls.__name__}].build"
    return build


def _ordered(cls: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    names, static, factories = _SPECS.get(cls) or _spec(cls)
    ordered: dict[str, Any] = {}
    found = 0
    for name in names:
        v = values.get(name, _MISSING)
        if v is not _MISSING or name in values:
            found += 1
        elif name in static:
            v = static[name]
        elif name in factories:
            v = factories[name]()
        else:
            raise TypeError(f"{cls.__name__}: missing required field '{name}'")
        ordered[name] = v
    if found < len(values):
        raise TypeError(f"{cls.__name__}: unknown fields {sorted(set(values) - set(names))}")
    return ordered


def _new(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    m = _new_object(cls)
    _set_dict(m, "__dict__", values)
    _set_fields_set(m, fields_set)
    _set_extra(m, None)
    _set_private(m, None)
    return m


def _every_field(cls: type[BaseModel]) -> set[str]:
    """The set of set fields of every object of ``cls`` built with all its fields, shared by all of them (one set per
    class, not one per object: these are built by the thousand).

    Sharing is safe because nothing can add to it: pydantic adds a field's name when it is assigned (already in the
    set), copies the set when it copies a model, and these models forbid extra names."""
    got = _EVERY.get(cls)
    if got is None:
        got = _EVERY[cls] = set(cls.__pydantic_fields__)
    return got


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
