"""The serial protocol's encoding: frames, fuzzed decoding, field coverage, documented examples."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.hardware.contract import BoardFault, ChairDescription, Commands, Readings
from openchair.hardware.serial import fields
from openchair.hardware.serial.board import Board
from openchair.hardware.serial.fields import WireCoverageError, check_coverage
from openchair.hardware.serial.framing import FrameDecoder, crc32, encode_frame
from openchair.hardware.serial.messages import (
    HELLO,
    PROTOCOL_VERSION,
    TIME,
    BoardHello,
    Codec,
    Event,
    EventKind,
    MsgType,
    PayloadError,
    ReadingsHeader,
    decode_description,
    encode_description,
)

DOC = Path(__file__).parent.parent / "docs" / "PROTOCOL.md"
V = PROTOCOL_VERSION


def test_crc_is_crc32_iso_hdlc() -> None:
    assert crc32(b"123456789") == 0xCBF43926


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_never_crash_the_decoder_nor_yield_a_frame_with_a_bad_crc(data: bytes) -> None:
    for frame in FrameDecoder().feed(data):
        # A yielded frame is exactly one whose encoding (with its CRC) was in the input.
        assert encode_frame(frame.version, frame.type, frame.seq, frame.payload)[:-1] in data


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.binary(max_size=120), min_size=1, max_size=6),
    st.lists(st.binary(max_size=40), min_size=7, max_size=7),
    st.integers(min_value=1, max_value=64),
)
def test_frames_between_garbage_are_all_recovered(
    payloads: list[bytes], junk: list[bytes], chunk: int
) -> None:
    stream = b""
    for i, p in enumerate(payloads):
        stream += junk[i] + b"\x00" + encode_frame(1, 0x83, i, p)
    stream += junk[-1]
    decoder = FrameDecoder()
    got = []
    for k in range(0, len(stream), chunk):  # any split into reads
        got += decoder.feed(stream[k : k + chunk])
    assert [(f.seq, f.payload) for f in got] == [(i, p) for i, p in enumerate(payloads)]


def test_every_contract_field_is_on_the_wire() -> None:
    check_coverage()


def test_a_new_dataclass_field_off_the_wire_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass
    class ReadingsWithMore(Readings):
        supply_relay_closed: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(1))

    monkeypatch.setattr(fields, "Readings", ReadingsWithMore)
    with pytest.raises(WireCoverageError, match=r"Readings\w*\.supply_relay_closed is not carried"):
        Codec(ChairDescription())


def test_description_round_trips_and_commands_round_trip_within_half_a_step() -> None:
    d = ChairDescription()
    assert decode_description(encode_description(d)) == d
    codec = Codec(d)
    rng = np.random.default_rng(1)
    for _ in range(50):
        c = Commands.safe(d, 1)
        c.carriage_y_target_mm = rng.uniform(d.carriage_y_min_mm, d.carriage_y_max_mm, 1)
        c.depth_target_mm = rng.uniform(0, d.depth_max_mm, 1)
        c.air_pressure_target_kpa = rng.uniform(0, d.air_pressure_max_kpa, (1, d.n_air_zones))
        c.heater_target_c = rng.uniform(0, d.heater_target_max_c, (1, d.n_heaters))
        c.knead_direction = np.array([-1])
        ms, back = codec.decode_commands(codec.encode_commands(c, 123))
        assert ms == 123
        back.validate(d)  # decoded values stay inside the chair's ranges
        assert np.allclose(back.carriage_y_target_mm, c.carriage_y_target_mm, atol=0.05)
        assert np.allclose(back.depth_target_mm, c.depth_target_mm, atol=0.005)
        assert np.allclose(back.air_pressure_target_kpa, c.air_pressure_target_kpa, atol=0.005)
        assert int(back.knead_direction[0]) == -1


def test_the_safety_fields_of_version_2_travel_both_ways() -> None:
    """Supply relay command, heater currents, SUPPLY_OPEN, and a chair without the protections."""
    d = ChairDescription()
    codec = Codec(d)
    c = Commands.safe(d, 1)
    c.supply_off = np.array([True])
    _, back = codec.decode_commands(codec.encode_commands(c, 0))
    assert back.supply_off.dtype == np.bool_ and bool(back.supply_off[0])
    r = Board(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))._advance(0.0).read(0)
    r.heater_current_a = np.array([[1.734, 0.0]])
    r.fault_flags = np.array([int(BoardFault.SUPPLY_OPEN | BoardFault.SAFE_STATE)])
    header = ReadingsHeader(1, 2, 3, 0)
    _, got = codec.decode_readings(codec.encode_readings(r, header), 0.0)
    assert np.array_equal(got.heater_current_a, r.heater_current_a)
    assert BoardFault(int(got.fault_flags[0])) & BoardFault.SUPPLY_OPEN

    bare = dataclasses.replace(
        d, supply_relay=False, heater_cutout_c=None, heater_current_a=0.0, watchdog_supply_cut_s=2.5
    )
    assert decode_description(encode_description(bare)) == bare
    bare_codec = Codec(bare)
    assert bare_codec.readings_size == codec.readings_size - 2 * d.n_heaters
    r.heater_current_a = np.zeros((1, 0))  # such a board senses no heater current
    _, got = bare_codec.decode_readings(bare_codec.encode_readings(r, header), 0.0)
    assert got.heater_current_a.shape == (1, 0)
    with pytest.raises(ValueError, match=r"heater_cutout_c: 0\.001 would read as none"):
        encode_description(dataclasses.replace(d, heater_cutout_c=0.001))


def test_a_value_the_wire_cannot_hold_is_refused_by_name() -> None:
    d = ChairDescription()
    c = Commands.safe(d, 1)
    c.carriage_y_target_mm = np.array([5000.0])
    with pytest.raises(ValueError, match="carriage_y_target_mm: 5000 does not fit"):
        Codec(d).encode_commands(c, 0)


def test_board_ignores_repeated_and_late_commands_and_refuses_before_hello() -> None:
    board = Board(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    d = board.description
    codec = Codec(d)
    c = Commands.safe(d, 1)
    board.receive(encode_frame(V, MsgType.COMMAND, 5, codec.encode_commands(c, 0)), 0.0)
    assert board.rejected == 1  # not armed yet
    board.receive(encode_frame(V, MsgType.HELLO, 0, HELLO.pack(V, V)), 0.0)
    assert board.armed
    for seq in (10, 10, 9, 11):
        board.receive(encode_frame(V, MsgType.COMMAND, seq, codec.encode_commands(c, 0)), 0.0)
    assert board.duplicates == 2
    board.receive(encode_frame(V, MsgType.POLL, 3, TIME.pack(10)), 0.0)
    frames = FrameDecoder().feed(b"".join(board.out))
    readings = [f for f in frames if f.type == MsgType.READINGS]
    header, _ = codec.decode_readings(readings[-1].payload, 0.01)
    assert (header.poll_seq, header.command_seq) == (3, 11)
    events = [Event.decode(f.payload) for f in frames if f.type == MsgType.EVENT]
    assert events[0].kind == EventKind.NOT_ARMED


# -- the worked examples of docs/PROTOCOL.md ------------------------------------------------------


def _doc_examples() -> dict[str, bytes]:
    text = DOC.read_text(encoding="utf-8").split("## 9. Worked examples")[1].split("## 10.")[0]
    found = re.findall(r"^([A-Z_]+) seq=\d+.*:\n  ((?:[0-9a-f]{2} ?)+)$", text, re.MULTILINE)
    return {name: bytes.fromhex(hexes) for name, hexes in found}


def test_the_documented_example_frames_are_what_the_encoder_sends() -> None:
    ex = _doc_examples()
    assert set(ex) == {"HELLO", "POLL", "HEARTBEAT", "BOARD_HELLO", "COMMAND"}
    assert ex["HELLO"] == encode_frame(V, MsgType.HELLO, 0, HELLO.pack(V, V))
    assert ex["POLL"] == encode_frame(V, MsgType.POLL, 7, TIME.pack(1250))
    assert ex["HEARTBEAT"] == encode_frame(V, MsgType.HEARTBEAT, 9, TIME.pack(1260))
    hello = BoardHello(V, 0x12345678, "demo").encode()
    assert ex["BOARD_HELLO"] == encode_frame(V, MsgType.BOARD_HELLO, 0, hello)
    d = ChairDescription()
    c = Commands.safe(d, 1)
    c.carriage_y_target_mm = np.array([412.3])
    c.carriage_speed_limit_mm_s = np.array([60.0])
    c.depth_target_mm = np.array([35.5])
    c.knead_speed_cpm = np.array([30.0])
    c.heater_target_c = np.array([[40.0, 0.0]])
    c.air_pressure_target_kpa[0, d.air_zone_index("seat")] = 20.0
    c.backrest_angle_target_deg = np.array([120.0])
    assert ex["COMMAND"] == encode_frame(V, MsgType.COMMAND, 8, Codec(d).encode_commands(c, 1260))
    # And the decoder reads the documented frames back.
    (frame,) = FrameDecoder().feed(ex["COMMAND"])
    ms, back = Codec(d).decode_commands(frame.payload)
    assert ms == 1260 and float(back.depth_target_mm[0]) == 35.5


def test_the_documented_field_tables_match_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table in (fields.COMMAND_FIELDS, fields.READINGS_FIELDS, fields.DESCRIPTION_FIELDS):
        for i, f in enumerate(table):
            step = "" if f.kind in ("str", "names", "bool") else f"{f.scale:g}"
            assert f"| {i + 1} | `{f.name}` | {f.wire_type} | {step} | {f.per} |" in text, f.name


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=120))
def test_any_well_framed_message_never_crashes_board_or_host_decoders(
    msg_type: int, seq: int, payload: bytes
) -> None:
    """A frame can pass its CRC and still carry nonsense (a buggy peer): refused, never a crash."""
    board = _BOARD
    board.receive(encode_frame(V, msg_type, seq, payload), 0.0)
    board.out.clear()
    codec = Codec(board.description)
    for decode in (
        lambda: codec.decode_readings(payload, 0.0),
        lambda: codec.decode_commands(payload),
        lambda: decode_description(payload),
        lambda: BoardHello.decode(payload),
        lambda: Event.decode(payload),
    ):
        with contextlib.suppress(PayloadError):
            decode()


_BOARD = Board(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))


def test_emulator_fault_options_parse_or_say_what_is_known() -> None:
    import typer

    from openchair.cli.board_emulator_cmd import split_faults
    from openchair.hardware.serial.linkfaults import LinkFault, parse_link_fault
    from openchair.hardware.twin import TwinFault

    twin, link = split_faults(["pump_dead@30", "drop_bytes=0.01@2", "cable_pulled@5", "duplicate"])
    assert twin == [(TwinFault.PUMP_DEAD, 30.0, None)]
    assert [(f.fault, f.value, f.at_s) for f in link] == [
        (LinkFault.DROP_BYTES, 0.01, 2.0),
        (LinkFault.CABLE_PULLED, 0.0, 5.0),
        (LinkFault.DUPLICATE, 0.0, 0.0),
    ]
    with pytest.raises(ValueError, match="link faults: drop_bytes"):
        parse_link_fault("unplugged")
    with pytest.raises(ValueError, match="out of range"):
        parse_link_fault("drop_bytes=2")
    with pytest.raises(typer.BadParameter, match="link faults: drop_bytes"):
        split_faults(["bogus@3"])
    twin, _ = split_faults(["thermal_cutout_failed:calves@2", "valve_stuck:seat"])
    assert twin == [
        (TwinFault.THERMAL_CUTOUT_FAILED, 2.0, "calves"),
        (TwinFault.VALVE_STUCK, 0.0, "seat"),
    ]
    with pytest.raises(typer.BadParameter, match="this chair has: back, calves"):
        split_faults(["thermal_cutout_failed:seat@2"])
    with pytest.raises(typer.BadParameter, match="takes no target"):
        split_faults(["supply_relay_welded:back"])
