"""``openchair run`` and ``openchair demo``: a session on the twin, with its safety summary."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.cli.body_spec import parse_body
from openchair.cli.session_view import live_view, summary_table
from openchair.control import RealClock, Session, SimulatedClock, run_session
from openchair.control.clock import Clock
from openchair.control.record import Outcome, SessionRecord
from openchair.hardware.contract import ChairDescription
from openchair.hardware.twin import TwinChair, TwinFault
from openchair.hardware.twin.faults import check_target, parse_fault
from openchair.programs import ProgramError, load_program
from openchair.safety.mapcheck import compare_maps
from openchair.scan import load_map, run_scan
from openchair.verify.truth import TruthPeaks, follow_unattended


@dataclass(frozen=True)
class ScheduledFault:
    fault: TwinFault
    at_s: float
    target: str | None = None
    """The heater or air zone the fault breaks (None: the fault's default)."""


def parse_fault_at(text: str) -> ScheduledFault:
    """``NAME[:TARGET]@SECONDS``, e.g. ``heater_relay_stuck_on:calves@95``."""
    spec, _, when = text.partition("@")
    name, _, target = spec.partition(":")
    try:
        fault = parse_fault(name.strip())
        check_target(fault, target.strip() or None, ChairDescription())
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--fault") from None
    try:
        at = float(when) if when else 0.0
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected NAME@SECONDS, e.g. pump_dead@30", param_hint="--fault"
        ) from None
    if at < 0:
        raise typer.BadParameter(f"{text!r}: the time must not be negative", param_hint="--fault")
    return ScheduledFault(fault, at, target.strip() or None)


def parse_speed(text: str) -> float | None:
    """``fast`` → None (as fast as possible), ``realtime`` → 1, a number → that many × real time."""
    if text == "fast":
        return None
    if text == "realtime":
        return 1.0
    try:
        speed = float(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: use realtime, fast or a factor like 10", param_hint="--speed"
        ) from None
    if not 0 < speed <= 1000:
        raise typer.BadParameter(f"{text}: the factor must be in (0, 1000]", param_hint="--speed")
    return speed


def run_on_twin(
    program_id: str,
    body: BodyParams,
    *,
    speed: float | None,
    intensity: int,
    faults: list[ScheduledFault],
    seed: int,
    console: Console | None,
    live: bool,
    scan: bool = True,
    body_map: Path | None = None,
) -> SessionRecord:
    """Build twin, scan (unless a map is given or scanning is off), run the session to the end
    (or Ctrl-C), return the record."""
    try:
        program = load_program(program_id)
    except ProgramError as err:
        for m in err.messages:
            typer.echo(m, err=True)
        raise typer.Exit(2) from None
    bodies = BodyBatch.from_params([body])
    twin = TwinChair(bodies, seeds=[seed])
    start_s = 0.0
    if body_map is not None:
        try:
            maps = BodyMapBatch.from_maps([load_map(body_map)])
        except ValueError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        # A saved map is input, not truth: a light-contact pass checks it against the person.
        felt = run_scan(twin)
        if felt.chairs[0].body_map is None:
            typer.echo(f"light-contact check: {felt.chairs[0].message}", err=True)
            raise typer.Exit(1)
        check = compare_maps(maps, felt.maps())
        if not check.ok:
            typer.echo(
                f"{body_map}: does not fit the person seated ({check.mismatch[0]}): "
                "scan again (run without --body-map)",
                err=True,
            )
            raise typer.Exit(1)
        maps = check.maps
        start_s = felt.duration_s + 0.01
    elif scan:
        if console is not None:
            console.print("scanning the back (about 17 s of chair time)…")
        result = run_scan(twin)
        chair = result.chairs[0]
        if chair.body_map is None:
            typer.echo(f"scan: {chair.message}", err=True)
            raise typer.Exit(1)
        maps = BodyMapBatch.from_maps([chair.body_map])
        start_s = result.duration_s + 0.01
        if console is not None:
            console.print(
                f"scan: shoulders at {chair.body_map.landmarks_y_mm['shoulder']:.0f} mm, "
                f"lumbar comfortable depth {chair.body_map.comfortable_depth_mm['lumbar']:.0f} mm"
            )
    else:
        maps = bodies.true_maps()
    session = Session(program, maps, twin, intensity=intensity, start_s=start_s)
    # Real time drives the twin like a chair (deadlines count); other paces are simulation.
    clock: Clock = RealClock() if speed == 1.0 else SimulatedClock(pace=speed)
    pending = sorted(faults, key=lambda f: f.at_s)
    view: Live | None = None
    last_print = [-1e9]

    peaks = TruthPeaks(bodies)

    def on_tick(s: Session, now_s: float) -> None:
        peaks.observe(twin.peek_truth())
        while pending and pending[0].at_s <= now_s - s.start_s:
            due = pending.pop(0)
            twin.inject(due.fault, target=due.target)
        if view is not None and s.ticks % 10 == 0:
            view.update(live_view(s, now_s))
        elif console is not None and not live and now_s - last_print[0] >= 60.0:
            last_print[0] = now_s
            r = s.last_readings
            assert r is not None
            console.print(
                f"{int(now_s // 60)}:{int(now_s % 60):02d} "
                f"{s.compiled.step_label(s.compiled.step_at(s.program_tick))} — "
                f"y {r.carriage_y_mm[0]:.0f} mm, depth {r.depth_mm[0]:.0f} mm, "
                f"force {max(r.force_left_n[0], r.force_right_n[0]):.0f} N"
            )

    if live and console is not None:
        with Live(live_view(session, 0.0), console=console, refresh_per_second=10) as view:
            record = run_session(session, clock, on_tick=on_tick)
    else:
        record = run_session(session, clock, on_tick=on_tick)
    # The twin's truth beside the sensed peaks; after a fault, the chair left to itself a while.
    after = follow_unattended(twin, peaks) if faults else {}
    record.truth = [{**peaks.chair(0), **after}]
    return record


