"""``openchair run`` and ``openchair demo``: a session on the twin, with its safety summary."""

from __future__ import annotations

import asyncio
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.cli.body_spec import parse_body
from openchair.cli.options import seed_option
from openchair.cli.session_view import live_view, summary_table
from openchair.control.record import Outcome, SessionRecord
from openchair.hardware.contract import ChairDescription, ChairDriver
from openchair.hardware.open import open_driver
from openchair.hardware.twin import TwinChair, TwinFault
from openchair.hardware.twin.faults import check_target, parse_fault
from openchair.inputs.limits import SPEED_FACTOR_MAX, SPEED_FACTOR_MIN
from openchair.programs import ProgramError, load_program
from openchair.scan import load_map
from openchair.service.activities import ActivityResult, SessionActivity
from openchair.service.factory import ServiceOptions, build_service
from openchair.service.loop import ChairLoop
from openchair.service.oneshot import RefusedError, from_program_start, run_once
from openchair.store.errors import StoreError
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
    if not math.isfinite(at) or at < 0:
        raise typer.BadParameter(
            f"{text!r}: the time must be a number of seconds, 0 or more", param_hint="--fault"
        )
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
    return check_speed(speed)


def check_speed(speed: float) -> float:
    """A speed factor in ``SPEED_FACTOR_MIN..SPEED_FACTOR_MAX`` (NaN and infinity refused)."""
    if not SPEED_FACTOR_MIN <= speed <= SPEED_FACTOR_MAX:
        raise typer.BadParameter(
            f"{speed:g}: the factor must be from {SPEED_FACTOR_MIN:g} to {SPEED_FACTOR_MAX:g} "
            "(times real time)",
            param_hint="--speed",
        )
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
    options: ServiceOptions | None = None,
    driver_spec: str = "twin",
    person: str | None = None,
) -> SessionRecord:
    """Scan (unless a map is given or scanning is off), run the session to the end (or Ctrl-C,
    or SIGTERM) on an in-process chair service with the twin, return the record. Event times
    count from the program's start, as ``--fault NAME@S`` does."""
    try:
        program = load_program(program_id)
    except ProgramError as err:
        for m in err.messages:
            typer.echo(m, err=True)
        raise typer.Exit(2) from None
    maps: BodyMapBatch | None = None
    driver = open_cli_driver(driver_spec, body, seed)
    twin = driver if isinstance(driver, TwinChair) else None
    if twin is None and (faults or not (scan or body_map)):
        driver.close()
        typer.echo(
            "--fault and --no-scan need the twin in-process; give a board's faults to "
            "openchair board-emulator --fault instead",
            err=True,
        )
        raise typer.Exit(2)
    if body_map is not None:
        try:
            maps = BodyMapBatch.from_maps([load_map(body_map)])
        except ValueError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
    if maps is None and not scan and twin is not None:
        maps = twin.bodies.true_maps()
    pending = sorted(faults, key=lambda f: f.at_s)
    peaks = TruthPeaks(twin.bodies) if twin is not None else None
    view: Live | None = None
    last_print = [-1e9]

    def on_tick(loop: ChairLoop, now_s: float) -> None:
        act = loop.activity
        if not isinstance(act, SessionActivity):
            return
        s = act.session
        if twin is not None and peaks is not None:
            peaks.observe(twin.peek_truth())
        program_s = now_s - s.start_s
        while twin is not None and pending and pending[0].at_s <= program_s:
            due = pending.pop(0)
            twin.inject(due.fault, target=due.target)
        if view is not None and s.ticks % 10 == 0:
            view.update(live_view(s, program_s))
        elif console is not None and not live and program_s - last_print[0] >= 60.0:
            last_print[0] = program_s
            r = s.last_readings
            assert r is not None
            console.print(
                f"{int(program_s // 60)}:{int(program_s % 60):02d} "
                f"{s.compiled.step_label(s.compiled.step_at(s.program_tick))} — "
                f"y {r.carriage_y_mm[0]:.0f} mm, depth {r.depth_mm[0]:.0f} mm, "
                f"force {max(r.force_left_n[0], r.force_right_n[0]):.0f} N",
                markup=False,  # the step's name comes from the program file
            )

    def on_scanned(result: ActivityResult) -> None:
        m = result.scan.chairs[0].body_map if result.scan is not None else None
        if console is not None and m is not None:
            console.print(
                f"scan: shoulders at {m.landmarks_y_mm['shoulder']:.0f} mm, "
                f"lumbar comfortable depth {m.comfortable_depth_mm['lumbar']:.0f} mm"
            )
        if view is not None:
            view.start()

    opts = options or ServiceOptions()
    opts.speed = speed
    try:
        service = build_service(opts, driver=driver, on_tick=on_tick)
    except StoreError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    if maps is None and console is not None:
        console.print("scanning the back (20 s of chair time)…")
    if live and console is not None:
        view = Live(console=console, refresh_per_second=10, auto_refresh=True)
        if maps is not None:
            view.start()
    try:
        outcome = asyncio.run(
            run_once(
                service,
                program,
                intensity=intensity,
                maps=maps,
                scan=scan,
                on_scanned=on_scanned,
                person=person,
                check_map=body_map is not None,
            )
        )
    except RefusedError as err:
        typer.echo(f"not started: {err}", err=True)
        raise typer.Exit(1) from None
    finally:
        if view is not None:
            view.stop()
    if outcome.record is None:
        message = outcome.scan.message if outcome.scan is not None else "scan failed"
        typer.echo(message if message.startswith("scan") else f"scan: {message}", err=True)
        raise typer.Exit(1)
    record = from_program_start(outcome.record, outcome.start_s)
    if twin is not None and peaks is not None:
        # The twin's truth beside the sensed peaks; after a fault, the chair left to itself a
        # while with the person still seated.
        after = follow_unattended(twin, peaks) if faults else {}
        record.truth = [{**peaks.chair(0), **after}]
    return record


