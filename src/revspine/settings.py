"""Operational settings: one declared registry (name, default, help), overridden by the environment.

Settings are knobs for running the service (where the database is, how long a session lasts).
Clinical numbers are never settings: they live, cited, in the knowledge pack.

Each setting ``name`` can be set with the environment variable ``REVSPINE_<NAME>``
(``REVSPINE_DATABASE_URL``, ``REVSPINE_PORT``...). ``SETTINGS`` lists them all; docs/web.md
documents each one (a test checks that).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from .errors import InputError, Problem

if TYPE_CHECKING:
    from .knowledge import KnowledgePack

__all__ = ["Setting", "Settings", "SETTINGS", "ENV_PREFIX", "load_settings", "settings_table"]

ENV_PREFIX = "REVSPINE_"


def _s(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """The values in force. Build with :func:`load_settings` (defaults < environment < arguments)."""

    database_url: str = _s("", "SQLAlchemy URL of the database. Empty: a SQLite file `revspine.sqlite3` in data_dir. "
                               "PostgreSQL: `postgresql+psycopg://user:password@host:5432/dbname`.")
    data_dir: str = _s("", "Folder for the SQLite database and the generated secret key. "
                           "Empty: the user's data directory (platformdirs).")
    secret_key: str = _s("", "Key that signs session cookies. Empty: generated once and kept in data_dir/secret_key.")
    host: str = _s("127.0.0.1", "Address `revspine serve` listens on.")
    port: int = _s(8000, "Port `revspine serve` listens on.")
    workers: int = _s(1, "Worker processes of `revspine serve` (sessions, the login limit and CDS replay "
                         "protection live in the database, so workers and hosts behave as one).")
    threads: int = _s(4, "Threads per worker that run requests (database and engine work); more threads contend "
                         "for Python's interpreter lock.")
    cookie_secure: str = _s("auto", "Mark the session cookie Secure: `auto` (yes unless serving on localhost, and "
                                    "yes for any request that came over https, as a trusted proxy's "
                                    "`X-Forwarded-Proto` says), `true` or `false`.")
    forwarded_allow_ips: str = _s("127.0.0.1", "Reverse proxies trusted to set `X-Forwarded-Proto` and "
                                               "`X-Forwarded-For` (comma-separated addresses or networks, `*` for "
                                               "any).")
    session_max_age: int = _s(12 * 3600, "Seconds a login lasts.")
    token_cache_seconds: float = _s(5.0, "Seconds a worker remembers an API token it has checked (0: look every "
                                         "token up on every request). A token revoked in one worker process stops "
                                         "working in the others within this time.")
    login_max_attempts: int = _s(5, "Login attempts allowed per user name (and per account) within "
                                    "login_window_seconds; a successful login gives them back.")
    login_max_attempts_per_ip: int = _s(20, "Login attempts allowed per client address within login_window_seconds.")
    login_window_seconds: int = _s(900, "Window of the login rate limit, in seconds.")
    page_size: int = _s(50, "Patients listed per page.")
    clinic_name: str = _s("", "The clinic's name, printed on the patient handout and the chart copy.")
    clinic_contact: str = _s("", "How patients reach the clinic (phone, e-mail), printed on the patient handout.")
    patient_link_days: int = _s(30, "Days a patient link (handout and question box without a login) stays valid.")
    max_body_bytes: int = _s(1_000_000, "Largest request body accepted (bytes), checked before authentication "
                                        "and parsing; larger bodies are answered 413.")
    max_fhir_body_bytes: int = _s(25_000_000, "Largest FHIR request body (`/fhir/`, `/cds-services/`, FHIR import "
                                              "into a case), in bytes.")
    assess_workers: int = _s(2, "Processes of each serving process that validate and assess cases (off its event "
                                "loop, all taking cases from one queue in arrival order); 0: assess on the event "
                                "loop. benchmarks/bench_web.py measured the default (docs/web.md).")
    pdf_workers: int = _s(1, "Processes that render PDFs (off the serving process, so a PDF never stalls other "
                             "requests).")
    pdf_queue: int = _s(8, "PDF downloads that may wait for a rendering process; more are answered 503.")
    screen_dir: str = _s("", "Output folder of a `revspine screen run --out DIR` whose worklist the /worklist page "
                             "shows (empty: no worklist).")
    knowledge_packs: str = _s("", "Local knowledge pack folders overlaid on the built-in pack, separated by `"
                              + os.pathsep + "`; read by every entry point (web app, demo, CLI, CDS Hooks, "
                              "FHIR). The older name `REVSPINE_LOCAL_PACKS` is still read.")
    knowledge_cache_dir: str = _s("", "Folder of the parse cache of the knowledge packs' YAML, keyed on each file's "
                                  "content (SHA-256): a changed file is parsed again, and every entry is validated "
                                  "as on a first load. Empty: `knowledge-cache` in data_dir; `off`: no cache.")
    sqlite_busy_timeout_ms: int = _s(30000, "How long a SQLite writer waits for a lock before failing, in ms.")
    log_level: str = _s("INFO", "Level of the service's structured log (DEBUG, INFO, WARNING, ERROR).")
    log_json: bool = _s(True, "Write the service log as one JSON object per line (false: plain text).")

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else Path(platformdirs.user_data_dir("revspine", appauthor=False))

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = self.resolved_data_dir() / "revspine.sqlite3"
        return f"sqlite:///{path}"

    def resolved_secret_key(self) -> str:
        """The signing key; generated and stored (mode 0600) in data_dir when not set."""
        if self.secret_key:
            return self.secret_key
        from .storage.db import private_dir

        directory = self.resolved_data_dir()
        private_dir(directory)
        path = directory / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def pack_dirs(self) -> list[Path]:
        return [Path(p) for p in self.knowledge_packs.split(os.pathsep) if p.strip()]

    def knowledge_cache(self) -> Path | None:
        """Where the knowledge packs' parse cache lives (None: no cache)."""
        if self.knowledge_cache_dir == "off":
            return None
        if self.knowledge_cache_dir:
            return Path(self.knowledge_cache_dir)
        return self.resolved_data_dir() / "knowledge-cache"

    def load_pack(self) -> KnowledgePack:
        """The built-in pack with the local packs of these settings, through the parse cache."""
        from .knowledge import load_pack

        return load_pack(self.pack_dirs(), cache_dir=self.knowledge_cache())

    def secure_cookies(self) -> bool:
        if self.cookie_secure == "auto":
            return self.host not in ("127.0.0.1", "localhost", "::1")
        return self.cookie_secure == "true"


