"""The shape of the code, read from its source: imports run one way, and the rules leave the
transaction to the boundary that runs them."""

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"

# Bottom to top: a module may import its own layer or a lower one, never a higher one. Each
# top-level module or package of webapp/ is named here, so a new one lands in a known layer.
LAYERS = (
    (
        "base",
        {
            "config",
            "extensions",
            "timeutil",
            "csv_cells",
            "redis_guard",
            "database",
            "replica",
            "logs",
            "fonts",
            "translation_marks",
            "brand_settings",
            "pagination",
            "named_locks",
        },
    ),
    ("models", {"models"}),
    ("queue", {"jobs"}),
    ("events", {"events"}),
    ("rules", {"loyalty"}),
    ("delivery", {"customerio"}),
    (
        "tasks",
        {
            "code_batches",
            "archive",
            "scheduler",
            "db_retry",
            "partitioning",
            "program_daily",
            "deliveries",
        },
    ),
    (
        "web",
        {
            "tenancy",
            "urls",
            "errors",
            "media",
            "input_limits",
            "security_headers",
            "i18n",
        },
    ),
    ("blueprints", {"system", "webhooks", "auth", "portal", "admin", "benchmark"}),
    (
        "commands",
        {
            "cli",
            "cli_brands",
            "cli_database",
            "cli_program",
            "demo",
            "demo_activity",
            "demo_images",
            "demo_story",
        },
    ),
    ("app", {"webapp"}),
)
LAYER_OF = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}
# Rule packages: below every blueprint, no request, no tenancy, no commit of their own.
RULE_PACKAGES = ("loyalty", "customerio", "events", "models")


def module_name(path):
    parts = list(path.relative_to(WEBAPP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in WEBAPP.rglob("*.py")}


def imported_names(name, path):
    """(module imported, names taken from it) for every import, module- or function-level."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, tuple(alias.name for alias in node.names)


def internal_targets(name, path):
    """The webapp modules `name` imports (`from pkg import module` names the module)."""
    for base, names in imported_names(name, path):
        for imported in names:
            if f"{base}.{imported}" in MODULES:
                yield f"{base}.{imported}"
            elif base in MODULES:
                yield base
        if not names and base in MODULES:
            yield base


def area(module):
    """The top-level module or package of webapp/ a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "webapp"


EDGES = {
    (name, target)
    for name, path in MODULES.items()
    for target in internal_targets(name, path)
    if target != name
}


def reachable(graph, start):
    """Every node a path from `start` leads to."""
    seen, todo = set(), [start]
    while todo:
        for following in graph.get(todo.pop(), ()):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


def cycles(edges):
    """The groups of nodes that reach each other (each import cycle once, sorted)."""
    graph = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
    reach = {node: reachable(graph, node) for node in graph}
    groups = {
        tuple(sorted(other for other in reach if node in reach[other] and other in reach[node]))
        for node in graph
        if node in reach[node]
    }
    return sorted(list(group) for group in groups)


def test_every_area_has_a_layer():
    assert {area(name) for name in MODULES} - set(LAYER_OF) == set()


def test_no_module_imports_another_that_imports_it_back():
    assert cycles(EDGES) == []


def test_no_package_imports_another_that_imports_it_back():
    package_edges = {(area(a), area(b)) for a, b in EDGES if area(a) != area(b)}
    assert cycles(package_edges) == []


def test_no_import_runs_up_the_layers():
    upward = sorted(
        f"{source} -> {target}"
        for source, target in EDGES
        if LAYER_OF[area(target)] > LAYER_OF[area(source)]
    )
    assert upward == []


@pytest.mark.parametrize("package", RULE_PACKAGES)
def test_rules_never_read_the_request(package):
    readers = sorted(
        name
        for name, path in MODULES.items()
        if area(name) == package
        for base, names in imported_names(name, path)
        if (base == "flask" and "request" in names) or base == "flask.request"
    )
    assert readers == []


def transaction_calls(path):
    """Line numbers of `.commit()` / `.rollback()` calls (a savepoint's context manager ends
    itself, so rules never need either)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]


def test_rules_leave_commit_and_rollback_to_the_boundary():
    found = {
        name: transaction_calls(path)
        for name, path in MODULES.items()
        if area(name) in RULE_PACKAGES
    }
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_checks_see_what_they_look_for(tmp_path):
    """The cycle finder and the commit finder catch a planted case."""
    assert cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    planted = tmp_path / "rule.py"
    planted.write_text("def rule(db):\n    db.session.add(1)\n    db.session.commit()\n")
    assert transaction_calls(planted) == [3]
