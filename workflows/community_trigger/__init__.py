"""The ASB Case Review (Community Trigger): the package the engine registers as `PACKAGE`."""

from engine.definitions import WorkflowPackage
from engine.effects import EFFECTS
from engine.guards import GUARDS
from workflows.community_trigger.definition import *  # noqa: F403  (its names, as before)
from workflows.community_trigger.definition import COMMUNITY_TRIGGER
from workflows.community_trigger.export import EXPORT_COLUMNS, export_values

PACKAGE = WorkflowPackage(
    definition=COMMUNITY_TRIGGER,
    reference_prefix="CT",
    guards=GUARDS,
    effects=EFFECTS,
    export_columns=EXPORT_COLUMNS,
    export_values=export_values,
)
