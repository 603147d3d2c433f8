"""The parse cache of the knowledge packs' YAML (knowledge/parse_cache.py).

It may only skip the YAML parse: an edited file is parsed again, a local pack goes through the same
cache, and whatever the cache holds is validated as a fresh parse would be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from revspine import KnowledgeError, load_pack
from revspine.knowledge import loader
from revspine.settings import load_settings

from .test_knowledge_integrity import builtin_yaml, write


def _no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: Any, **__: Any) -> Any:
        raise AssertionError("parsed YAML although the cache holds these exact bytes")

    monkeypatch.setattr(loader.yaml, "load", fail)


def _crp_pack(root: Path, threshold: float) -> Path:
    write(root, "pack.yaml", {"pack": {
        "id": "hospital-x", "name": "Hospital X local pack", "version": "2026.1", "released": "2026-11-01",
        "description": "Local CRP threshold", "based_on": "revspine-core"}})
    markers = builtin_yaml("labs/infection_markers.yaml")
    crp = next(e for e in markers["labs"] if e["test"] == "crp")
    crp["upper_threshold"] = threshold
    write(root, "labs/crp.yaml", {"labs": [crp]})
    return root


def test_a_cached_load_is_the_same_pack_without_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = load_pack()
    load_pack(cache_dir=tmp_path)  # fills the cache
    assert len(list(tmp_path.glob("pack-*.json"))) == 1
    _no_yaml(monkeypatch)
    cached = load_pack(cache_dir=tmp_path)
    assert cached.version == fresh.version
    for name, body in fresh.sections.items():
        other = cached.sections[name]
        if isinstance(body, dict):
            assert {k: v.model_dump() for k, v in body.items()} == {k: v.model_dump() for k, v in other.items()}
        else:
            assert body.model_dump() == other.model_dump()


def test_a_local_pack_goes_through_the_cache_and_an_edit_is_read(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cache, local = tmp_path / "cache", _crp_pack(tmp_path / "local", 5)
    assert load_pack([local], cache_dir=cache).labs["crp"].upper_threshold == 5
    assert len(list(cache.glob("pack-*.json"))) == 2  # the built-in pack's and the local pack's
    _crp_pack(local, 7)  # the hospital edits its threshold
    assert load_pack([local], cache_dir=cache).labs["crp"].upper_threshold == 7
    _no_yaml(monkeypatch)  # now cached as edited
    assert load_pack([local], cache_dir=cache).labs["crp"].upper_threshold == 7


def test_a_removed_file_is_gone_from_the_pack(tmp_path: Path) -> None:
    cache, local = tmp_path / "cache", _crp_pack(tmp_path / "local", 5)
    load_pack([local], cache_dir=cache)
    (local / "labs" / "crp.yaml").unlink()
    pack = load_pack([local], cache_dir=cache)
    assert pack.labs["crp"].upper_threshold == load_pack().labs["crp"].upper_threshold


def test_what_the_cache_holds_is_validated_like_a_fresh_parse(tmp_path: Path) -> None:
    cache, local = tmp_path / "cache", _crp_pack(tmp_path / "local", 5)
    load_pack([local], cache_dir=cache)
    for path in cache.glob("pack-*.json"):  # tamper with the cached form of the local file, keeping its hash
        stored = json.loads(path.read_text())
        if "labs/crp.yaml" in stored["files"]:
            stored["files"]["labs/crp.yaml"]["doc"]["labs"][0]["upper_threshold"] = "high"
            path.write_text(json.dumps(stored))
    with pytest.raises(KnowledgeError) as exc:
        load_pack([local], cache_dir=cache)
    assert any("labs/crp.yaml" in p.line() and "upper_threshold" in p.line() for p in exc.value.problems)


def test_a_cache_that_cannot_be_used_is_ignored(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert load_pack(cache_dir=blocked / "cache").version == load_pack().version  # cannot be written
    cache = tmp_path / "cache"
    load_pack(cache_dir=cache)
    for path in cache.glob("pack-*.json"):
        path.write_text("{ not json")
    assert load_pack(cache_dir=cache).version == load_pack().version  # cannot be read


def test_a_document_json_cannot_hold_exactly_is_parsed_each_time(tmp_path: Path) -> None:
    local = _crp_pack(tmp_path / "local", 5)
    (local / "extra.yaml").write_text(yaml.safe_dump({"value_sets": []}) + "# {1: int key}\n", encoding="utf-8")
    (local / "odd.yaml").write_text("value_sets: []\nx: !!set {a: null}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):  # 'x' is no section: the same problem with and without the cache
        load_pack([local], cache_dir=tmp_path / "cache")
    with pytest.raises(KnowledgeError):
        load_pack([local], cache_dir=tmp_path / "cache")
    stored = [json.loads(p.read_text()) for p in (tmp_path / "cache").glob("pack-*.json")]
    odd = [s["files"]["odd.yaml"] for s in stored if "odd.yaml" in s["files"]]
    assert odd and "doc" not in odd[0]  # a set: not held in the cache


def test_the_settings_say_where_the_cache_is(tmp_path: Path) -> None:
    s = load_settings({"data_dir": str(tmp_path)}, environ={})
    assert s.knowledge_cache() == tmp_path / "knowledge-cache"
    assert load_settings({"knowledge_cache_dir": "off"}, environ={}).knowledge_cache() is None
    s.load_pack()
    assert list((tmp_path / "knowledge-cache").glob("pack-*.json"))
