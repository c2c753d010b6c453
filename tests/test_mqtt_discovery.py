"""The Home Assistant discovery payload, checked key by key against Home Assistant's schemas.

Home Assistant validates discovery with voluptuous schemas and silently drops keys it does not
know (``extra=vol.REMOVE_EXTRA``), so a misspelt key would do nothing and no one would notice.
The schemas below are copied as data from Home Assistant's MQTT integration
(``homeassistant/components/mqtt/``: ``schemas.py`` for ``DEVICE_DISCOVERY_SCHEMA``,
``MQTT_ENTITY_COMMON_SCHEMA``, the device and origin schemas; ``config.py`` for
``MQTT_BASE_SCHEMA``/``MQTT_RO_SCHEMA``/``MQTT_RW_SCHEMA``; one module per platform,
``select.py``, ``button.py``, ``number.py``, ``switch.py``, ``binary_sensor.py``, ``sensor.py``)
and its documentation pages ``integrations/mqtt`` ("Device discovery payload") and
``integrations/<platform>.mqtt``.
"""

from __future__ import annotations

import json
import re

import pytest

from openchair.mqtt.discovery import SESSION_STATES, ChairInfo, device_config
from openchair.mqtt.topics import ChairTopics

# -- Home Assistant's schemas, as data --------------------------------------------------------

# MQTT_BASE_SCHEMA (config.py)
BASE = {"qos", "encoding", "group"}
# MQTT_RO_SCHEMA: state_topic required
RO = BASE | {"state_topic", "value_template"}
# MQTT_RW_SCHEMA: command_topic required
RW = BASE | {"command_topic", "optimistic", "retain", "state_topic"}
# MQTT_AVAILABILITY_SCHEMA and MQTT_ENTITY_COMMON_SCHEMA (schemas.py); "platform" is how
# device-based discovery names a component's platform (COMPONENT_CONFIG_SCHEMA).
COMMON = {
    "availability",
    "availability_mode",
    "availability_template",
    "availability_topic",
    "payload_available",
    "payload_not_available",
    "device",
    "origin",
    "enabled_by_default",
    "entity_category",
    "icon",
    "json_attributes_topic",
    "json_attributes_template",
    "object_id",
    "unique_id",
    "platform",
}

PLATFORMS: dict[str, dict[str, set[str]]] = {
    # select.py: MQTT_RW_SCHEMA + command_template, name, options (required), value_template
    "select": {
        "allowed": RW | COMMON | {"command_template", "name", "options", "value_template"},
        "required": {"command_topic", "options"},
    },
    # button.py: MQTT_BASE_SCHEMA + command_template, command_topic (required), device_class,
    # name, payload_press (default "PRESS"), retain
    "button": {
        "allowed": BASE
        | COMMON
        | {"command_template", "command_topic", "device_class", "name", "payload_press", "retain"},
        "required": {"command_topic"},
    },
    # number.py: MQTT_RW_SCHEMA + command_template, device_class, max, min, mode, name,
    # payload_reset, step, unit_of_measurement, value_template
    "number": {
        "allowed": RW
        | COMMON
        | {
            "command_template",
            "device_class",
            "max",
            "min",
            "mode",
            "name",
            "payload_reset",
            "step",
            "unit_of_measurement",
            "value_template",
        },
        "required": {"command_topic"},
    },
    # switch.py: MQTT_RW_SCHEMA + command_template, name, payload_off/on, state_off/on,
    # value_template, device_class
    "switch": {
        "allowed": RW
        | COMMON
        | {
            "command_template",
            "name",
            "payload_off",
            "payload_on",
            "state_off",
            "state_on",
            "value_template",
            "device_class",
        },
        "required": {"command_topic"},
    },
    # binary_sensor.py: MQTT_RO_SCHEMA + device_class, expire_after, force_update, name,
    # off_delay, payload_off, payload_on
    "binary_sensor": {
        "allowed": RO
        | COMMON
        | {
            "device_class",
            "expire_after",
            "force_update",
            "name",
            "off_delay",
            "payload_off",
            "payload_on",
        },
        "required": {"state_topic"},
    },
    # sensor.py: MQTT_RO_SCHEMA + device_class, expire_after, force_update,
    # last_reset_value_template, name, options, suggested_display_precision, state_class,
    # unit_of_measurement
    "sensor": {
        "allowed": RO
        | COMMON
        | {
            "device_class",
            "expire_after",
            "force_update",
            "last_reset_value_template",
            "name",
            "options",
            "suggested_display_precision",
            "state_class",
            "unit_of_measurement",
        },
        "required": {"state_topic"},
    },
}
# DEVICE_DISCOVERY_SCHEMA (schemas.py): device, components (cmps), origin required; shared
# availability options, state_topic, command_topic, qos, encoding optional.
DEVICE_LEVEL_ALLOWED = {
    "device",
    "components",
    "origin",
    "state_topic",
    "command_topic",
    "qos",
    "encoding",
    "availability",
    "availability_mode",
    "availability_template",
    "availability_topic",
    "payload_available",
    "payload_not_available",
}
DEVICE_LEVEL_REQUIRED = {"device", "components", "origin"}
# MQTT_ENTITY_DEVICE_INFO_SCHEMA: at least one of identifiers/connections
DEVICE_INFO_ALLOWED = {
    "identifiers",
    "connections",
    "manufacturer",
    "model",
    "model_id",
    "name",
    "hw_version",
    "serial_number",
    "sw_version",
    "via_device",
    "suggested_area",
    "configuration_url",
}
# MQTT_ORIGIN_INFO_SCHEMA: name required
ORIGIN_ALLOWED = {"name", "sw_version", "support_url"}
# Home Assistant's entity categories, sensor state classes, number modes, device classes used.
ENTITY_CATEGORIES = {"config", "diagnostic"}
STATE_CLASSES = {"measurement", "total", "total_increasing", "measurement_angle"}
NUMBER_MODES = {"auto", "box", "slider"}
DEVICE_CLASSES = {
    "binary_sensor": {"occupancy", "problem"},  # among BinarySensorDeviceClass
    "sensor": {"enum", "timestamp", "temperature"},  # among SensorDeviceClass
}
# A topic: no wildcards when published to, no empty levels at either end.
TOPIC = re.compile(r"^[^#+\s]+(/[^#+\s]+)*$")

