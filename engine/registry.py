"""The one door from the engine to workflows/: definitions and area files, loaded once."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from engine.definitions import WorkflowDef, WorkflowPackage, validate
from engine.reminders import ReminderPolicy
from engine.retention_rules import RetentionRules
from engine.threshold import ThresholdRules

UNITS = ("working_days", "calendar_days")


@dataclass(frozen=True)
class Timescale:
    amount: int
    unit: str
    source: str = ""


@dataclass(frozen=True)
class LocalityConfig:
    id: str
    name: str
    partnership: str
    timescales: dict[str, Timescale] = field(default_factory=dict)
    # How the applicant reaches the locality's point of contact: organisation, team, phone,
    # address (postal, one line with commas). Shown in every message to the applicant.
    point_of_contact: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReminderSettings:
    """An area's `[reminders]` table: the default policy, per-clock changes, Notify templates."""

    default: ReminderPolicy = ReminderPolicy()
    per_deadline: dict[str, ReminderPolicy] = field(default_factory=dict)
    notify_templates: dict[str, str] = field(default_factory=dict)

    def policy(self, deadline_name: str) -> ReminderPolicy:
        return self.per_deadline.get(deadline_name, self.default)


@dataclass(frozen=True)
class AreaConfig:
    id: str
    name: str
    reference_prefix: str
    threshold: ThresholdRules
    timescales: dict[str, Timescale]
    localities: dict[str, LocalityConfig]
    partnerships: dict[str, str]
    appeal_grounds: tuple[str, ...]
    reviewing_bodies: tuple[dict[str, Any], ...]
    procedure_url: str = ""
    # The public address of the area's service: letters and messages point to its /status.
    service_url: str = "http://127.0.0.1:8000"
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    retention: RetentionRules = field(default_factory=RetentionRules)
    # The JAG decides the threshold at a meeting of partners; some areas let the JAG chair
    # decide between meetings (the decision then says so).
    chair_decides_between_meetings: bool = False
    # Whether the response after a re-review (an upheld appeal) can itself be appealed.
    re_review_response_final: bool = True
    # Where to go once a decision is final: `ombudsman`, `pcc` (one sentence each).
    signposting: dict[str, str] = field(default_factory=dict)
    # The `[performance]` table: the managers' dashboard's RAG thresholds (engine/performance.py).
    performance: dict[str, Any] = field(default_factory=dict)
    # Every table of the area file as written: a workflow package reads its own table
    # (e.g. `[jag]`) from here; the engine reads only the tables parsed above.
    tables: dict[str, Any] = field(default_factory=dict)

    def timescale(self, name: str, locality_id: str) -> Timescale:
        """The locality's own timescale where it sets one, else the area's."""
        locality = self.localities.get(locality_id)
        if locality and name in locality.timescales:
            return locality.timescales[name]
        return self.timescales[name]


def packages() -> dict[str, WorkflowPackage]:
    """Every workflow package, by workflow name (discovered once, in workflows/)."""
    from workflows import PACKAGES  # the engine's only import of workflows/

    return PACKAGES


def package(name: str) -> WorkflowPackage:
    try:
        return packages()[name]
    except KeyError:
        raise LookupError(f"no workflow named {name!r}") from None


def workflow(name: str) -> WorkflowDef:
    return package(name).definition


def workflow_names() -> list[str]:
    return sorted(packages())


def package_for_reference(reference: str) -> WorkflowPackage | None:
    """The package whose prefix a reference carries ("JAG-2026-000045"), if any."""
    prefix = reference.split("-", 1)[0]
    return next((p for p in packages().values() if p.reference_prefix == prefix), None)


@cache
def area(area_id: str) -> AreaConfig:
    """Load and check one area file from workflows/areas/ (cached after the first load)."""
    if area_id not in area_ids():  # never a path: the id comes from requests
        raise LookupError(f"no area {area_id!r}")
    text = resources.files("workflows").joinpath("areas", f"{area_id}.toml").read_text("utf-8")
    return parse_area(tomllib.loads(text))


def area_ids() -> list[str]:
    return list(_area_ids())


