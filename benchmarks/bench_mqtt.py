"""Fleet figures: one local Mosquitto, N chairs publishing telemetry, the fleet view keeping up.

Run: .venv/bin/python benchmarks/bench_mqtt.py [--chairs 1000] [--seconds 15]
     (``--seconds 60`` for the one-minute figure in docs/MQTT.md)

1. Records real telemetry: the chair service runs the Quick program on the twin (simulated time,
   as fast as it goes) and the bridge's own mapping turns its frames into one state payload per
   second of the session, with its safety events.
2. Starts Mosquitto on a free local port and, in ``--publishers`` other processes (4), N
   lightweight chairs on plain paho: each its own MQTT connection with a last will, replaying
   that telemetry from its own offset at 1 Hz (state retained, as the bridge does), each with
   its own phase in the second, stamping each state as it goes on the wire.
3. In this process the fleet view (the same ``FleetWatcher`` as ``openchair fleet``) subscribes
   to every chair; the dashboard's summary is rebuilt once a second, as the page asks for it.

Printed: chairs seen online, messages received, the lag from a chair's publish to the fleet
view (p50, p99, max), the time to build the dashboard's summary, the fleet process's memory
(RSS, sampled each second: start of the run, after the first half, at the end) and Mosquitto's
memory and CPU. Everything stays on 127.0.0.1 and ends by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import json
import os
import random
import selectors
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.mqtt.fleet import FleetView
from openchair.mqtt.fleet_watch import FleetWatcher
from openchair.mqtt.localbroker import LocalBroker
from openchair.mqtt.settings import BrokerSettings
from openchair.mqtt.telemetry import StateView, event_payload, iso_ms
from openchair.service.factory import ServiceOptions, build_service
from openchair.service.people import MemoryPeople, PersonInfo


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- 1. real telemetry ----------------------------------------------------------------------


async def record_telemetry(seconds: int) -> list[dict[str, object]]:
    """One state payload per chair second of a Quick session, with the events of that second."""
    params = BodyParams.from_percentile(50, "female")
    people = MemoryPeople([PersonInfo("p")])
    people.save_map("p", BodyBatch.from_params([params]).bodies[0].to_map())
    service = build_service(
        ServiceOptions(store=False, body=params, speed=None),
        clock=SimulatedClock(pace=None),
        people=people,
    )
    view = StateView()
    out: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    seen = 0
    async with service:
        sub = service.subscribe(maxlen=64)
        await service.select_person("p")
        answer = await service.start("quick", 3)
        assert answer.accepted, answer.reason
        next_s = None
        async for frame in sub:
            now = datetime.now(UTC)
            view.observe(frame, now)
            for e in frame.recent_events:
                if e.seq > seen:
                    seen = e.seq
                    events.append(event_payload(e, now))
            if frame.activity != "session":
                if next_s is not None:
                    break
                continue
            if next_s is None:
                next_s = frame.chair_time_s
            if frame.chair_time_s >= next_s:
                payload = view.payload(frame, now)
                payload["events"] = events
                events = []
                out.append(payload)
                next_s += 1.0
                if len(out) >= seconds:
                    break
        sub.close()
        await service.stop()
    return out


# -- 2. the chairs --------------------------------------------------------------------------


def chairs_main(port: int, chairs: int, first: int, seconds: float, telemetry_file: str) -> None:
    """``chairs`` chairs in this process, each its own paho connection with a last will.

    Plain paho without a network thread writes a publish to its socket inside ``publish()``, so
    the time stamp a chair puts in its state is the moment it goes on the wire: the lag the
    fleet measures is broker + fleet, not this process's scheduling. One selector serves every
    socket (acknowledgements, pings). The chairs publish until standard input closes (the fleet
    has measured its window) or ``seconds`` + 120 s at the latest.
    """
    telemetry = json.loads(Path(telemetry_file).read_text())
    rng = random.Random(7 + first)
    t_cpu = time.process_time()
    stop = threading.Event()

    def until_told() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_told, daemon=True).start()
    clients: list[tuple[str, paho.Client, int]] = []
    sel = selectors.DefaultSelector()
    failed = 0
    for i in range(first, first + chairs):
        cid = f"chair-{i:04d}"
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid, clean_session=True)
        c.will_set(f"openchair/{cid}/availability", "offline", qos=1, retain=True)
        try:
            c.connect("127.0.0.1", port, keepalive=60)
        except OSError:
            failed += 1
            continue
        c.publish(f"openchair/{cid}/availability", "online", qos=1, retain=True)
        sock = c.socket()
        assert sock is not None
        sel.register(sock, selectors.EVENT_READ, c)
        clients.append((cid, c, rng.randrange(len(telemetry))))
    start = time.monotonic()
    # Each chair publishes once a second at its own phase; a heap keeps the next one due.
    due = [(start + rng.random(), k, 0) for k in range(len(clients))]
    heapq.heapify(due)
    sent = 0
    last_misc = start
    while not stop.is_set() and time.monotonic() < start + seconds + 120:
        now = time.monotonic()
        while due and due[0][0] <= now:
            t, k, n = heapq.heappop(due)
            cid, c, offset = clients[k]
            record = dict(telemetry[(offset + n) % len(telemetry)])
            events = record.pop("events", [])
            record["ts"] = iso_ms(datetime.now(UTC))
            c.publish(f"openchair/{cid}/state", json.dumps(record), retain=True)
            for e in events if isinstance(events, list) else []:
                c.publish(f"openchair/{cid}/event", json.dumps(e))
            sent += 1
            heapq.heappush(due, (t + 1.0, k, n + 1))
        wait = max(0.0, min(0.05, due[0][0] - time.monotonic())) if due else 0.05
        for key, _ in sel.select(wait):
            client = key.data
            assert isinstance(client, paho.Client)
            client.loop_read()
        if now - last_misc >= 1.0:
            last_misc = now
            for _, c, _ in clients:
                c.loop_misc()
                if c.want_write():
                    c.loop_write()
    for cid, c, _ in clients:
        c.publish(f"openchair/{cid}/availability", "offline", qos=1, retain=True)
        c.disconnect()
    report = {
        "sent": sent,
        "failed": failed,
        "cpu_s": round(time.process_time() - t_cpu, 1),
    }
    print(json.dumps(report))


# -- 3. the fleet view ----------------------------------------------------------------------


async def fleet_main(
    port: int, chairs: int, seconds: float, telemetry_file: str, publishers: int
) -> None:
    view = FleetView()
    # The whole run's lags, not the view's usual window of the latest 20,000.
    view.lags_ms = deque(maxlen=int(chairs * (seconds + 10)))
    watcher = FleetWatcher(
        view, BrokerSettings("127.0.0.1", port), lambda: datetime.now(UTC), refresh_s=3600.0
    )  # the loop below refreshes the dashboard's summary once a second, as the page asks
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.connected.wait(), 10)
    rss: list[float] = [rss_mb()]
    share = -(-chairs // publishers)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--role",
                "chairs",
                "--port",
                str(port),
                "--chairs",
                str(min(share, chairs - k * share)),
                "--first",
                str(k * share),
                "--seconds",
                str(seconds),
                "--telemetry",
                telemetry_file,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(publishers)
    ]
    # Wait for the chairs to come up, then measure over the run.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while len(view.chairs) < chairs and loop.time() < deadline:
        await asyncio.sleep(0.2)
    up_after = loop.time() - (deadline - 60)
    await asyncio.sleep(1.5)  # every chair has published its first state
    view.lags_ms.clear()
    messages0 = view.messages
    cpu0 = time.process_time()
    summary_ms: list[float] = []
    online: list[int] = []
    t_end = loop.time() + seconds
    while loop.time() < t_end:
        await asyncio.sleep(1.0)
        t0 = time.perf_counter()
        s = watcher.refresh()
        summary_ms.append((time.perf_counter() - t0) * 1000)
        online.append(int(s["counts"]["online"]))  # type: ignore[index]
        rss.append(rss_mb())
    lag = view.lag_percentiles()
    messages = view.messages - messages0
    fleet_cpu = time.process_time() - cpu0
    reports = []
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()  # the window is measured: the chairs say goodbye
    for proc in procs:
        assert proc.stdout is not None
        out = await asyncio.to_thread(proc.stdout.read)
        await asyncio.to_thread(proc.wait)
        reports.append(json.loads(out.strip().splitlines()[-1]) if out.strip() else {})
    chairs_report = {
        "processes": publishers,
        "sent": sum(int(r.get("sent", 0)) for r in reports),
        "failed": sum(int(r.get("failed", 0)) for r in reports),
        "cpu_s": round(sum(float(r.get("cpu_s", 0.0)) for r in reports), 1),
    }
    # After the chairs have said goodbye, the fleet sees them offline.
    await asyncio.sleep(1.0)
    offline_after = int(watcher.refresh()["counts"]["offline"])  # type: ignore[index]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    half = len(rss) // 2
    print(f"chairs connected and seen by the fleet after {up_after:.1f} s")
    print(f"chairs online during the run: min {min(online)}, median {statistics.median(online)}")
    print(f"messages to the fleet view: {messages} in {seconds:g} s ({messages / seconds:.0f}/s)")
    print(f"chairs' publisher process: {chairs_report}")
    print(
        f"fleet process CPU: {fleet_cpu:.1f} s over {seconds:g} s "
        f"({1e6 * fleet_cpu / max(messages, 1):.0f} µs per message, summaries included)"
    )
    print(
        f"lag chair publish -> fleet view: p50 {lag['p50']} ms, p99 {lag['p99']} ms, "
        f"max {lag['max']} ms ({lag['samples']} state messages)"
    )
    print(
        f"dashboard summary of {chairs} chairs: median {statistics.median(summary_ms):.1f} ms, "
        f"max {max(summary_ms):.1f} ms"
    )
    print(
        f"fleet process RSS: {rss[0]:.0f} MB before the chairs, {rss[half]:.0f} MB at half-time, "
        f"{rss[-1]:.0f} MB at the end (max {max(rss):.0f} MB)"
    )
    print(f"after the chairs left: {offline_after} of {chairs} offline")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chairs", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--role", choices=("all", "chairs"), default="all")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument(
        "--publishers", type=int, default=4, help="processes the simulated chairs run in"
    )
    ap.add_argument("--telemetry", default="")
    args = ap.parse_args()
    if args.role == "chairs":
        chairs_main(args.port, args.chairs, args.first, args.seconds, args.telemetry)
        return
    print(f"fleet benchmark: {args.chairs} chairs, {args.seconds:g} s, one local Mosquitto")
    t0 = time.perf_counter()
    telemetry = asyncio.run(record_telemetry(60))
    print(
        f"recorded {len(telemetry)} s of Quick-session telemetry in "
        f"{time.perf_counter() - t0:.1f} s ({len(json.dumps(telemetry[0]))} bytes per state)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "telemetry.json"
        path.write_text(json.dumps(telemetry))
        with LocalBroker() as broker:
            assert broker.process is not None
            pid = broker.process.pid
            cpu0 = cpu_s(pid)
            rss0 = rss_mb(pid)
            t_run = time.perf_counter()
            asyncio.run(
                fleet_main(broker.port, args.chairs, args.seconds, str(path), args.publishers)
            )
            wall = time.perf_counter() - t_run
            cpu = cpu_s(pid) - cpu0
            print(
                f"mosquitto: RSS {rss0:.0f} -> {rss_mb(pid):.0f} MB, CPU {cpu:.1f} s over "
                f"{wall:.0f} s ({100 * cpu / wall:.0f}% of one core)"
            )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
