"""The topic layout: every chair under ``openchair/<chair_id>/``, discovery under Home Assistant's
prefix. One place, so the bridge, the fleet view, the docs' table and a broker ACL agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "openchair"
DISCOVERY_PREFIX = "homeassistant"
HA_STATUS_TOPIC = f"{DISCOVERY_PREFIX}/status"
"""Home Assistant's birth (``online``) and last will (``offline``) messages."""

ONLINE, OFFLINE = "online", "offline"

COMMANDS = ("program", "start", "stop", "pause", "resume", "scan", "reset", "intensity", "heat")
"""Command topics ``openchair/<id>/cmd/<name>``; anything else under ``cmd/`` is refused."""

_CHAIR_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BadChairIdError(ValueError):
    """A chair id that cannot be a topic level (wildcards, slashes, spaces, too long)."""


def check_chair_id(chair_id: str) -> str:
    if not _CHAIR_ID.match(chair_id):
        raise BadChairIdError(
            f"chair id {chair_id!r} must be 1-64 letters, digits, '-' or '_' "
            "(it becomes an MQTT topic level)"
        )
    return chair_id


@dataclass(frozen=True)
class ChairTopics:
    """The topics of one chair."""

    chair_id: str
    root: str = ROOT
    discovery_prefix: str = DISCOVERY_PREFIX

    def __post_init__(self) -> None:
        check_chair_id(self.chair_id)

    @property
    def base(self) -> str:
        return f"{self.root}/{self.chair_id}"

    @property
    def availability(self) -> str:
        """``online``/``offline``, retained; ``offline`` is also the connection's last will."""
        return f"{self.base}/availability"

    @property
    def state(self) -> str:
        """The chair's state as JSON, retained: on every change and once a second."""
        return f"{self.base}/state"

    @property
    def attributes(self) -> str:
        """Details for Home Assistant's fault entity (rule, message), retained."""
        return f"{self.base}/fault"

    @property
    def events(self) -> str:
        """One JSON message per safety event, as it happens."""
        return f"{self.base}/event"

    @property
    def session(self) -> str:
        """The summary of a session that ended, retained (the last one)."""
        return f"{self.base}/session"

    @property
    def result(self) -> str:
        """The answer to every command: accepted, or refused with the reason."""
        return f"{self.base}/result"

    @property
    def command_filter(self) -> str:
        return f"{self.base}/cmd/+"

    def command(self, name: str) -> str:
        return f"{self.base}/cmd/{name}"

    def command_name(self, topic: str) -> str | None:
        """``start`` for ``openchair/<id>/cmd/start``; None for any other topic."""
        prefix = f"{self.base}/cmd/"
        return topic[len(prefix) :] if topic.startswith(prefix) else None

    @property
    def discovery(self) -> str:
        """Home Assistant's device-based discovery topic for this chair (retained)."""
        return f"{self.discovery_prefix}/device/{self.root}_{self.chair_id}/config"


def fleet_filters(root: str = ROOT) -> tuple[str, ...]:
    """What the fleet view subscribes to: every chair's state, availability, events, sessions."""
    return tuple(f"{root}/+/{leaf}" for leaf in ("availability", "state", "event", "session"))