@dataclass(frozen=True)
class Setting:
    """One entry of the registry."""

    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = tuple(Setting(f.name, f.default, f.metadata["help"]) for f in fields(Settings))
_TYPES: dict[str, type] = {f.name: type(f.default) for f in fields(Settings)}


def _convert(name: str, raw: Any, where: str) -> Any:
    kind = _TYPES[name]
    if isinstance(raw, kind):
        return raw
    text = str(raw).strip()
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise InputError(f"bad setting {name}", [Problem(where, f"'{text}' is not true or false")])
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise InputError(f"bad setting {name}", [Problem(where, f"'{text}' is not a whole number")]) from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise InputError(f"bad setting {name}", [Problem(where, f"'{text}' is not a number")]) from None
    return text


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then ``REVSPINE_*`` environment variables, then ``overrides`` (None values ignored)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        if s.env in env:
            values[s.name] = _convert(s.name, env[s.env], s.env)
    if "knowledge_packs" not in values and env.get("REVSPINE_LOCAL_PACKS"):  # the older name of the setting
        values["knowledge_packs"] = env["REVSPINE_LOCAL_PACKS"]
    for name, raw in (overrides or {}).items():
        if name not in _TYPES:
            raise InputError(f"unknown setting {name}", [Problem(name, "unknown setting; see `revspine serve --help`")])
        if raw is not None:
            values[name] = _convert(name, raw, name)
    settings = replace(Settings(), **values)
    if settings.cookie_secure not in ("auto", "true", "false"):
        raise InputError("bad setting cookie_secure", [Problem("cookie_secure", "use auto, true or false")])
    return settings


def settings_table() -> str:
    """The Markdown table of every setting, as docs/web.md shows it (a test keeps the two equal)."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    rows += [f"| `{s.env}` | `{s.default!r}` | {s.help} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"
