"""The processes ctengine runs, as data in the engine's vocabulary."""

from workflows.community_trigger import COMMUNITY_TRIGGER

WORKFLOWS = {COMMUNITY_TRIGGER.name: COMMUNITY_TRIGGER}
