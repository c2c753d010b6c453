"""MQTT: the chair in Home Assistant (device discovery, state, commands) and fleet telemetry.

``discovery`` maps the chair to Home Assistant's entities (pure data), ``telemetry`` turns the
service's state frames into MQTT payloads, ``commands`` parses what arrives on command topics
and calls the same ``ChairService`` methods as every other client, ``bridge`` is the client
task beside the service, ``fleet`` watches many chairs. docs/MQTT.md has the topic table.
"""
