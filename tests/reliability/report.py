"""The fault table: each scenario records requests, errors by status, lost, duplicated and
recovery seconds; `make faults` prints what the run recorded."""

import json
import os
import sys
from dataclasses import asdict, dataclass, field

REPORT_ENV = "FAULTS_REPORT"
COLUMNS = ("scenario", "requests", "errors by status", "lost", "duplicated", "recovery s")


@dataclass
class FaultRow:
    """One scenario's numbers."""

    scenario: str
    requests: int
    errors: dict = field(default_factory=dict)
    lost: int = 0
    duplicated: int = 0
    recovery_seconds: float | None = None


class FaultReport:
    """Appends rows to the file named by FAULTS_REPORT (nothing is written without it)."""

    def record(self, scenario, requests, errors=None, lost=0, duplicated=0, recovery=None):
        """Record one scenario's numbers; returns the row."""
        row = FaultRow(scenario, requests, dict(errors or {}), lost, duplicated, recovery)
        path = os.environ.get(REPORT_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(row)) + "\n")
        return row


def cells(row):
    """The table cells of one recorded row."""
    errors = ", ".join(
        f"{status}: {count}" for status, count in sorted(row["errors"].items()) if count
    )
    recovery = row["recovery_seconds"]
    return (
        row["scenario"],
        str(row["requests"]),
        errors or "none",
        str(row["lost"]),
        str(row["duplicated"]),
        "-" if recovery is None else f"{recovery:.1f}",
    )


def table(rows):
    """A Markdown table of the rows."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def main(path):
    """Print the table of the rows recorded in `path`."""
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    print(table(rows))


if __name__ == "__main__":
    main(sys.argv[1])
