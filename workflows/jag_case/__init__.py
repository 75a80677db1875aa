"""JAG case work (LLR minimum standards): the package the engine registers as `PACKAGE`."""

from typing import Any

from engine.definitions import WorkflowPackage
from workflows.jag_case.access import HELD, SCOPED, assigned, case_roles, recipient
from workflows.jag_case.definition import ACTION_DEADLINE, JAG_CASE
from workflows.jag_case.effects import EFFECTS
from workflows.jag_case.guards import GUARDS
from workflows.jag_case.meeting_models import MEETING_TABLES  # noqa: F401  (their tables)
from workflows.jag_case.models import JagCase
from workflows.jag_case.privacy import anonymise, subject_access
from workflows.jag_case.services import PREFIX, case_view


def _case_view(session: Any, case: Any, actor: Any, clock: Any) -> dict[str, Any]:
    """The JAG part of the case as staff read it (API and page): under "detail"."""
    return {"detail": case_view(session, case, actor, clock=clock)}


PACKAGE = WorkflowPackage(
    definition=JAG_CASE,
    reference_prefix=PREFIX,
    guards=GUARDS,
    effects=EFFECTS,
    detail_model=JagCase,
    anonymise=anonymise,
    subject_access=subject_access,
    case_roles=case_roles,
    case_held_roles=HELD,
    scoped_roles=SCOPED,
    assigned=assigned,
    recipient=recipient,
    case_view=_case_view,
    completion_measures={ACTION_DEADLINE: "JAG action completion"},
)
