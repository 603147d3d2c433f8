"""Where the OMOP tables come from: a folder of CSV or Parquet files, a DuckDB file, or a database URL.

``find_tables`` maps each CDM table the screen reads to its file(s) in a folder (``person.csv``,
``PERSON.csv``, ``person.parquet``, ``person/*.parquet``, ``person.csv.gz``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem
from .cdm import TABLES

__all__ = ["Source", "TableFile", "find_tables", "parse_source", "checksum"]

_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".tsv")


@dataclass(frozen=True)
class TableFile:
    table: str
    paths: tuple[Path, ...]
    format: str  # csv | parquet


@dataclass
class Source:
    kind: str  # folder | duckdb | postgres
    location: str
    schema: str | None = None
    tables: dict[str, TableFile] = field(default_factory=dict)

    def describe(self) -> str:
        if self.kind == "postgres":
            # never print credentials
            from sqlalchemy.engine import make_url

            return make_url(self.location).render_as_string(hide_password=True)
        return self.location


def _format_of(p: Path) -> str:
    return "parquet" if p.name.lower().endswith(".parquet") or p.is_dir() else "csv"


def find_tables(folder: Path) -> dict[str, TableFile]:
    if not folder.is_dir():
        raise InputError(f"OMOP input folder {folder} does not exist",
                         [Problem("source", f"{folder} is not a folder")])
    by_name: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        low = p.name.lower()
        if p.is_dir():
            parts = sorted(q for q in p.iterdir() if q.name.lower().endswith(".parquet"))
            if parts:
                by_name.setdefault(low, []).extend(parts)
            continue
        for suf in _SUFFIXES:
            if low.endswith(suf):
                by_name.setdefault(low[: -len(suf)], []).append(p)
                break
    out: dict[str, TableFile] = {}
    for name in TABLES:
        paths = by_name.get(name)
        if paths:
            fmt = _format_of(paths[0])
            out[name] = TableFile(name, tuple(paths), fmt)
    return out


def parse_source(text: str, schema: str | None = None) -> Source:
    """A folder path, a ``*.duckdb`` file, or ``postgresql://...``."""
    if "://" in text:
        scheme = text.split("://", 1)[0].split("+", 1)[0]
        if scheme not in ("postgresql", "postgres"):
            raise InputError("unsupported database URL", [Problem("source", f"scheme '{scheme}' (use postgresql://)")])
        return Source("postgres", text, schema or "public")
    p = Path(text)
    if p.is_file() and p.suffix.lower() in (".duckdb", ".db", ".ddb"):
        return Source("duckdb", str(p), schema or "main")
    return Source("folder", str(p), None, find_tables(p))


def checksum(paths: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
