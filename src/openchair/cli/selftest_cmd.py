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
from openchair.service.oneshot import RefusedError, selftest_once

_STYLE = {Verdict.PASS: "green", Verdict.FAIL: "bold red", Verdict.SKIP: "yellow"}


def _print_report(report: SelfTestReport, console: Console) -> None:
    table = Table(title=f"Self-test ({report.duration_s:.0f} s of chair time)")
    table.add_column("part")
    table.add_column("result")
    table.add_column("reason")
    for p in report.parts:
        table.add_row(p.part, f"[{_STYLE[p.verdict]}]{p.verdict.value.upper()}[/]", p.reason)
    console.print(table)
    if report.passed:
        console.print("[green]Every part passed.[/]")
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
    ) -> None:
        """Move every actuator through its range and report each part as pass or fail."""
        try:
            faults = [parse_fault(f) for f in fault or []]
        except UnknownFaultError as err:
            raise typer.BadParameter(str(err), param_hint="--fault") from None
        chair = open_cli_driver(driver, BodyParams.from_percentile(50, "male", seed=seed), seed)
        if faults and not isinstance(chair, TwinChair):
            raise typer.BadParameter(
                "twin faults are injected in the board emulator (board-emulator --fault)",
                param_hint="--fault",
            )
        for f in faults:
            assert isinstance(chair, TwinChair)
            chair.inject(f)
        service = build_service(ServiceOptions(speed=None, store=False), driver=chair)
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
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            _print_report(report, Console())
        sys.exit(0 if report.passed else 1)
