"""Operational settings: one object, declared with pydantic-settings, read from the environment.

Settings are knobs for running the service (where the database is, how long a session lasts, which
EHRs CDS Hooks trusts). Clinical numbers are never settings: they live, cited, in the knowledge pack.

Each setting ``name`` can be set with the environment variable ``REVSPINE_<NAME>``
(``REVSPINE_DATABASE_URL``, ``REVSPINE_PORT``...); the CDS Hooks settings are nested under ``cds``
(``REVSPINE_CDS__BASE_URL``, ``REVSPINE_CDS__ISSUERS``...). A few older names are still read
(``OLDER_NAMES``). :func:`load_settings` is the one way in: defaults, then the environment, then
arguments; a bad value is an :class:`~revspine.errors.InputError` naming the variable. ``SETTINGS``
lists every setting; docs/web.md holds :func:`settings_table` (a test checks that).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from .errors import InputError, Problem

if TYPE_CHECKING:
    from .knowledge import KnowledgePack

__all__ = ["Setting", "Settings", "CdsSettings", "TrustedIssuer", "SETTINGS", "ENV_PREFIX", "OLDER_NAMES",
           "TRUST_PRESETS", "SANDBOX_ISS", "load_settings", "load_jwks", "configured_pack", "settings_table"]

ENV_PREFIX = "REVSPINE_"

#: Older names of some settings, still read when the current name is not set.
OLDER_NAMES: dict[str, str] = {
    "REVSPINE_LOCAL_PACKS": "REVSPINE_KNOWLEDGE_PACKS",
    "REVSPINE_CDS_BASE_URL": "REVSPINE_CDS__BASE_URL",
    "REVSPINE_CDS_TRUST": "REVSPINE_CDS__ISSUERS",
    "REVSPINE_CDS_REQUIRE_AUTH": "REVSPINE_CDS__REQUIRE_AUTH",
    "REVSPINE_CDS_CORS_ORIGINS": "REVSPINE_CDS__CORS_ORIGINS",
    "REVSPINE_CDS_ALLOW_HTTP_FHIR": "REVSPINE_CDS__ALLOW_HTTP_FHIR_SERVER",
    "REVSPINE_APP_URL": "REVSPINE_CDS__APP_URL",
    "REVSPINE_CDS_SOURCE_URL": "REVSPINE_CDS__SOURCE_URL",
}


def _s(default: Any, help: str) -> Any:
    return Field(default, description=help)


# --- CDS Hooks -----------------------------------------------------------------------------------

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
_PRESETS = Path(__file__).parent / "cdshooks" / "presets"


def _sandbox() -> list[dict[str, Any]]:
    """The CDS Hooks Sandbox (https://sandbox.cds-hooks.org): its public key, from cds-hooks/sandbox
    (Apache-2.0, commit 3b7e255), pinned so the service never needs to reach the Sandbox's jku."""
    return [{"iss": SANDBOX_ISS, "jku": [f"{SANDBOX_ISS}/.well-known/jwks.json"],
             "jwks_file": str(_PRESETS / "sandbox-jwks.json")}]


#: Ready-made trust lists, by the name given in REVSPINE_CDS__ISSUERS.
TRUST_PRESETS = {"sandbox": _sandbox}


def load_jwks(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError(f"{path} is not a JWK Set (an object with a 'keys' array)")
    return data


class TrustedIssuer(BaseModel):
    """One CDS client (EHR) this service trusts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(description="The exact `iss` claim the client sends")
    jku: list[str] = Field(default_factory=list, description="JWK Set URLs this issuer may name in `jku` (https)")
    jwks: dict[str, Any] | None = Field(None, description="The issuer's public JWK Set, exchanged out of band")
    jwks_file: str | None = Field(None, description="Path to a JSON file holding that JWK Set")
    tenants: list[str] = Field(default_factory=list, description="If given, the `tenant` claim must be one of these")

    @field_validator("jku")
    @classmethod
    def _https(cls, v: list[str]) -> list[str]:
        for url in v:
            if urlsplit(url).scheme != "https":
                raise ValueError(f"jku {url} must be an https URL")
        return v

    @model_validator(mode="before")
    @classmethod
    def _read_jwks_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("jwks_file") and data.get("jwks") is None:
            try:
                return {**data, "jwks": load_jwks(data["jwks_file"])}
            except OSError as exc:
                raise ValueError(f"cannot read the JWK Set {data['jwks_file']}: {exc.strerror or exc}") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"{data['jwks_file']} is not JSON: {exc}") from None
        return data

    @model_validator(mode="after")
    def _keys(self) -> TrustedIssuer:
        if self.jwks is None and not self.jku:
            raise ValueError(f"issuer {self.iss}: give its JWK Set (jwks / jwks_file) or the jku URLs to fetch it")
        return self


def _trust_list(value: Any) -> Any:
    """A trust list given as text: a preset name, a JSON list, or the path of a JSON file holding one."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return []
    if text in TRUST_PRESETS:
        return TRUST_PRESETS[text]()
    try:
        return json.loads(text if text.startswith("[") else Path(text).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"not a preset ({', '.join(TRUST_PRESETS)}), a JSON list or a readable file "
                         f"({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None


def _text_list(value: Any) -> Any:
    """A list given as text: a JSON list, or comma-separated."""
    if not isinstance(value, str):
        return value
    if value.strip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
    return [item.strip() for item in value.split(",") if item.strip()]


class CdsSettings(BaseModel):
    """The CDS Hooks service's settings (``Settings.cds``; environment ``REVSPINE_CDS__<NAME>``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = _s(None, "Public base URL of this service (`https://cds.example.org`): a client token's "
                                    "`aud` must equal it plus the endpoint path. Empty: the URL of the incoming "
                                    "request.")
    issuers: Annotated[list[TrustedIssuer], NoDecode] = Field(
        default_factory=list, description="The trusted CDS clients (EHRs): a JSON list of issuers (`iss`, `jku`, "
        "`jwks` or `jwks_file`, `tenants`), the path of a JSON file holding one, or a preset: `sandbox` trusts the "
        "CDS Hooks Sandbox with its public key pinned (docs/integration.md). Empty: no one, and every call is "
        "refused.")
    require_auth: bool = _s(True, "Require a signed client token on every CDS Hooks call (`false`: local "
                                  "development only).")
    algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["ES384", "RS384"],
        description="Token signature algorithms accepted (comma-separated; ES384 and RS384 only, as CDS Hooks 2.0 "
                    "requires).")
    leeway_seconds: int = Field(30, ge=0, le=300, description="Clock skew allowed when checking a client token's "
                                                               "times, in seconds.")
    max_token_lifetime_seconds: int = Field(300, gt=0, description="Longest client token lifetime (`exp` - `iat`) "
                                                                   "accepted, in seconds.")
    jwks_cache_seconds: int = Field(600, gt=0, description="Seconds a fetched JWK Set is kept.")
    jwks_min_refetch_seconds: int = Field(30, ge=0, description="A JWK Set URL is fetched at most once in this "
                                                                "many seconds, whatever the outcome.")
    jti_cache_size: int = Field(100_000, gt=0, description="Token ids (`jti`) remembered against replay when the "
                                                           "service runs without the web app's database.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"], description="Origins allowed to call the service from a browser "
                                                    "(comma-separated, or `*`).")
    allow_http_fhir_server: bool = _s(False, "Send `fhirAuthorization` tokens to a plain-http `fhirServer` "
                                             "(testing only).")
    fhir_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of each request to the EHR's "
                                                                "`fhirServer`, in seconds.")
    fhir_max_pages: int = Field(10, ge=1, description="Pages of FHIR search results read per query, at most.")
    app_url: str | None = _s(None, "Base URL of the revspine web app, for the card links. Empty: the URL the "
                                   "request came to.")
    source_url: str | None = _s(None, "The `source.url` of every card (e.g. the knowledge pack's page).")

    @field_validator("base_url", "app_url", "source_url", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("issuers", mode="before")
    @classmethod
    def _issuers_from_text(cls, v: Any) -> Any:
        return _trust_list(v)

    @field_validator("algorithms", "cors_origins", mode="before")
    @classmethod
    def _list_from_text(cls, v: Any) -> Any:
        return _text_list(v)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if a not in ("ES384", "RS384")]
        if bad or not v:
            raise ValueError(f"only ES384 and RS384 may be allowed (CDS Hooks 2.0), not {bad or 'none'}")
        return v

    def issuer(self, iss: str) -> TrustedIssuer | None:
        return next((i for i in self.issuers if i.iss == iss), None)


# --- the settings --------------------------------------------------------------------------------

class Settings(BaseSettings):
    """The values in force. Build with :func:`load_settings` (defaults < environment < arguments);
    ``Settings()`` alone is the defaults: it reads no environment and no file."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", frozen=True, extra="forbid")


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
    assess_workers: int = _s(-1, "Processes of each serving process that validate and assess cases (off its event "
                                 "loop, all taking cases from one queue in arrival order); 0: assess on the event "
                                 "loop; -1: one less than the machine's CPUs, at least 1 (one core stays with the "
                                 "serving process). benchmarks/bench_web.py measured the default (docs/web.md).")
    pdf_workers: int = _s(1, "Processes that render PDFs (off the serving process, so a PDF never stalls other "
                             "requests).")
    pdf_queue: int = _s(8, "PDF downloads that may wait for a rendering process; more are answered 503.")
    screen_dir: str = _s("", "Output folder of a `revspine screen run --out DIR` whose worklist the /worklist page "
                             "shows (empty: no worklist).")
    knowledge_packs: str = _s("", "Local knowledge pack folders overlaid on the built-in pack, separated by `"
                              + os.pathsep + "`; read by every entry point (web app, demo, CLI, CDS Hooks, "
                              "FHIR, screening).")
    knowledge_cache_dir: str = _s("", "Folder of the parse cache of the knowledge packs' YAML, keyed on each file's "
                                  "content (SHA-256): a changed file is parsed again, and every entry is validated "
                                  "as on a first load. Empty: `knowledge-cache` in data_dir; `off`: no cache.")
    sqlite_busy_timeout_ms: int = _s(30000, "How long a SQLite writer waits for a lock before failing, in ms.")
    log_level: str = _s("INFO", "Level of the service's structured log (DEBUG, INFO, WARNING, ERROR).")
    log_json: bool = _s(True, "Write the service log as one JSON object per line (false: plain text).")
    fhir_allow_anonymous: bool = _s(False, "Let the stand-alone FHIR endpoint (`revspine.fhir.api`, outside the web "
                                           "app) answer without authentication: local development only. The web "
                                           "app's `/fhir/` always requires an API token.")
    cds: CdsSettings = Field(default_factory=CdsSettings, description="The CDS Hooks service (`REVSPINE_CDS__*`).")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The values handed in only: :func:`load_settings` reads the environment it is given."""
        return (init_settings,)

    @field_validator("assess_workers")
    @classmethod
    def _assess_workers(cls, v: int) -> int:
        """-1: one less than the CPUs, at least 1. On two cores one worker assessed more cases per second than two,
        with less CPU per case and a shorter tail (the serving process, its writer and the workers share the
        cores; benchmarks/bench_web.py and bench_cds_hooks.py, docs/web.md)."""
        if v < -1:
            raise ValueError("use -1 (one less than the CPUs), 0 (on the event loop) or a number of processes")
        return max(1, (os.cpu_count() or 2) - 1) if v == -1 else v

    @field_validator("cookie_secure")
    @classmethod
    def _cookie_secure(cls, v: str) -> str:
        if v not in ("auto", "true", "false"):
            raise ValueError("use auto, true or false")
        return v

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

    def to_environ(self) -> dict[str, str]:
        """These settings as environment variables (current names), which :func:`load_settings` reads back equal:
        how ``revspine serve --workers N`` hands its settings to its worker processes."""
        out: dict[str, str] = {}
        for s in SETTINGS:
            value = s.value(self)
            if isinstance(value, BaseModel | list | dict):
                out[s.env] = json.dumps(_plain(value))
            else:
                out[s.env] = "" if value is None else str(value)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Setting:
    """One entry of the registry; ``name`` is dotted for a nested setting (``cds.base_url``)."""

    name: str
    default: Any
    help: str
    older: str | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace(".", "__")

    def value(self, settings: Settings) -> Any:
        out: Any = settings
        for part in self.name.split("."):
            out = getattr(out, part)
        return out


def _registry() -> tuple[Setting, ...]:
    defaults = Settings()
    older = {new: old for old, new in OLDER_NAMES.items()}
    out: list[Setting] = []
    groups: list[tuple[str, type[BaseModel], BaseModel]] = [("", Settings, defaults)]
    for prefix, model, default in groups:
        for name, info in model.model_fields.items():
            value = getattr(default, name)
            if isinstance(value, BaseModel):
                groups.append((f"{prefix}{name}.", type(value), value))
                continue
            if info.default is not PydanticUndefined:  # as declared (-1 for assess workers), not as resolved here
                value = info.default
            s = Setting(prefix + name, value, info.description or "")
            out.append(Setting(s.name, s.default, s.help, older.get(s.env)))
    return tuple(out)


SETTINGS: tuple[Setting, ...] = _registry()


class _Environ(EnvSettingsSource):
    """pydantic-settings' reading of ``REVSPINE_*`` variables, from a mapping given rather than os.environ."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._environ.items()}


def _env_name(loc: tuple[int | str, ...], env: Mapping[str, str], older_used: Mapping[str, str]) -> str:
    """The variable a validation error's location came from, with the rest of the location after it."""
    head = [str(p) for p in loc[:2]]
    for n in (2, 1):
        name = ENV_PREFIX + "__".join(head[:n]).upper()
        if name in older_used:
            name = older_used[name]
        elif name not in env:
            continue
        rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[n:])
        return name + rest
    return ENV_PREFIX + "__".join(str(p) for p in loc).upper()


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then ``REVSPINE_*`` variables of ``environ`` (default: os.environ; no .env file is read), then
    ``overrides`` by setting name (None values ignored). A bad value raises InputError naming the variable."""
    env = dict(os.environ if environ is None else environ)
    older_used: dict[str, str] = {}
    for old, new in OLDER_NAMES.items():
        if old in env and new not in env:
            env[new] = env[old]
            older_used[new] = old
    try:
        values = _Environ({k: v for k, v in env.items() if k.upper().startswith(ENV_PREFIX)})()
    except SettingsError:  # a nested setting given as JSON that does not parse
        raise InputError(f"bad setting {ENV_PREFIX}CDS", [Problem(ENV_PREFIX + "CDS", "not a JSON object")]) from None
    given: set[str] = set()
    for name, raw in (overrides or {}).items():
        if name not in Settings.model_fields:
            raise InputError(f"unknown setting {name}", [Problem(name, "unknown setting; see `revspine serve --help`")])
        if raw is not None:
            values[name] = raw
            given.add(name)
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]) if e["loc"] and e["loc"][0] in given
                            else _env_name(e["loc"], env, older_used), e["msg"]) for e in exc.errors()]
        raise InputError(f"bad setting {problems[0].path}" if len(problems) == 1 else "bad settings",
                         problems) from None


@lru_cache(maxsize=1)
def configured_pack() -> KnowledgePack:
    """The pack the environment's settings name (the built-in pack with the ``knowledge_packs`` folders), loaded
    once per process: what an entry point assesses with when it is handed no pack."""
    return load_settings().load_pack()


def _cell(value: Any) -> str:
    return f"`{value!r}`".replace("|", "\\|")


def settings_table() -> str:
    """The Markdown table of every setting, as docs/web.md shows it (a test keeps the two equal)."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for s in SETTINGS:
        older = f" Older name: `{s.older}`." if s.older else ""
        rows.append(f"| `{s.env}` | {_cell(s.default)} | {s.help}{older} |")
    return "\n".join(rows) + "\n"
