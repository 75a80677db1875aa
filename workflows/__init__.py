"""The processes ctengine runs: one package per process, each registering `PACKAGE`.

Discovery is by package: every sub-package with a `PACKAGE` (an
engine.definitions.WorkflowPackage) is a workflow; `areas/` and `public/` hold data.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def _discover() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        package = getattr(module, "PACKAGE", None)
        if package is not None:
            found[package.definition.name] = package
    return found


PACKAGES = _discover()
WORKFLOWS = {name: package.definition for name, package in PACKAGES.items()}
