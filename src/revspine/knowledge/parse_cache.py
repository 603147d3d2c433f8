"""A cache of parsed knowledge-pack YAML, keyed on each file's content.

Parsing the YAML is most of the time a pack takes to load; validating it is quick. The cache keeps,
for each file of a pack folder, the SHA-256 of its bytes and what the YAML parser made of them (as
JSON, dates tagged), in one file per pack folder. A file is read from the cache only when its bytes
hash to the stored value, so an edited, added or removed file is parsed again: the cache can be
missing, old or shared, never stale. Everything read from it is validated exactly as a freshly
parsed file is (schema, cross-references, every pack check); only the YAML parse is skipped.

The cache is written where the settings say (``knowledge_cache_dir``; by default a folder in the
data folder). A cache that cannot be read or written is ignored: the pack loads as without one.
A document the JSON form cannot hold exactly (keys that are not strings, sets, binary) is not cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ParseCache"]

_FORMAT = 1
_DATE, _DATETIME = "$date", "$datetime"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    raise TypeError(f"not cached: {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _DATE in obj:
            return date.fromisoformat(obj[_DATE])
        if _DATETIME in obj:
            return datetime.fromisoformat(obj[_DATETIME])
    return obj


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ParseCache:
    """The parsed YAML of one pack folder: ``get`` before parsing a file, ``put`` after, ``save`` at the end."""

    def __init__(self, directory: str | Path, root: Path, loader: str) -> None:
        self.header = {"format": _FORMAT, "pyyaml": yaml.__version__, "loader": loader}
        key = _digest(str(root.resolve()).encode("utf-8"))[:24]
        self.path = Path(directory) / f"pack-{key}.json"
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"), object_hook=_decode)
        except (OSError, ValueError):
            return
        if isinstance(stored, dict) and stored.get("header") == self.header and isinstance(stored.get("files"), dict):
            self.entries = stored["files"]

    def get(self, name: str, data: bytes) -> tuple[bool, Any]:
        """(True, the parsed document) of file ``name`` when cached for exactly these bytes; else (False, None)."""
        entry = self.entries.get(name)
        if isinstance(entry, dict) and entry.get("sha256") == _digest(data) and "doc" in entry:
            return True, entry["doc"]
        return False, None

    def put(self, name: str, data: bytes, doc: Any) -> None:
        """Keep what the parser made of ``data``, when JSON holds it exactly (else remember not to try again)."""
        digest = _digest(data)
        entry = self.entries.get(name)
        if isinstance(entry, dict) and entry.get("sha256") == digest:
            return
        try:
            exact = json.loads(json.dumps(doc, default=_encode), object_hook=_decode) == doc
        except (TypeError, ValueError):
            exact = False
        self.entries[name] = {"sha256": digest, "doc": doc} if exact else {"sha256": digest}
        self.changed = True

    def keep_only(self, names: set[str]) -> None:
        """Forget files no longer in the folder."""
        gone = set(self.entries) - names
        for name in gone:
            del self.entries[name]
        self.changed = self.changed or bool(gone)

    def save(self) -> None:
        """Write the cache when it changed (atomically: a reader sees the old file or the new one)."""
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".pack-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump({"header": self.header, "files": self.entries}, out, default=_encode)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a cache that cannot be written is no cache
        self.changed = False
