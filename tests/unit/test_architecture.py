"""Cheap guard rails: where time comes from, and which way the imports point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "workflows", "web", "notifications")
CLOCK_CALLS = re.compile(r"\b(datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\()")


def _sources(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("path", _sources(*PACKAGES), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_clock_module_reads_the_system_time(path: Path) -> None:
    if path == ROOT / "engine" / "clock.py":
        return
    assert not CLOCK_CALLS.search(path.read_text("utf-8")), f"{path} reads the system clock"


@pytest.mark.parametrize("path", _sources("engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_engine_never_imports_web_or_notifications(path: Path) -> None:
    text = path.read_text("utf-8")
    assert not re.search(r"^\s*(from|import) (web|notifications)\b", text, re.MULTILINE)


@pytest.mark.parametrize("path", _sources("engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_registry_imports_workflows(path: Path) -> None:
    text = path.read_text("utf-8")
    if path.name != "registry.py":
        assert not re.search(r"^\s*(from|import) workflows\b", text, re.MULTILINE)


@pytest.mark.parametrize("path", _sources("workflows"), ids=lambda p: str(p.relative_to(ROOT)))
def test_workflows_never_import_web_or_notifications(path: Path) -> None:
    """A workflow package holds its code beside its definition (guards, effects, tables,
    documents) and builds on the engine; delivering is still web's and notifications'."""
    text = path.read_text("utf-8")
    assert not re.search(r"^\s*(from|import) (web|notifications)\b", text, re.MULTILINE)


def test_the_clock_check_would_catch_a_stray_call() -> None:
    assert CLOCK_CALLS.search("stamp = datetime.now(UTC)")
    assert not CLOCK_CALLS.search("stamp = clock.now()")
