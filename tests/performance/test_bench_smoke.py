"""`make bench` in small: the whole stack over HTTP on a small data set, for a few seconds per
endpoint. Speed is reported, not asserted; what must hold is asserted: no errors, the ledger
invariants, one ledger row and one claimed code per scan, every webhook applied, every outbox
event delivered (bench/checks.py, exit status 1 when one fails)."""

import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import driver
from bench.stack import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(
    r"^\| (?P<label>[\w-]+) \| (?P<rate>[\d,]+) \|.*\| (?P<errors>\d+) \| (?P<trips>[\d.]+) \|$"
)


def test_the_smoke_run_serves_every_endpoint_without_errors_and_keeps_the_books():
    run = subprocess.run(
        [sys.executable, "bench/stack.py", "--smoke", "--seconds", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    rows = {m["label"]: m for m in map(ROW.match, run.stdout.splitlines()) if m}
    assert set(rows) == set(SCENARIOS), output
    for label, row in rows.items():
        assert int(row["errors"]) == 0, output
        assert int(row["rate"].replace(",", "")) > 0, output
        if label != "healthz":  # the liveness answer reads nothing
            assert float(row["trips"]) > 0, output
    assert float(rows["healthz"]["trips"]) == 0, output
    assert "checks: ledger invariants hold" in run.stdout, output


@pytest.mark.sqlite_ok
def test_a_finite_load_that_runs_out_is_rated_over_the_time_it_ran():
    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        bodies = [(b"{}", "0", "signature")] * 20
        spec = driver.Scenario(label="webhook", port=server.server_address[1]).webhooks(bodies)
        result = driver.drive(spec, seconds=5, concurrency=2)
    finally:
        server.shutdown()
    assert result["requests"] == result["successes"] == 20
    assert result["ran_out"] is True
    assert result["seconds"] < 2.5  # not the 5 s asked for: 20 answers take milliseconds
