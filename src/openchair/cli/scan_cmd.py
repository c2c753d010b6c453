"""``openchair scan``: scan a seated body on the twin and print its body map."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.cli.body_spec import parse_body
from openchair.cli.options import seed_option
from openchair.cli.run_cmd import DRIVER_HELP, open_cli_driver
from openchair.hardware.twin import TwinChair, UnknownFaultError
from openchair.hardware.twin.faults import parse_fault
from openchair.inputs.outputs import OutputPathError, check_output_file, write_error
from openchair.scan import ScanOutcome, save_map
from openchair.scan.estimate import MESSAGES
from openchair.service.factory import ServiceOptions, build_service
from openchair.service.oneshot import RefusedError, scan_once
from openchair.store.errors import StoreError


def register(app: typer.Typer) -> None:
    @app.command("scan")
    def scan_command(
        body: Annotated[
            str | None, typer.Option(help="e.g. percentile=5,sex=female (as for run).")
        ] = None,
        fault: Annotated[
            list[str] | None, typer.Option(help="Inject a twin fault first (repeatable).")
        ] = None,
        seed: Annotated[int, seed_option("Seed for the twin's sensor noise.")] = 0,
        save: Annotated[Path | None, typer.Option(help="Write the body map as JSON.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        driver: Annotated[str, typer.Option(help=DRIVER_HELP)] = "twin",
    ) -> None:
        """Scan a person on the twin: the body map, and its error against the twin's truth."""
        params = parse_body(body)
        if save is not None:
            try:
                check_output_file(save, "body map")
            except OutputPathError as err:
                raise typer.BadParameter(str(err), param_hint="--save") from None
        bodies = BodyBatch.from_params([params])
        chair_driver = open_cli_driver(driver, params, seed)
        twin = chair_driver if isinstance(chair_driver, TwinChair) else None
        if fault and twin is None:
            raise typer.BadParameter(
                "twin faults are injected in the board emulator (board-emulator --fault)",
                param_hint="--fault",
            )
        for f in fault or []:
            assert twin is not None
            try:
                twin.inject(parse_fault(f))
            except UnknownFaultError as err:
                raise typer.BadParameter(str(err), param_hint="--fault") from None
        try:
            service = build_service(ServiceOptions(speed=None), driver=chair_driver)
        except StoreError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        refusal = ""
        try:
            ended = asyncio.run(scan_once(service))
            result = ended.scan
            # A scan that ended without a result (the link to the chair lost, a stop) says why.
            refusal = ended.message or "the scan ended before it was complete"
        except RefusedError as err:
            result = None
            refusal = str(err)
        if result is None:
            # Refused before it began (nobody seated, a latched fault): no sweep, no map.
            outcome = ScanOutcome.NOBODY_SEATED if "nobody" in refusal else None
            refused: dict[str, object] = {
                "outcome": outcome.value if outcome else "refused",
                "message": MESSAGES[outcome] if outcome else refusal,
                "duration_s": 0.0,
                "body": params.describe(),
            }
            if as_json:
                typer.echo(json.dumps(refused, indent=2))
            else:
                Console().print(f"[bold]scan:[/] {refused['message']}")
            sys.exit(1)
        chair = result.chairs[0]
        # Only the twin knows the true body; a real chair's scan has nothing to compare with.
        truth = (
            {n: float(v) for n, v in zip(LANDMARKS, bodies.landmarks_y_mm[0], strict=True)}
            if twin is not None
            else {}
        )
        data: dict[str, object] = {
            "outcome": chair.outcome.value,
            "message": chair.message,
            "duration_s": round(result.duration_s, 2),
            "body": params.describe(),
        }
        m = chair.body_map
        save_failed: str | None = None
        if m is not None:
            data["landmarks_y_mm"] = m.landmarks_y_mm
            if truth:
                data["error_mm"] = {n: round(m.landmarks_y_mm[n] - truth[n], 1) for n in LANDMARKS}
            data["comfortable_depth_mm"] = m.comfortable_depth_mm
            data["comfort_force_n"] = m.comfort_force_n
            if save is not None:
                try:
                    save_map(m, save)
                except OSError as err:
                    save_failed = write_error(save, err)
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            console = Console()
            console.print(f"[bold]scan:[/] {chair.message} ({result.duration_s:.1f} s)")
            if m is not None:
                title = "Body map (scan)" + (" against the twin's truth" if truth else "")
                cols = ("landmark", "scanned mm", "true mm", "error mm")[: 4 if truth else 2]
                table = Table(title=title)
                for col in cols:
                    table.add_column(col, justify="left" if col == "landmark" else "right")
                order = truth or m.landmarks_y_mm
                for n in sorted(LANDMARKS, key=lambda k: order[k], reverse=True):
                    row = [n, f"{m.landmarks_y_mm[n]:.0f}"]
                    if truth:
                        row += [f"{truth[n]:.0f}", f"{m.landmarks_y_mm[n] - truth[n]:+.0f}"]
                    table.add_row(*row)
                console.print(table)
                depths = ", ".join(f"{r} {m.comfortable_depth_mm[r]:.0f}" for r in REGION_NAMES)
                console.print(f"[bold]comfortable depth (mm):[/] {depths}")
                if save is not None and save_failed is None:
                    console.print(f"saved to {save}")
        if save_failed is not None:
            # The scan's result is printed above; only the file is missing.
            typer.echo(f"--save: {save_failed}", err=True)
            sys.exit(2)
        sys.exit(0 if chair.outcome is ScanOutcome.OK else 1)
