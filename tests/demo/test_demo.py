"""The demo a newcomer sees: the Glasnet workspace, full of conversations, reachable by token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from webcare.app import create_app
from webcare.demo.runner import prepare_demo
from webcare.demo.seed import load_conversations
from webcare.runtime import Runtime


def test_demo_workspace_holds_every_conversation_and_answers_the_api(runtime: Runtime) -> None:
    info = prepare_demo(runtime)
    specs = load_conversations()
    assert info.conversations_created == len(specs) >= 150
    with TestClient(create_app(runtime=runtime)) as client:
        client.headers["Authorization"] = f"Bearer {info.token}"
        page = client.get("/api/v1/conversations?limit=100&status=open").json()
        assert page["total"] == sum(1 for s in specs if s["status"] == "open")
        platforms = {
            i["channel"]["platform"]
            for i in client.get(
                "/api/v1/conversations?limit=100&sort=newest&status=resolved"
            ).json()["items"]
        }
        assert {"x", "whatsapp", "email"} <= platforms
        dutch = client.get("/api/v1/conversations", params={"q": "storing"}).json()
        assert dutch["total"] > 0
        # People who wrote on two channels are one contact with two identities (360° view).
        linked = {s["contact"]["person"] for s in specs if s["contact"].get("person")}
        contacts, cursor = [], ""
        while cursor is not None:
            page = client.get(f"/api/v1/contacts?limit=100&cursor={cursor}").json()
            contacts += page["items"]
            cursor = page["next_cursor"]
        multi = [c for c in contacts if len({i["platform"] for i in c["identities"]}) > 1]
        assert len(multi) == len(linked)
        # Listening starts with the brand, two competitors and a proactive outage query.
        queries = client.get("/api/v1/listening/queries").json()
        names = {q["name"]: q for q in queries}
        assert {"Glasnet", "Concurrent: KPN", "Storing zonder tag"} <= set(names)
        assert names["Storing zonder tag"]["route_to_inbox"] is True


def test_demo_is_prepared_once_and_prints_a_fresh_token(runtime: Runtime) -> None:
    first = prepare_demo(runtime)
    second = prepare_demo(runtime)
    assert second.conversations_created == 0
    assert first.token != second.token
    with TestClient(create_app(runtime=runtime)) as client:
        client.headers["Authorization"] = f"Bearer {first.token}"
        assert client.get("/api/v1/conversations").status_code == 200


@pytest.mark.slow
def test_webcare_demo_command_prepares_a_fresh_data_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBCARE_")}
    env["WEBCARE_DATA_DIR"] = str(tmp_path / "var")
    webcare = [sys.executable, "-m", "webcare.cli"]
    done = subprocess.run(
        [*webcare, "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "created" in done.stdout
    assert "API token" in done.stdout
    assert (tmp_path / "var" / "webcare.sqlite3").exists()
    token = next(line.split()[-1] for line in done.stdout.splitlines() if "API token" in line)
    created = subprocess.run(
        [
            *webcare,
            "user",
            "create",
            "nina",
            "--workspace",
            "glasnet",
            "--role",
            "agent",
            "--password",
            "lang-genoeg-1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    clash = subprocess.run(
        [
            *webcare,
            "user",
            "create",
            "nina",
            "--workspace",
            "glasnet",
            "--password",
            "lang-genoeg-1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert clash.returncode == 2
    assert "already taken" in clash.stderr
    assert "Traceback" not in clash.stderr
    assert token.startswith("wc_")
    minted = subprocess.run(
        [
            *webcare,
            "token",
            "create",
            "--workspace",
            "glasnet",
            "--name",
            "crm",
            "--scope",
            "conversations:read",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert minted.returncode == 0, minted.stderr
    assert minted.stdout.strip().startswith("wc_")
    wrong = subprocess.run(
        [
            *webcare,
            "token",
            "create",
            "--workspace",
            "glasnet",
            "--name",
            "crm",
            "--scope",
            "everything",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 2
    assert "everything" in wrong.stderr


def test_cli_help_explains_each_command() -> None:
    from click.testing import CliRunner

    from webcare.cli import main

    runner = CliRunner()
    for command in (
        ["--help"],
        ["serve", "--help"],
        ["worker", "--help"],
        ["migrate", "--help"],
        ["demo", "--help"],
        ["user", "create", "--help"],
        ["token", "create", "--help"],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 0, command
        assert "Usage:" in result.output
    assert "demo" in runner.invoke(main, ["--help"]).output
