"""Serial link costs: host encode/decode per tick, and the POLL -> READINGS round trip at 100 Hz.

The round trip goes through a real pty to the board emulator in a thread of this process (so the
GIL is shared and the figure is pessimistic against a board on its own). Short by default:
``--seconds`` sets the 100 Hz run's length.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.serial import SerialDriver
from openchair.hardware.serial.board import Board
from openchair.hardware.serial.emulator import BoardEmulator
from openchair.hardware.serial.framing import FrameDecoder, encode_frame
from openchair.hardware.serial.messages import PROTOCOL_VERSION, Codec, MsgType, ReadingsHeader


def codec_costs(n: int = 5000) -> dict[str, float]:
    d = ChairDescription()
    codec = Codec(d)
    cmd = Commands.safe(d, 1)
    twin_readings = Readings(
        time_s=0.0,
        carriage_y_mm=np.array([100.0]),
        depth_mm=np.array([20.0]),
        width_mm=np.array([90.0]),
        force_left_n=np.array([30.0]),
        force_right_n=np.array([31.0]),
        shoulder_sensor=np.array([False]),
        air_pressure_kpa=np.zeros((1, d.n_air_zones)),
        heater_temp_c=np.full((1, d.n_heaters), 30.0),
        backrest_angle_deg=np.array([110.0]),
        legrest_angle_deg=np.array([10.0]),
        backrest_current_a=np.array([0.1]),
        legrest_current_a=np.array([0.1]),
        occupied=np.array([True]),
        stop_button=np.array([False]),
        fault_flags=np.zeros(1, dtype=np.int64),
        heater_current_a=np.array([[1.8, 0.0]]),
    )
    rframe = encode_frame(
        PROTOCOL_VERSION,
        MsgType.READINGS,
        1,
        codec.encode_readings(twin_readings, ReadingsHeader(1, 1, 0, 1)),
    )
    t0 = time.perf_counter()
    for k in range(n):
        encode_frame(PROTOCOL_VERSION, MsgType.COMMAND, k, codec.encode_commands(cmd, k))
    enc = (time.perf_counter() - t0) / n
    dec = FrameDecoder()
    t0 = time.perf_counter()
    for _ in range(n):
        (f,) = dec.feed(rframe)
        codec.decode_readings(f.payload, 0.0)
    return {
        "encode_command_us": enc * 1e6,
        "decode_readings_us": (time.perf_counter() - t0) / n * 1e6,
    }


def round_trips(seconds: float) -> np.ndarray:
    board = Board(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    with BoardEmulator(board) as em:
        drv = SerialDriver(em.path, reply_timeout_s=0.5)
        drv.open()
        d = drv.description
        frame = Commands.safe(d, 1)
        rtt = []
        start = time.monotonic()
        for k in range(int(seconds * 100)):
            due = start + k * 0.01
            while time.monotonic() < due:
                time.sleep(max(0.0, due - time.monotonic() - 0.0005))
            t = time.monotonic()
            drv.read(k * 0.01)
            rtt.append(time.monotonic() - t)
            drv.write(frame, k * 0.01)
        missed = drv.missed_total
        drv.close()
    print(f"100 Hz for {seconds:g} s: {len(rtt)} exchanges, {missed} missed")
    return np.array(rtt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    costs = codec_costs()
    print(f"host encode COMMAND frame: {costs['encode_command_us']:.1f} us per tick")
    print(f"host decode READINGS frame: {costs['decode_readings_us']:.1f} us per tick")
    rtt = round_trips(args.seconds) * 1000
    p50, p99 = np.percentile(rtt, [50, 99])
    print(
        f"POLL -> READINGS round trip over the pty: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {rtt.max():.2f} ms"
    )


if __name__ == "__main__":
    main()
