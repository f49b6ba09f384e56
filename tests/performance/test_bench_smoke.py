"""`make bench` in small: the whole stack over HTTP on a small data set, for a few seconds per
endpoint. Speed is reported, not asserted; what must hold is asserted: no errors, the ledger
invariants, one ledger row and one claimed code per scan, every webhook applied, every outbox
event delivered (bench/checks.py, exit status 1 when one fails)."""

import re
import subprocess
import sys
from pathlib import Path

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
