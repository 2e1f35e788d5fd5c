"""The `webcare` command. Thin: parse options, then call services."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from webcare.config import Settings
from webcare.kit import log_redaction
from webcare.kit.db import unit_of_work
from webcare.kit.errors import NotFound, WebcareError
from webcare.runtime import Runtime, build_runtime


def _runtime() -> Runtime:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log_redaction.install("uvicorn.access", "uvicorn.error", "httpx", "webcare")
    return build_runtime(settings)


def _fail(exc: WebcareError) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(2)


@click.group(help="webcare: one inbox for every customer-service channel.")
def main() -> None:
    """Entry point; each subcommand reads WEBCARE_* settings from the environment."""


@main.command(help="Create or upgrade the database schema (safe to run repeatedly).")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def migrate(revision: str) -> None:
    from webcare.migrations.runner import upgrade

    runtime = _runtime()
    upgrade(runtime.engine, revision)
    click.echo(f"database at {revision}")


@main.command(help="Retrain workspaces' triage models with their agents' corrections.")
@click.option("--workspace", "slug", default=None, help="Only this workspace (its slug).")
def train(slug: str | None) -> None:
    from webcare.triage.training import train_workspace
    from webcare.workspace import service as workspaces

    runtime = _runtime()
    with unit_of_work(runtime.session_factory) as session:
        if slug is None:
            targets = workspaces.all_workspaces(session)
        else:
            found = workspaces.get_workspace_by_slug(session, slug)
            if found is None:
                _fail(NotFound(f"no workspace {slug!r}"))
            targets = [found] if found else []
        for workspace in targets:
            try:
                report = train_workspace(session, workspace.id)
            except FileNotFoundError as exc:
                _fail(
                    NotFound(f"the training data is missing ({exc.filename}); run from a checkout")
                )
                return
            if report.version is None:
                click.echo(f"{workspace.slug}: no corrections yet; the shipped models serve it")
                continue
            click.echo(f"{workspace.slug}: {report.corrections} corrections -> {report.version}")
            for task, figures in report.figures.items():
                click.echo(f"  {task}: {_before_after(figures)}")


def _before_after(figures: dict[str, Any]) -> str:
    used = f"{figures.get('corrections', 0)} labels, {figures.get('held_out', 0)} held out"
    before, after = figures.get("before"), figures.get("after")
    if not before or not after:
        return f"{used} (too few to measure before/after)"
    return (
        f"{used}; accuracy {before['accuracy']:.2f} -> {after['accuracy']:.2f}, "
        f"macro-F1 {before['macro_f1']:.2f} -> {after['macro_f1']:.2f}"
    )


@main.command(help="Run the web server (with an in-process job worker unless disabled).")
@click.option("--host", default=None, help="Interface to bind (default WEBCARE_HOST).")
@click.option("--port", default=None, type=int, help="Port (default WEBCARE_PORT).")
@click.option(
    "--migrate/--no-migrate",
    "run_migrations",
    default=True,
    show_default=True,
    help="Upgrade the schema before serving.",
)
def serve(host: str | None, port: int | None, run_migrations: bool) -> None:
    runtime = _runtime()
    if run_migrations:
        from webcare.migrations.runner import upgrade

        upgrade(runtime.engine)
    _serve(runtime, host, port)


SHUTDOWN_GRACE_SECONDS = 5


def _serve(runtime: Runtime, host: str | None, port: int | None) -> None:
    import uvicorn

    from webcare.app import create_app

    settings = runtime.settings
    uvicorn.run(
        create_app(runtime=runtime),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        # Open live-update streams never finish by themselves; browsers reconnect to another
        # process (or this one after a restart), so shutdown need not wait for them long.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


@main.command(help="Run a job worker (start several, on one or more machines, to scale out).")
def worker() -> None:
    from webcare.worker.runner import run_worker_process

    run_worker_process(_runtime())


@main.command(help="Migrate, create the Glasnet demo workspace (once), print logins, serve.")
@click.option("--host", default=None, help="Interface to bind (default WEBCARE_HOST).")
@click.option("--port", default=None, type=int, help="Port (default WEBCARE_PORT).")
@click.option("--no-serve", is_flag=True, help="Only prepare the demo data, then exit.")
@click.option(
    "--sim-port",
    default=8901,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port of the platform simulator and its customer view.",
)
@click.option("--no-traffic", is_flag=True, help="Do not stream live customer messages.")
@click.option(
    "--traffic-interval",
    default=8.0,
    show_default=True,
    type=click.FloatRange(min=1.0),
    help="Seconds between live customer messages (give or take a third).",
)
def demo(
    host: str | None,
    port: int | None,
    no_serve: bool,
    sim_port: int,
    no_traffic: bool,
    traffic_interval: float,
) -> None:
    from webcare.demo.runner import prepare_demo

    runtime = _runtime()
    info = prepare_demo(runtime)
    host, port = host or runtime.settings.host, port or runtime.settings.port
    if no_serve:
        click.echo(info.banner(host, port))
        return
    from webcare.simulator.serving import reachable, start_demo_simulation

    try:
        simulation = start_demo_simulation(
            runtime,
            host=host,
            port=sim_port,
            webcare_url=f"http://{reachable(host)}:{port}",
            interval=traffic_interval,
            stream=not no_traffic,
        )
    except RuntimeError as exc:
        click.echo(f"error: {exc} (choose another with --sim-port)", err=True)
        sys.exit(2)
    click.echo(info.banner(host, port, simulation.customer_view_url))
    try:
        _serve(runtime, host, port)
    finally:
        simulation.stop()


@main.group(help="Manage workspaces.")
def workspace() -> None:
    """Workspace commands."""


@workspace.command("create", help="Create a workspace (tenant).")
@click.argument("slug")
@click.argument("name")
def workspace_create(slug: str, name: str) -> None:
    from webcare.workspace import service as workspaces

    runtime = _runtime()
    try:
        with unit_of_work(runtime.session_factory) as session:
            created = workspaces.create_workspace(session, slug, name)
            click.echo(f"workspace {created.slug} created (id {created.id})")
    except WebcareError as exc:
        _fail(exc)


@main.group(help="Manage users.")
def user() -> None:
    """User commands."""


@user.command("create", help="Create a user and add them to a workspace with a role.")
@click.argument("username")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option(
    "--role",
    type=click.Choice(["admin", "lead", "agent", "viewer"]),
    default="agent",
    show_default=True,
)
@click.option("--name", "display_name", default=None, help="Display name (default: username).")
@click.option("--signature", default=None, help="Reply signature, e.g. ^AV.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters (prompted when omitted).",
)
def user_create(
    username: str,
    slug: str,
    role: str,
    display_name: str | None,
    signature: str | None,
    password: str,
) -> None:
    from webcare.auth import service as users
    from webcare.workspace import service as workspaces
    from webcare.workspace.models import Role

    runtime = _runtime()
    try:
        with unit_of_work(runtime.session_factory) as session:
            ws = workspaces.get_workspace_by_slug(session, slug)
            if ws is None:
                raise WebcareError(f"no workspace '{slug}'")
            created = users.create_user(
                session, username=username, password=password, display_name=display_name or username
            )
            workspaces.add_member(session, ws.id, created.id, Role(role), signature)
            click.echo(f"user {username} created as {role} in {slug}")
    except WebcareError as exc:
        _fail(exc)


@main.group(help="Manage API tokens.")
def token() -> None:
    """Token commands."""


@token.command("create", help="Create an API token; it is printed once.")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, help="Repeat for several; default: all scopes.")
@click.option("--user", "username", default=None, help="Act for this member.")
def token_create(slug: str, name: str, scopes: tuple[str, ...], username: str | None) -> None:
    from webcare.auth import service as users
    from webcare.auth.principal import Scope
    from webcare.workspace import service as workspaces

    runtime = _runtime()
    try:
        with unit_of_work(runtime.session_factory) as session:
            ws = workspaces.get_workspace_by_slug(session, slug)
            if ws is None:
                raise WebcareError(f"no workspace '{slug}'")
            user_id = None
            if username:
                found = users.get_user_by_username(session, username)
                if found is None:
                    raise WebcareError(f"no user '{username}'")
                user_id = found.id
            raw, _ = users.create_api_token(
                session, ws.id, name, list(scopes) or sorted(Scope.ALL), user_id=user_id
            )
        click.echo(raw)
    except WebcareError as exc:
        _fail(exc)


if __name__ == "__main__":
    main()
