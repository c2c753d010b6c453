"""``openchair scan``: scan a seated body on the twin and print its body map."""

from __future__ import annotations

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
from openchair.hardware.twin import TwinChair, UnknownFaultError
from openchair.hardware.twin.faults import parse_fault
from openchair.inputs.outputs import OutputPathError, check_output_file, write_error
from openchair.scan import ScanOutcome, run_scan, save_map


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
    ) -> None:
        """Scan a person on the twin: the body map, and its error against the twin's truth."""
        params = parse_body(body)
        if save is not None:
            try:
                check_output_file(save, "body map")
            except OutputPathError as err:
                raise typer.BadParameter(str(err), param_hint="--save") from None
        bodies = BodyBatch.from_params([params])
        twin = TwinChair(bodies, seeds=[seed])
        for f in fault or []:
            try:
                twin.inject(parse_fault(f))
            except UnknownFaultError as err:
                raise typer.BadParameter(str(err), param_hint="--fault") from None
        result = run_scan(twin)
        chair = result.chairs[0]
        truth = {n: float(v) for n, v in zip(LANDMARKS, bodies.landmarks_y_mm[0], strict=True)}
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
                table = Table(title="Body map (scan) against the twin's truth")
                for col in ("landmark", "scanned mm", "true mm", "error mm"):
                    table.add_column(col, justify="left" if col == "landmark" else "right")
                for n in sorted(LANDMARKS, key=lambda k: truth[k], reverse=True):
                    table.add_row(
                        n,
                        f"{m.landmarks_y_mm[n]:.0f}",
                        f"{truth[n]:.0f}",
                        f"{m.landmarks_y_mm[n] - truth[n]:+.0f}",
                    )
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
