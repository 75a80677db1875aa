"""JAG case work (LLR minimum standards): the package the engine registers as `PACKAGE`."""

from engine.definitions import WorkflowPackage
from workflows.jag_case.access import case_roles
from workflows.jag_case.definition import JAG_CASE
from workflows.jag_case.effects import EFFECTS
from workflows.jag_case.guards import GUARDS
from workflows.jag_case.meeting_models import MEETING_TABLES  # noqa: F401  (their tables)
from workflows.jag_case.services import PREFIX, case_view


def _detail(session, case, actor, clock):  # type: ignore[no-untyped-def]
    return case_view(session, case, actor, clock=clock)


PACKAGE = WorkflowPackage(
    definition=JAG_CASE,
    reference_prefix=PREFIX,
    guards=GUARDS,
    effects=EFFECTS,
    case_roles=case_roles,
    detail=_detail,
)
