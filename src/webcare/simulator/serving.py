"""Running the platform simulator next to ``webcare demo``: in the same process, on its own
port, with the demo workspace's accounts pointed at it and the customers' traffic streaming.

A uvicorn server in a daemon thread, as ``tests/live.py`` does; webcare's own server keeps the
main thread and with it Ctrl-C, and :meth:`DemoSimulation.stop` ends both threads. The
simulated mail servers (``simulator/mail.py``) run on free loopback ports beside it.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass

import httpx
import uvicorn

from webcare.auth.principal import Principal
from webcare.channel import connecting
from webcare.channel import service as channels
from webcare.demo import simulated
from webcare.demo.runner import DEMO_SLUG
from webcare.demo.traffic import TrafficStreamer, load_traffic
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.simulator import mail
from webcare.simulator.app import create_simulator_app
from webcare.simulator.state import SimState
from webcare.simulator.traffic import SimulatedTraffic, configure_state
from webcare.workspace import service as workspaces

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass
class DemoSimulation:
    url: str
    state: SimState
    streamer: TrafficStreamer
    server: uvicorn.Server
    thread: threading.Thread
    client: httpx.Client
    mail: mail.MailServers

    @property
    def customer_view_url(self) -> str:
        return f"{self.url}/"

    def stop(self) -> None:
        self.streamer.stop()
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.client.close()
        self.mail.stop()


def link_demo_accounts(
    runtime: Runtime, state: SimState, simulator_url: str, webcare_url: str, client: httpx.Client
) -> SimulatedTraffic:
    """Point the demo workspace's accounts at the simulator; the traffic channel to use."""
    with unit_of_work(runtime.session_factory) as session:
        workspace = workspaces.get_workspace_by_slug(session, DEMO_SLUG)
        if workspace is None:
            raise RuntimeError("prepare the demo workspace before linking it to the simulator")
        accounts = simulated.point_cast_at_simulator(
            session,
            runtime.secret_box,
            workspace.id,
            simulated.demo_accounts(session, workspace.id),
            simulator_url,
        )
        webhooks = {key: channels.webhook_url(webcare_url, a) for key, a in accounts.items()}
    return SimulatedTraffic(state, client, webhooks)


def link_demo_mailbox(runtime: Runtime, servers: mail.MailServers) -> None:
    """Point the demo's e-mail account at the simulated mail servers (plain text, loopback)."""
    with unit_of_work(runtime.session_factory) as session:
        workspace = workspaces.get_workspace_by_slug(session, DEMO_SLUG)
        if workspace is None:
            raise RuntimeError("prepare the demo workspace before linking it to the simulator")
        account = next(
            (a for a in channels.list_accounts(session, workspace.id) if a.platform == "email"),
            None,
        )
        if account is None:
            return
        account = connecting.update_credentials(
            session,
            Principal.system(workspace.id),
            runtime.secret_box,
            account.id,
            {
                "address": mail.DEMO_USERNAME,
                "imap_host": servers.host,
                "imap_port": servers.imap_port,
                "imap_ssl": False,
                "smtp_host": servers.host,
                "smtp_port": servers.smtp_port,
                "smtp_starttls": False,
                "username": mail.DEMO_USERNAME,
                "password": mail.DEMO_PASSWORD,
            },
        )
        account.settings = {
            **account.settings,
            "poll_interval_seconds": simulated.DEMO_POLL_SECONDS,
        }
        session.flush()


def start_demo_simulation(
    runtime: Runtime,
    *,
    host: str,
    port: int,
    webcare_url: str,
    interval: float,
    stream: bool = True,
) -> DemoSimulation:
    """Serve the simulator on ``host:port`` in a thread, link the demo accounts to it and,
    with ``stream``, start the traffic. Raises RuntimeError when the port cannot be used."""
    _check_free(host, port)
    state = SimState()
    configure_state(state)
    server = uvicorn.Server(
        uvicorn.Config(
            create_simulator_app(state),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=_run, args=(server,), name="demo-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the platform simulator could not listen on {host}:{port}")
        time.sleep(0.05)
    url = f"http://{reachable(host)}:{port}"
    client = httpx.Client(timeout=DELIVERY_TIMEOUT)
    channel = link_demo_accounts(runtime, state, url, webcare_url, client)
    servers = mail.start_mail_servers(state)
    link_demo_mailbox(runtime, servers)
    streamer = TrafficStreamer(load_traffic(), channel, interval=interval)
    if stream:
        streamer.start()
    return DemoSimulation(url, state, streamer, server, thread, client, servers)


def _check_free(host: str, port: int) -> None:
    """Fail early and clearly when the port is taken (uvicorn would exit its thread)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise RuntimeError(
                f"the platform simulator could not listen on {host}:{port} ({exc.strerror})"
            ) from exc


def _run(server: uvicorn.Server) -> None:
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot start; the caller reports it
        log.error("the platform simulator stopped")


def reachable(host: str) -> str:
    """An address to reach a server bound to ``host`` from this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