@cache
def _area_ids() -> tuple[str, ...]:
    folder = resources.files("workflows").joinpath("areas")
    names = (p.name for p in folder.iterdir())
    return tuple(sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml")))


def parse_area(raw: dict[str, Any]) -> AreaConfig:
    partnerships = {k: v["name"] for k, v in raw.get("partnerships", {}).items()}
    localities = {k: _locality(k, v, partnerships) for k, v in raw["localities"].items()}
    appeal = raw.get("appeal", {})
    return AreaConfig(
        id=raw["id"],
        name=raw["name"],
        reference_prefix=raw.get("reference_prefix", "CT"),
        threshold=ThresholdRules.from_mapping(raw.get("threshold", {})),
        timescales={k: _timescale(k, v) for k, v in raw["timescales"].items()},
        localities=localities,
        partnerships=partnerships,
        appeal_grounds=tuple(appeal.get("grounds", ())),
        reviewing_bodies=tuple(appeal.get("reviewing_bodies", ())),
        procedure_url=raw.get("procedure_url", ""),
        service_url=raw.get("service_url", "http://127.0.0.1:8000"),
        reminders=parse_reminders(raw.get("reminders", {})),
        retention=RetentionRules.from_mapping(raw.get("retention", {})),
        chair_decides_between_meetings=bool(
            raw.get("threshold_decision", {}).get("chair_decides_between_meetings", False)
        ),
        re_review_response_final=bool(appeal.get("re_review_response_final", True)),
        signposting={k: str(v) for k, v in raw.get("signposting", {}).items()},
        performance=dict(raw.get("performance", {})),
        tables=dict(raw),
    )


_POLICY_KEYS = {
    "remind_before",
    "escalate_after",
    "escalate_to",
    "remind_message",
    "escalate_message",
    "applicant_message",
}


def parse_reminders(raw: dict[str, Any]) -> ReminderSettings:
    """The `[reminders]` table; each `[reminders.deadlines.NAME]` changes only what it names."""
    told = set(raw.get("tell_applicant_when_missed", ()))
    base = _policy("reminders", raw, ReminderPolicy())
    names = set(raw.get("deadlines", {})) | told
    per = {n: _policy(n, raw.get("deadlines", {}).get(n, {}), base, tell=n in told) for n in names}
    templates = {str(k): str(v) for k, v in raw.get("notify_templates", {}).items()}
    return ReminderSettings(base, per, templates)


def _policy(
    name: str, raw: dict[str, Any], base: ReminderPolicy, *, tell: bool = False
) -> ReminderPolicy:
    values = {k: raw[k] for k in _POLICY_KEYS if k in raw}
    for key in ("remind_before", "escalate_after"):
        if key in values:
            days = tuple(int(d) for d in values[key])
            if any(d < 0 for d in days):
                raise ValueError(f"reminders for {name!r}: {key} must not be negative")
            values[key] = days
    return replace(base, tell_applicant=tell, **values)


def _locality(lid: str, raw: dict[str, Any], partnerships: dict[str, str]) -> LocalityConfig:
    if raw["partnership"] not in partnerships:
        raise ValueError(f"locality {lid!r} names unknown partnership {raw['partnership']!r}")
    scales = {k: _timescale(k, v) for k, v in raw.get("timescales", {}).items()}
    contact = {k: str(v) for k, v in raw.get("point_of_contact", {}).items()}
    return LocalityConfig(lid, raw["name"], raw["partnership"], scales, contact)


def _timescale(name: str, raw: dict[str, Any]) -> Timescale:
    if raw.get("unit") not in UNITS:
        raise ValueError(f"timescale {name!r} has unit {raw.get('unit')!r}; use one of {UNITS}")
    amount = int(raw["amount"])
    if amount < 1:
        raise ValueError(f"timescale {name!r} must be at least 1")
    return Timescale(amount, raw["unit"], raw.get("source", ""))


def check_workflow(wf: WorkflowDef) -> list[str]:
    """Structural problems in a workflow, checked against the engine's guards and effects."""
    pkg = package(wf.name)
    problems = validate(wf, guards=pkg.guards, messages={m.message for m in wf.messages})
    for t in wf.transitions:
        problems += [
            f"transition {t.trigger!r} has unknown effect {e!r}"
            for e in t.effects
            if e not in pkg.effects
        ]
    return problems


def locality_area(locality_id: str) -> AreaConfig:
    for aid in area_ids():
        cfg = area(aid)
        if locality_id in cfg.localities:
            return cfg
    raise LookupError(f"unknown locality {locality_id!r}")


@cache
def public_file(area_id: str) -> dict[str, Any]:
    """An area's public-pages data (workflows/public/<area>.toml): postcodes, phone numbers."""
    if area_id not in area_ids():
        raise LookupError(f"no area {area_id!r}")
    folder = resources.files("workflows").joinpath("public")
    return tomllib.loads(folder.joinpath(f"{area_id}.toml").read_text("utf-8"))


def locality_ids() -> list[str]:
    """Every locality of every area, for the API's enums (the OpenAPI document)."""
    return sorted(lid for aid in area_ids() for lid in area(aid).localities)


def schema_enum(values: Callable[[], list[str]]) -> Callable[[dict[str, Any]], None]:
    """A json_schema_extra that declares a field's allowed values from the area data, read
    when the schema is built (the values are checked by the engine, with a clear message)."""

    def extra(schema: dict[str, Any]) -> None:
        schema["enum"] = values()

    return extra
