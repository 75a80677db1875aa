"""The ASB Case Review (Community Trigger): the package the engine registers as `PACKAGE`."""

from engine.definitions import WorkflowPackage
from workflows.community_trigger.case_report import case_view, staff_view
from workflows.community_trigger.definition import *  # noqa: F403  (its names, as before)
from workflows.community_trigger.definition import COMMUNITY_TRIGGER
from workflows.community_trigger.effects import EFFECTS
from workflows.community_trigger.export import EXPORT_COLUMNS, export_values
from workflows.community_trigger.guards import GUARDS
from workflows.community_trigger.letters import KIT as LETTERS
from workflows.community_trigger.models import CommunityTriggerCase
from workflows.community_trigger.people import APPEAL_CHAIR, assigned, case_roles, recipient

PACKAGE = WorkflowPackage(
    definition=COMMUNITY_TRIGGER,
    reference_prefix="CT",
    guards=GUARDS,
    effects=EFFECTS,
    detail_model=CommunityTriggerCase,
    letters=LETTERS,
    case_roles=case_roles,
    case_held_roles=(APPEAL_CHAIR,),
    assigned=assigned,
    recipient=recipient,
    case_view=case_view,
    staff_view=staff_view,
    export_columns=EXPORT_COLUMNS,
    export_values=export_values,
)
