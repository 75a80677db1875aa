"""The engine is general: it imports workflows/ only through its registry, and no module of
engine/ names a state or an event of any workflow (issue 13). What a process is made of
lives in its package (workflows/<name>/); the engine reads it from the registry."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine import registry

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"

# Words the engine uses in its own sense that a workflow also uses as an event name, each
# allowed only in the modules named. The statutory figures are the Act's (s.104 of the
# Anti-social Behaviour, Crime and Policing Act 2014: applications, times the threshold was
# not met, reviews, reviews with recommendations) and their keys are published (the public
# figures page, the API, the dashboard's columns, all asserted by tests); which events count
# toward each is the workflow's StatutoryFigureRules, never these words.
OWN_WORDS = {
    "threshold_not_met": {
        "figures.py",
        "equalities_report.py",
        "dashboard.py",
        "dashboard_facts.py",
    },
    "threshold_met": {"dashboard.py", "dashboard_facts.py"},  # the dashboard's column beside it
    # A dashboard column counting StatutoryFigureRules.withdrawn, and a recommendation's
    # status (recommendations are withdrawn one by one, not cases).
    "withdrawn": {"dashboard.py", "dashboard_facts.py"},
    "rejected": {"figures.py"},  # the figures' note: refused on a stated ground
    # (dashboard_facts.py: the dashboard's month columns and recommendation counts, kept
    # current event by event since issue 17.)
    # Words JAG case work also uses as state names (issue 13 part 2), in the engine's own
    # sense: a recommendation declined by its agency (the dashboard's count beside
    # "withdrawn"), and a staff account that is active (the users admin page).
    "declined": {"dashboard.py", "dashboard_facts.py"},
    "active": {"users_admin.py"},
}


def _modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def _imports_of_workflows(tree: ast.AST) -> list[int]:
    """Lines of every import of workflows/ (at any depth: in functions too)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == "workflows" or a.name.startswith("workflows.") for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "workflows" or node.module.startswith("workflows."):
                lines.append(node.lineno)
    return lines


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of docstring constants (a module's, a class's, a function's first statement)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def string_constants(source: str) -> list[tuple[int, str]]:
    """Every string constant in the source but docstrings, with its line."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
    ]


def workflow_names() -> dict[str, str]:
    """Every state and event name of every registered workflow: name -> what it is."""
    names: dict[str, str] = {}
    for pkg in registry.packages().values():
        wf = pkg.definition
        for state in wf.states:
            names[state.value] = f"state of {wf.name}"
        for trigger in (*wf.triggers(), wf.start_trigger):
            names[trigger] = f"event of {wf.name}"
    return names


def mentions(source: str, names: dict[str, str], module: str = "") -> list[str]:
    return [
        f"line {line}: {value!r} ({names[value]})"
        for line, value in string_constants(source)
        if value in names and module not in OWN_WORDS.get(value, ())
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_workflows_only_through_the_registry(path: Path) -> None:
    found = _imports_of_workflows(ast.parse(path.read_text("utf-8")))
    if path == ENGINE / "registry.py":
        assert len(found) == 1, "the registry's discovery is the one import of workflows/"
    else:
        assert not found, f"{path.name} imports workflows/ on line(s) {found}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_names_no_state_or_event_of_a_workflow(path: Path) -> None:
    assert mentions(path.read_text("utf-8"), workflow_names(), path.name) == []


def test_the_check_sees_every_workflow_and_a_planted_name() -> None:
    names = workflow_names()
    for pkg in registry.packages().values():
        assert pkg.definition.initial in names
        assert pkg.definition.start_trigger in names
    state = next(s for s in names if names[s].startswith("state"))
    event = next(s for s in names if names[s].startswith("event"))
    planted = f'"""A docstring may say {state}."""\nX = {state!r}\ndef f():\n    return {event!r}\n'
    assert [m.split(":")[0] for m in mentions(planted, names)] == ["line 2", "line 4"]
    # An allowed word is allowed only where it is listed: planted elsewhere, it is caught.
    assert set(OWN_WORDS) <= set(names), "an allowed word no workflow uses is not needed"
    word, where = next(iter(OWN_WORDS.items()))
    assert mentions(f"X = {word!r}\n", names, "machine.py") == [f"line 1: {word!r} ({names[word]})"]
    assert mentions(f"X = {word!r}\n", names, next(iter(where))) == []
    # And an import of a workflow package, however deep, is seen.
    tree = ast.parse("def f():\n    from workflows.community_trigger import guards\n")
    assert _imports_of_workflows(tree) == [2]