CHAIR = ChairInfo(
    model="openchair twin",
    programs=("After the Office", "Quick", "Lumbar"),
    sw_version="0.1.0",
)
TOPICS = ChairTopics("living-room")


@pytest.fixture
def config() -> dict[str, object]:
    payload = device_config(TOPICS, CHAIR)
    # What the bridge publishes is JSON: the payload must survive it unchanged.
    restored: dict[str, object] = json.loads(json.dumps(payload))
    assert restored == payload
    return restored


def _components(config: dict[str, object]) -> dict[str, dict[str, object]]:
    cmps = config["components"]
    assert isinstance(cmps, dict)
    return cmps


def test_device_level_keys_follow_device_discovery_schema(config: dict[str, object]) -> None:
    assert set(config) >= DEVICE_LEVEL_REQUIRED
    assert set(config) <= DEVICE_LEVEL_ALLOWED
    device = config["device"]
    assert isinstance(device, dict)
    assert set(device) <= DEVICE_INFO_ALLOWED
    assert device["identifiers"] == ["openchair_living-room"]
    assert all(isinstance(v, str) for k, v in device.items() if k != "identifiers")
    origin = config["origin"]
    assert isinstance(origin, dict)
    assert "name" in origin and set(origin) <= ORIGIN_ALLOWED
    assert TOPICS.discovery == "homeassistant/device/openchair_living-room/config"


def test_availability_is_the_chairs_topic_with_online_offline(config: dict[str, object]) -> None:
    assert config["availability_topic"] == "openchair/living-room/availability"
    assert config["payload_available"] == "online"
    assert config["payload_not_available"] == "offline"


def test_every_component_has_only_keys_its_platform_knows(config: dict[str, object]) -> None:
    cmps = _components(config)
    uids = set()
    for cid, comp in cmps.items():
        platform = comp["platform"]
        assert isinstance(platform, str) and platform in PLATFORMS, cid
        schema = PLATFORMS[platform]
        unknown = set(comp) - schema["allowed"]
        assert not unknown, f"{cid}: {sorted(unknown)} are not {platform} options"
        missing = schema["required"] - set(comp)
        assert not missing, f"{cid}: {sorted(missing)} required for {platform}"
        # Device-based discovery needs a unique_id for every component.
        uid = comp["unique_id"]
        assert isinstance(uid, str) and uid.startswith("openchair_living-room_")
        uids.add(uid)
        for key in ("state_topic", "command_topic", "json_attributes_topic"):
            if key in comp:
                topic = comp[key]
                assert isinstance(topic, str) and TOPIC.match(topic), (cid, key)
                assert topic.startswith("openchair/living-room/")
        if "entity_category" in comp:
            assert comp["entity_category"] in ENTITY_CATEGORIES
        if "state_class" in comp:
            assert comp["state_class"] in STATE_CLASSES
        if "device_class" in comp:
            assert comp["device_class"] in DEVICE_CLASSES[platform], cid
        if "value_template" in comp:
            assert re.fullmatch(r"\{\{ value_json\.[a-z_]+ \}\}", str(comp["value_template"]))
    assert len(uids) == len(cmps)


