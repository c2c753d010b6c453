"""``openchair selftest``: the service technician's first check, here on the twin."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.body.model import BodyParams
from openchair.cli.options import seed_option
from openchair.cli.run_cmd import DRIVER_HELP, open_cli_driver
from openchair.hardware.twin import TwinChair, TwinFault, UnknownFaultError
from openchair.hardware.twin.faults import parse_fault
from openchair.selftest import SelfTestReport, Verdict
from openchair.service.factory import ServiceOptions, build_service
from openchair.service.loop import ChairLoop
from openchair.service.oneshot import RefusedError, selftest_once
from openchair.verify.truth import TruthPeaks, follow_unattended

_STYLE = {Verdict.PASS: "green", Verdict.FAIL: "bold red", Verdict.SKIP: "yellow"}


def _print_report(report: SelfTestReport, console: Console) -> None:
    table = Table(title=f"Self-test ({report.duration_s:.0f} s of chair time)")
    table.add_column("part")
    table.add_column("result")
    table.add_column("reason")
    for p in report.parts:
        table.add_row(p.part, f"[{_STYLE[p.verdict]}]{p.verdict.value.upper()}[/]", p.reason)
    console.print(table)
    skipped = [p.part for p in report.parts if p.verdict is Verdict.SKIP]
    if report.passed:
        console.print("[green]Every part tested passed.[/]")
        if skipped:
            console.print(f"[yellow]Not tested:[/] {', '.join(skipped)}")
    else:
        console.print(f"[bold red]Failed:[/] {', '.join(report.failed_parts())}")


def register(app: typer.Typer) -> None:
    @app.command("selftest")
    def selftest_command(
        fault: Annotated[
            list[str] | None,
            typer.Option(
                "--fault",
                help="Inject a twin fault before the test (repeatable): "
                + ", ".join(f.value for f in TwinFault),
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        seed: Annotated[int, seed_option("Seed for the twin's sensor noise.")] = 0,
        driver: Annotated[str, typer.Option(help=DRIVER_HELP)] = "twin",
        seated: Annotated[
            bool,
            typer.Option(
                "--seated",
                help="Seat an average man in the twin (the checks that extend the rollers are "
                "then skipped). Default: the empty chair a technician tests.",
            ),
        ] = False,
    ) -> None:
        """Move every actuator through its range and report each part as pass or fail."""
        try:
            faults = [parse_fault(f) for f in fault or []]
        except UnknownFaultError as err:
            raise typer.BadParameter(str(err), param_hint="--fault") from None
        if driver != "twin" and (faults or seated):
            raise typer.BadParameter(
                "twin faults and --seated are for the twin; a board's faults are injected in "
                "the board emulator (board-emulator --fault)",
                param_hint="--fault" if faults else "--seated",
            )
        chair = open_cli_driver(driver, BodyParams.from_percentile(50, "male", seed=seed), seed)
        twin = chair if isinstance(chair, TwinChair) else None
        if twin is not None:
            if not seated:
                twin.inject(TwinFault.OCCUPANT_LEAVES)
            for f in faults:
                twin.inject(f)
        peaks = TruthPeaks(twin.bodies) if twin is not None else None

        def on_tick(_loop: ChairLoop, _now_s: float) -> None:
            if twin is not None and peaks is not None:
                peaks.observe(twin.peek_truth())

        service = build_service(
            ServiceOptions(speed=None, store=False), driver=chair, on_tick=on_tick
        )
        with Console(stderr=True).status("self-test: starting") as status:
            try:
                result = asyncio.run(
                    selftest_once(
                        service, lambda part: status.update(f"self-test: checking {part}")
                    )
                )
            except RefusedError as err:
                typer.echo(f"self-test not started: {err}", err=True)
                raise typer.Exit(1) from None
        report = result.selftest
        if report is None:
            typer.echo(result.message, err=True)
            raise typer.Exit(1)
        data = report.to_dict()
        if twin is not None and peaks is not None:
            # What the seated body truly got (nothing, with the chair empty), beside the report;
            # after a fault, the chair left to itself a while.
            after = follow_unattended(twin, peaks) if faults else {}
            data["seated"] = seated
            data["truth"] = {**peaks.chair(0), **after}
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            _print_report(report, Console())
            if "truth" in data:
                t = data["truth"]
                assert isinstance(t, dict)
                Console().print(
                    f"On the twin ({'seated' if seated else 'empty chair'}): true peak force "
                    f"{t['max_force_n']:.0f} N ({t['max_force_over_pain_threshold']:.2f} × the "
                    f"pain threshold), surface {t['max_surface_temp_c']:.1f} °C, cushions "
                    f"{t['max_pressure_kpa']:.0f} kPa",
                    markup=False,
                )
        sys.exit(0 if report.passed else 1)
