"""The README's commands work as written: `make demo` (and so `make run`) prints the demo
accounts and claim URLs with the real PORT on every run, and the `flask` commands name the
project's own virtualenv, so they run without activating it."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = str(Path(sys.executable).parent)


def _plain_env(database_url, **extra):
    """The environment of a fresh shell: no virtualenv on PATH, the embedded defaults."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "PUBLIC_URL", "PORT", "VIRTUAL_ENV")
        and not key.startswith("MAKE")
    }
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != VENV_BIN)
    env.update(DATABASE_URL=database_url, **extra)
    return env


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_demo_prints_the_accounts_and_claim_urls_with_the_port_every_time(tmp_path):
    env = _plain_env(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    port = _free_port()
    for run in ("first", "second"):
        done = subprocess.run(
            ["make", "-s", "demo", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "Consumer:    sam@greenharbor.example / harbor-member-2026" in done.stdout, run
        assert "Staff owner: owner@greenharbor.example" in done.stdout, run
        urls = re.findall(r"http://127\.0\.0\.1:(\d+)/s/[A-Z0-9]+", done.stdout)
        assert urls and set(urls) == {str(port)}, run


def readme_flask_commands():
    """Every `flask --app wsgi ...` command the README shows, as written."""
    text = (ROOT / "README.md").read_text()
    return re.findall(r"[^\s`|]*flask --app wsgi [^`\n|]*", text)


def test_readme_flask_commands_name_the_virtualenv():
    commands = readme_flask_commands()
    assert any("seed-demo" in command for command in commands)
    for command in commands:
        assert command.startswith(".venv/bin/flask "), command


def test_readme_seed_demo_runs_as_written_without_an_activated_venv(tmp_path):
    env = _plain_env(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    commands = {" ".join(c.split()[3:5]): c.split() for c in readme_flask_commands()}
    for name in ("db upgrade", "seed-demo"):
        argv = commands[name][:5] if name == "db upgrade" else commands[name][:4]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert "sam@greenharbor.example" in done.stdout