def test_the_entities_a_person_uses_are_there(config: dict[str, object]) -> None:
    cmps = _components(config)
    by_platform: dict[str, set[str]] = {}
    for cid, comp in cmps.items():
        by_platform.setdefault(str(comp["platform"]), set()).add(cid)
    assert by_platform["select"] == {"program"}
    assert {"start", "stop", "pause"} <= by_platform["button"]
    assert by_platform["number"] == {"intensity"}
    assert by_platform["switch"] == {"heat"}
    assert by_platform["binary_sensor"] == {"seated", "fault"}
    assert {"state", "step", "ends_at", "peak_force", "temperature"} <= by_platform["sensor"]


def test_program_select_offers_the_chairs_programs(config: dict[str, object]) -> None:
    program = _components(config)["program"]
    assert program["options"] == ["After the Office", "Quick", "Lumbar"]
    assert program["command_topic"] == "openchair/living-room/cmd/program"
    assert program["state_topic"] == "openchair/living-room/state"


def test_buttons_send_home_assistants_default_press(config: dict[str, object]) -> None:
    cmps = _components(config)
    for cid in ("start", "stop", "pause", "resume", "scan", "reset"):
        assert cmps[cid]["payload_press"] == "PRESS"
        assert cmps[cid]["command_topic"] == f"openchair/living-room/cmd/{cid}"
        assert "retain" not in cmps[cid]  # default false: a press is never stored


def test_intensity_is_a_slider_over_the_services_range(config: dict[str, object]) -> None:
    n = _components(config)["intensity"]
    # number.py validate_config: min must be below max; step at least 1e-3.
    assert (n["min"], n["max"], n["step"], n["mode"]) == (1, 5, 1, "slider")
    assert n["mode"] in NUMBER_MODES


def test_heat_switch_and_binary_sensors_use_on_off(config: dict[str, object]) -> None:
    cmps = _components(config)
    for cid in ("heat", "seated", "fault"):
        assert (cmps[cid]["payload_on"], cmps[cid]["payload_off"]) == ("ON", "OFF")
    assert cmps["seated"]["device_class"] == "occupancy"
    assert cmps["fault"]["device_class"] == "problem"
    assert cmps["fault"]["entity_category"] == "diagnostic"


def test_sensors_have_units_classes_and_valid_combinations(config: dict[str, object]) -> None:
    cmps = _components(config)
    assert cmps["ends_at"]["device_class"] == "timestamp"
    # A timestamp is not a measurement and has no unit (sensor.py validation, and the
    # sensor entity refuses a unit on a timestamp).
    assert "unit_of_measurement" not in cmps["ends_at"]
    assert "state_class" not in cmps["ends_at"]
    assert cmps["peak_force"]["unit_of_measurement"] == "N"
    assert cmps["temperature"]["unit_of_measurement"] == "°C"
    assert cmps["temperature"]["device_class"] == "temperature"
    state = cmps["state"]
    # sensor.py: options only with device_class enum, never with state_class or a unit.
    assert state["device_class"] == "enum"
    assert state["options"] == list(SESSION_STATES)
    assert "state_class" not in state and "unit_of_measurement" not in state
    for cid, comp in cmps.items():
        if comp["platform"] == "sensor" and "options" in comp:
            assert comp.get("device_class") == "enum", cid


def test_another_chair_gets_its_own_ids_and_topics() -> None:
    a = device_config(ChairTopics("a"), CHAIR)
    b = device_config(ChairTopics("b"), CHAIR)
    ids_a = {c["unique_id"] for c in _components(a).values()}
    ids_b = {c["unique_id"] for c in _components(b).values()}
    assert not ids_a & ids_b
    assert ChairTopics("a").discovery != ChairTopics("b").discovery


@pytest.mark.parametrize("bad", ["", "a/b", "a+b", "#", "with space", "x" * 65])
def test_chair_ids_that_cannot_be_a_topic_level_are_refused(bad: str) -> None:
    from openchair.mqtt.topics import BadChairIdError

    with pytest.raises(BadChairIdError):
        ChairTopics(bad)