def _finish(record: SessionRecord, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(record.to_dict(), indent=2))
    else:
        Console().print(summary_table(record))
    outcome = record.chairs[0].outcome
    sys.exit(0 if outcome is Outcome.COMPLETED else 1)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_command(
        program: Annotated[str, typer.Argument(help="Program id or .toml file.")],
        body: Annotated[
            str | None,
            typer.Option(help="e.g. percentile=5,sex=female or stature=1620,mass=60,sex=female"),
        ] = None,
        speed: Annotated[str, typer.Option(help="realtime, fast, or a factor like 10.")] = "fast",
        intensity: Annotated[int, typer.Option(min=1, max=5, help="1..5")] = 3,
        fault: Annotated[
            list[str] | None,
            typer.Option(
                help="Inject a twin fault NAME[:HEATER or ZONE]@SECONDS after the program "
                "starts (repeatable), e.g. heater_relay_stuck_on:calves@95."
            ),
        ] = None,
        seed: Annotated[int, typer.Option(help="Seed for the twin's sensor noise.")] = 0,
        scan: Annotated[
            bool, typer.Option(help="Scan first (--no-scan: use the twin's true body map).")
        ] = True,
        body_map: Annotated[
            Path | None, typer.Option(help="Reuse a saved body map (openchair scan --save).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        """Scan, run a session on the twin, print its summary (exit 1 unless it completed)."""
        params = parse_body(body)
        factor = parse_speed(speed)
        faults = [parse_fault_at(f) for f in fault or []]
        console = None if as_json else Console(stderr=True)
        record = run_on_twin(
            program,
            params,
            speed=factor,
            intensity=intensity,
            faults=faults,
            seed=seed,
            console=console,
            live=console is not None and console.is_terminal and factor is not None,
            scan=scan,
            body_map=body_map,
        )
        _finish(record, as_json)

    @app.command("demo")
    def demo_command(
        speed: Annotated[float, typer.Option(help="How many times real time.")] = 10.0,
    ) -> None:
        """A seated average person: body scan, then the Quick program at 10× real time."""
        console = Console()
        console.print(
            "[bold]openchair demo[/]: a body scan, then the Quick program (7 min) for an average "
            f"seated person, on the digital twin at {speed:g}× real time. Ctrl-C stops safely."
        )
        record = run_on_twin(
            "quick",
            BodyParams.from_percentile(50, "male"),
            speed=speed,
            intensity=3,
            faults=[],
            seed=0,
            console=console,
            live=console.is_terminal,
        )
        _finish(record, as_json=False)
