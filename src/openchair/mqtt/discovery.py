"""Home Assistant MQTT discovery for one chair: a pure mapping, no network, no web, no CLI.

Home Assistant's rule for integrations is that the mapping from a device to its entities is a
small module of its own; this is it. :func:`device_config` gives the retained payload for
Home Assistant's *device-based* discovery topic (``homeassistant/device/<object_id>/config``,
Home Assistant 2024.11 and later): one device, its components keyed by id, each with its
``platform``, and an ``origin``. Availability is shared at device level and points at the
chair's availability topic, whose last will is ``offline``.

Home Assistant drops keys it does not know without a word (its discovery schemas remove
extras), so a misspelt key would silently do nothing: the tests check every key of every
component against the platform's documented schema.

The entities are what a person in front of the chair uses: the program (select), start, stop,
pause and resume (buttons), a body scan and clearing a stop (buttons), intensity (number),
heat (switch), whether someone is seated (occupancy), the session's state, step and end time
(a timestamp: Home Assistant shows the countdown itself, and the recorder gets one value per
session instead of one per second), the peak force and the warmest heater (sensors with units),
and a fault (problem). Who is seated is never published.
"""

from __future__ import annotations

from dataclasses import dataclass

from openchair.mqtt.topics import OFFLINE, ONLINE, ChairTopics

SESSION_STATES = ("idle", "scanning", "running", "paused", "finishing", "done", "stopped", "fault")
"""Every value of ``StateFrame.state`` (the enum sensor's options)."""

PAYLOAD_PRESS = "PRESS"
"""Home Assistant's default button payload."""
PAYLOAD_ON, PAYLOAD_OFF = "ON", "OFF"


@dataclass(frozen=True)
class ChairInfo:
    """What discovery needs to know about the chair and this software."""

    model: str
    programs: tuple[str, ...]
    """Program names as a person reads them (the select's options)."""
    sw_version: str
    name: str = "Massage chair"
    manufacturer: str = "openchair"
    intensity_min: int = 1
    intensity_max: int = 5


def _value(key: str) -> str:
    return "{{ value_json." + key + " }}"


def components(topics: ChairTopics) -> dict[str, dict[str, object]]:
    """Every entity of the chair, keyed by its component id (without the program options,
    which :func:`device_config` adds)."""
    uid = f"openchair_{topics.chair_id}"
    state = topics.state

    def button(key: str, name: str, icon: str, **extra: object) -> dict[str, object]:
        return {
            "platform": "button",
            "unique_id": f"{uid}_{key}",
            "name": name,
            "command_topic": topics.command(key),
            "payload_press": PAYLOAD_PRESS,
            "icon": icon,
            **extra,
        }

    return {
        "program": {
            "platform": "select",
            "unique_id": f"{uid}_program",
            "name": "Program",
            "icon": "mdi:format-list-bulleted",
            "command_topic": topics.command("program"),
            "state_topic": state,
            "value_template": _value("program_name"),
            "options": [],
        },
        "start": button("start", "Start", "mdi:play"),
        "stop": button("stop", "Stop", "mdi:stop"),
        "pause": button("pause", "Pause", "mdi:pause"),
        "resume": button("resume", "Resume", "mdi:play-pause"),
        "scan": button("scan", "Body scan", "mdi:human-handsdown"),
        "reset": button("reset", "Clear stop", "mdi:restore", entity_category="config"),
        "intensity": {
            "platform": "number",
            "unique_id": f"{uid}_intensity",
            "name": "Intensity",
            "icon": "mdi:gauge",
            "command_topic": topics.command("intensity"),
            "state_topic": state,
            "value_template": _value("intensity"),
            "min": 1,
            "max": 5,
            "step": 1,
            "mode": "slider",
        },
        "heat": {
            "platform": "switch",
            "unique_id": f"{uid}_heat",
            "name": "Heat",
            "icon": "mdi:heat-wave",
            "command_topic": topics.command("heat"),
            "state_topic": state,
            "value_template": _value("heat"),
            "payload_on": PAYLOAD_ON,
            "payload_off": PAYLOAD_OFF,
        },
        "seated": {
            "platform": "binary_sensor",
            "unique_id": f"{uid}_seated",
            "name": "Person seated",
            "device_class": "occupancy",
            "state_topic": state,
            "value_template": _value("seated"),
            "payload_on": PAYLOAD_ON,
            "payload_off": PAYLOAD_OFF,
        },
        "state": {
            "platform": "sensor",
            "unique_id": f"{uid}_state",
            "name": "Session state",
            "icon": "mdi:massage",
            "device_class": "enum",
            "options": list(SESSION_STATES),
            "state_topic": state,
            "value_template": _value("state"),
        },
        "step": {
            "platform": "sensor",
            "unique_id": f"{uid}_step",
            "name": "Step",
            "icon": "mdi:format-list-numbered",
            "state_topic": state,
            "value_template": _value("step"),
        },
        "ends_at": {
            "platform": "sensor",
            "unique_id": f"{uid}_ends_at",
            "name": "Ends at",
            "device_class": "timestamp",
            "state_topic": state,
            "value_template": _value("ends_at"),
        },
        "peak_force": {
            "platform": "sensor",
            "unique_id": f"{uid}_peak_force",
            "name": "Peak force",
            "icon": "mdi:arrow-collapse-down",
            "state_topic": state,
            "value_template": _value("peak_force_n"),
            "unit_of_measurement": "N",
            "state_class": "measurement",
            "suggested_display_precision": 0,
        },
        "temperature": {
            "platform": "sensor",
            "unique_id": f"{uid}_temperature",
            "name": "Heater temperature",
            "device_class": "temperature",
            "state_topic": state,
            "value_template": _value("temperature_c"),
            "unit_of_measurement": "°C",
            "state_class": "measurement",
            "suggested_display_precision": 1,
        },
        "fault": {
            "platform": "binary_sensor",
            "unique_id": f"{uid}_fault",
            "name": "Fault",
            "device_class": "problem",
            "entity_category": "diagnostic",
            "state_topic": state,
            "value_template": _value("fault"),
            "payload_on": PAYLOAD_ON,
            "payload_off": PAYLOAD_OFF,
            "json_attributes_topic": topics.attributes,
        },
    }


def device_config(topics: ChairTopics, chair: ChairInfo) -> dict[str, object]:
    """The retained payload for :attr:`ChairTopics.discovery`."""
    cmps = components(topics)
    cmps["program"]["options"] = list(chair.programs)
    cmps["intensity"]["min"] = chair.intensity_min
    cmps["intensity"]["max"] = chair.intensity_max
    return {
        "device": {
            "identifiers": [f"openchair_{topics.chair_id}"],
            "name": chair.name,
            "manufacturer": chair.manufacturer,
            "model": chair.model,
            "serial_number": topics.chair_id,
            "sw_version": chair.sw_version,
        },
        "origin": {
            "name": "openchair",
            "sw_version": chair.sw_version,
        },
        "availability_topic": topics.availability,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "components": cmps,
    }


def removal_payload() -> bytes:
    """Published retained on the discovery topic, an empty payload removes the device from
    Home Assistant."""
    return b""