def open_cli_driver(spec: str, body: BodyParams, seed: int) -> ChairDriver:
    """``open_driver`` with its errors as a message and exit status 2 instead of a traceback."""
    from openchair.hardware.serial import LinkError

    try:
        return open_driver(spec, body=body, seed=seed)
    except (ValueError, LinkError) as err:
        typer.echo(f"--driver: {err}", err=True)
        raise typer.Exit(2) from None


DRIVER_HELP = "twin (default), or serial:PORT for a control board (e.g. serial:/dev/ttyUSB0)."


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
        speed: Annotated[
            str, typer.Option(help="realtime, fast, or a factor 0.1..1000 like 10.")
        ] = "fast",
        intensity: Annotated[int, typer.Option(min=1, max=5, help="1..5")] = 3,
        fault: Annotated[
            list[str] | None,
            typer.Option(
                help="Inject a twin fault NAME[:HEATER or ZONE]@SECONDS after the program "
                "starts (repeatable), e.g. heater_relay_stuck_on:calves@95."
            ),
        ] = None,
        seed: Annotated[int, seed_option("Seed for the twin's sensor noise.")] = 0,
        scan: Annotated[
            bool, typer.Option(help="Scan first (--no-scan: use the twin's true body map).")
        ] = True,
        body_map: Annotated[
            Path | None, typer.Option(help="Reuse a saved body map (openchair scan --save).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
        driver: Annotated[str, typer.Option(help=DRIVER_HELP)] = "twin",
        person: Annotated[
            str | None,
            typer.Option(help="Who sits (openchair people add): recorded, their map saved."),
        ] = None,
        db: Annotated[
            str | None, typer.Option("--db", help="SQLAlchemy database URL for the history.")
        ] = None,
        data_dir: Annotated[
            str | None, typer.Option(help="Data folder (default: $OPENCHAIR_DATA_DIR).")
        ] = None,
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
            driver_spec=driver,
            options=ServiceOptions(db_url=db, data_dir=data_dir),
            person=person,
        )
        _finish(record, as_json)

    @app.command("demo")
    def demo_command(
        speed: Annotated[float, typer.Option(help="How many times real time.")] = 10.0,
    ) -> None:
        """A seated average person: body scan, then the Quick program at 10× real time."""
        check_speed(speed)
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
