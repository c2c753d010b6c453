"""``openchair programs``: list, show, validate, export the schema of, and plot massage programs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.hardware.contract import ChairDescription
from openchair.inputs.outputs import OutputPathError, check_output_file, write_error
from openchair.programs import ProgramError, ProgramLibrary, load_program, summarize
from openchair.programs.loader import read_program_file
from openchair.programs.model import Program

programs_app = typer.Typer(
    help="Massage programs: built-in ones and your own "
    "(in $OPENCHAIR_PROGRAMS_DIR, default ~/.config/openchair/programs).",
    no_args_is_help=True,
)


def _load_or_exit(program_id: str) -> Program:
    try:
        return load_program(program_id)
    except ProgramError as err:
        for m in err.messages:
            typer.echo(m, err=True)
        raise typer.Exit(2) from None


@programs_app.command("list")
def list_programs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every program: built-in and the user's own."""
    lib = ProgramLibrary()
    rows = []
    problems = []
    for pid in lib.ids():
        try:
            p = lib.get(pid)
        except ProgramError as err:
            problems.extend(err.messages)
            continue
        rows.append(
            {
                "id": pid,
                "name": p.name,
                "minutes": p.minutes,
                "source": "built-in" if lib.is_builtin(pid) else str(lib.user_dir),
                "description": " ".join(p.description.split()),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        table = Table(title="Programs")
        for col in ("id", "name", "min", "source", "description"):
            table.add_column(col)
        for r in rows:
            # A program's texts come from a file: shown as written, never read as markup.
            table.add_row(
                escape(str(r["id"])),
                escape(str(r["name"])),
                f"{r['minutes']:g}",
                escape(str(r["source"])),
                escape(str(r["description"])),
            )
        Console().print(table)
    for m in problems:
        typer.echo(f"skipped: {m}", err=True)


@programs_app.command("show")
def show_program(
    program_id: Annotated[str, typer.Argument(help="Program id or .toml path.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Steps, time per zone and technique, deepest depth, air and heat use."""
    summary = summarize(_load_or_exit(program_id))
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    c = Console()
    about = " ".join(summary.description.split())
    c.print(f"[bold]{escape(summary.name)}[/] ({summary.minutes:g} min): {escape(about)}")
    steps = Table(title="Steps")
    for col in ("step", "at", "s", "technique", "zone", "depth", "speed"):
        steps.add_column(col)
    for s in summary.steps:
        start = float(s["start_s"])  # type: ignore[arg-type]
        steps.add_row(
            escape(str(s["label"])),
            f"{int(start // 60)}:{int(start % 60):02d}",
            f"{s['seconds']:g}",
            str(s["technique"]),
            str(s["zone"]),
            f"{s['depth']:g}",
            str(s["speed"]),
        )
    c.print(steps)
    for title, values in (
        ("time per zone", summary.seconds_by_zone),
        ("time per technique", summary.seconds_by_technique),
        ("air cushions", summary.air_seconds_by_zone),
        ("heat", summary.heat_seconds),
    ):
        text = ", ".join(f"{k} {v / 60:.1f} min" for k, v in values.items()) or "none"
        c.print(f"[bold]{title}:[/] {text}")
    c.print(f"[bold]deepest:[/] {summary.max_depth_fraction:g} of the comfortable depth")
    c.print(f"[bold]recline:[/] {' → '.join(summary.recline) or 'upright'}")


@programs_app.command("validate")
def validate_programs(files: Annotated[list[Path], typer.Argument(help="Program files.")]) -> None:
    """Check program files; exit 0 when all are valid, 1 with every problem listed."""
    bad = False
    for path in files:
        try:
            p = read_program_file(path)
        except ProgramError as err:
            bad = True
            for m in err.messages:
                typer.echo(m)
            continue
        typer.echo(f"{path}: ok ({p.name}, {p.minutes:g} min)")
    sys.exit(1 if bad else 0)


@programs_app.command("schema")
def schema() -> None:
    """Print the program file format as JSON Schema, for editors."""
    data = Program.model_json_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "openchair massage program"
    typer.echo(json.dumps(data, indent=2))


@programs_app.command("plot")
def plot(
    program_id: Annotated[str, typer.Argument(help="Program id or .toml path.")],
    out: Annotated[Path, typer.Option("--out", help="PNG file to write.")],
) -> None:
    """Draw the program's timeline for an average body."""
    from openchair.programs.plot import plot_program

    try:
        check_output_file(out, "plot")
        if out.suffix and out.suffix.lower() != ".png":
            raise OutputPathError(f"{out}: the plot is a PNG picture; name the file .png")
    except OutputPathError as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    program = _load_or_exit(program_id)
    maps = BodyBatch.from_params([BodyParams.from_percentile(50, "male")]).true_maps()
    try:
        plot_program(program, maps, ChairDescription(), out)
    except OSError as err:
        typer.echo(f"--out: {write_error(out, err)}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(programs_app, name="programs")
