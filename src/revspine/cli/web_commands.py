"""`revspine serve`, `migrate`, `user create`, `token create` and `demo`: the web app's commands.

Heavy imports (FastAPI, SQLAlchemy, uvicorn) happen inside the commands so `revspine assess`
stays quick to start.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from ..errors import RevspineError

__all__ = ["register", "DEMO_USERNAME", "DEMO_PASSWORD", "load_demo_patients"]

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "revspine-demo"  # for the local demo only; printed on start

DbUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: REVSPINE_DATABASE_URL "
                                                                  "or a SQLite file in the data directory)")]
Host = Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1)")]
Port = Annotated[int | None, typer.Option(help="Port (default 8000)")]
Workers = Annotated[int | None, typer.Option(help="Worker processes (default 1)")]


def _fail(exc: RevspineError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    for p in exc.problems:
        typer.echo(f"  {p.line()}", err=True)
    raise typer.Exit(exc.exit_code)


def _settings(**overrides: Any) -> Any:
    from ..settings import load_settings

    return load_settings(overrides)


def _open(settings: Any) -> Any:
    from ..storage import migrate
    from ..web.app import open_database

    db = open_database(settings)
    migrate(db)
    return db


def _check_port(host: str, port: int) -> None:
    """Fail before anything is printed as served when another program already listens on the port."""
    import errno
    import socket

    from ..errors import InputError, Problem

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing socket is no clash
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            free = port + 1
            raise InputError(f"port {port} on {host} is already in use by another program", [Problem(
                "port", f"choose a free port: PORT={free} make run, or revspine demo --port {free} (revspine serve "
                        f"--port {free}, REVSPINE_PORT={free})")]) from None


def _serve(settings: Any, db: Any, banner: list[str]) -> None:
    import uvicorn

    from ..web.app import create_app, freeze_startup_objects
    from ..web.headlimit import HTTP_PROTOCOL
    from ..web.logs import configure_logging

    try:
        _check_port(settings.host, settings.port)
    except RevspineError as exc:
        db.dispose()
        _fail(exc)
    for line in banner:
        typer.echo(line)
    if settings.workers > 1:  # each worker builds its app from the same settings, passed by environment
        import os

        os.environ.update(settings.to_environ())
        os.environ["REVSPINE_SECRET_KEY"] = settings.resolved_secret_key()
        db.dispose()
        uvicorn.run("revspine.web.app:create_app_from_env", factory=True, workers=settings.workers,
                    host=settings.host, port=settings.port, access_log=False, log_level="warning",
                    http=HTTP_PROTOCOL, forwarded_allow_ips=settings.forwarded_allow_ips)
        return
    configure_logging(settings.log_level, settings.log_json)
    app = create_app(settings, db=db, stop_workers=True)
    freeze_startup_objects()
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_level="warning",
                http=HTTP_PROTOCOL, forwarded_allow_ips=settings.forwarded_allow_ips)


def load_demo_patients(db: Any, user_id: int, pack_dirs: Any = ()) -> int:
    """Add one demo patient per example case (once), assessed with the built-in pack and the local
    packs ``pack_dirs`` (the ``knowledge_packs`` setting); returns how many were added."""
    from ..knowledge import load_pack
    from ..storage import records
    from ..storage.tables import PatientRow
    from ..workflow import Workflow
    from .main import example_paths, read_case_file

    flow = Workflow(db, load_pack(pack_dirs))
    added = 0
    for path in example_paths():
        mrn = "DEMO-" + path.stem.split("_", 1)[0]
        with db.read() as s:
            if s.query(PatientRow.id).filter(PatientRow.mrn == mrn).first() is not None:
                continue
        name = "Demo – " + demo_name(path.stem)
        patient = db.write(lambda s, name=name, mrn=mrn: records.create_patient(s, user_id, name, mrn))
        flow.save_and_assess(user_id, patient.id, read_case_file(path), source="import", title="Demo case")
        added += 1
    return added


def register(app: typer.Typer) -> None:
    """Add the web commands to the `revspine` CLI."""

    @app.command("serve")
    def serve_cmd(host: Host = None, port: Port = None, database_url: DbUrl = None, workers: Workers = None) -> None:
        """Start the web application (migrates the database first)."""
        try:
            settings = _settings(host=host, port=port, database_url=database_url, workers=workers)
            db = _open(settings)
        except RevspineError as exc:
            _fail(exc)
            return
        _serve(settings, db, [f"revspine on http://{settings.host}:{settings.port}/  (Ctrl-C to stop)"])

    @app.command("migrate")
    def migrate_cmd(database_url: DbUrl = None) -> None:
        """Create or upgrade the database schema."""
        from ..storage import current_revision

        try:
            db = _open(_settings(database_url=database_url))
            typer.echo(f"database at revision {current_revision(db)}")
        except RevspineError as exc:
            _fail(exc)

    @app.command("grant-app-role")
    def grant_app_role_cmd(role: Annotated[str, typer.Argument(help="The PostgreSQL role the app connects as")],
                           create: Annotated[bool, typer.Option("--create", help="Create the role (LOGIN, no "
                                                                "password: set one with ALTER ROLE)")] = False,
                           database_url: DbUrl = None) -> None:
        """PostgreSQL: give an application role (which owns nothing) what the app needs; run as the owner."""
        from ..storage.roles import grant_app_role

        try:
            db = _open(_settings(database_url=database_url))
            grant_app_role(db, role, create=create)
        except RevspineError as exc:
            _fail(exc)
            return
        typer.echo(f"granted {role} what revspine needs (it cannot alter, drop or truncate tables)")

    user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
    app.add_typer(user_app, name="user")

    @user_app.command("create")
    def user_create(
        username: Annotated[str, typer.Option("--username", help="Login name")],
        role: Annotated[str, typer.Option("--role", help="clinician or admin")] = "clinician",
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
        database_url: DbUrl = None,
    ) -> None:
        """Create a user account."""
        from ..storage import accounts, audit

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            db = _open(_settings(database_url=database_url))
            def create(s: Any) -> Any:
                user = accounts.create_user(s, username, password, role)
                audit.record(s, None, "create", "user", user.id, {"role": role, "via": "cli"})
                return user
            user = db.write(create)
        except RevspineError as exc:
            _fail(exc)
            return
        typer.echo(f"created {user.role} {user.username} (id {user.id})")

    token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
    app.add_typer(token_app, name="token")

    @token_app.command("create")
    def token_create(username: Annotated[str, typer.Option("--username")],
                     name: Annotated[str, typer.Option("--name", help="What the token is for")] = "cli",
                     database_url: DbUrl = None) -> None:
        """Create an API token for a user and print it (once)."""
        from ..errors import NotFound, Problem
        from ..storage import accounts, audit

        try:
            db = _open(_settings(database_url=database_url))
            def create(s: Any) -> str:
                user = accounts.get_user_by_name(s, username)
                if user is None:
                    raise NotFound(f"no user {username}", [Problem("--username", "no such user")])
                token, plain = accounts.create_token(s, user.id, name)
                audit.record(s, user.id, "create", "api_token", token.id, {"via": "cli"})
                return plain
            plain = db.write(create)
        except RevspineError as exc:
            _fail(exc)
            return
        typer.echo(plain)

    @app.command("demo")
    def demo_cmd(port: Port = None, database_url: DbUrl = None,
                 no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare only; do not start")] = False,
                 ) -> None:
        """Migrate, load the demo patients, create the demo login and serve on 127.0.0.1."""
        from ..storage import accounts

        try:
            settings = _settings(host="127.0.0.1", port=port, database_url=database_url)
            db = _open(settings)
            def demo_user(s: Any) -> Any:
                user = accounts.get_user_by_name(s, DEMO_USERNAME)
                if user is None:
                    return accounts.create_user(s, DEMO_USERNAME, DEMO_PASSWORD, "clinician")
                accounts.set_password(s, user.id, DEMO_PASSWORD)
                user.active = True
                return user
            user = db.write(demo_user)
            added = load_demo_patients(db, user.id, settings.pack_dirs())
        except RevspineError as exc:
            _fail(exc)
            return
        url = f"http://127.0.0.1:{settings.port}/"
        banner = [
            "", f"revspine demo: {added} demo patient(s) added; database {db.engine.url.render_as_string()}",
            f"  open     {url}", f"  log in   username {DEMO_USERNAME}   password {DEMO_PASSWORD}",
            "  stop     Ctrl-C", "",
        ]
        if no_serve:
            for line in banner:
                typer.echo(line)
            return
        _serve(settings, db, banner)


def demo_name(stem: str) -> str:
    """A demo patient's name from an example's file name, in clinical capitals: '11_si_joint_pain' ->
    'SI joint pain', '22_cervical_acdf_adjacent_segment' -> 'Cervical ACDF adjacent segment'."""
    from ..views.clinical import clinical_label

    return clinical_label(stem.split("_", 1)[-1])
