"""``openchair exercises``: list, show (with the picture), validate and export the schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.care.figure import render_svg
from openchair.care.loader import ExerciseError, ExerciseLibrary, load_exercise, read_exercise_file
from openchair.care.model import Exercise
from openchair.care.views import dose_text

exercises_app = typer.Typer(
    help="Exercises for breaks and stretching: built-in ones and your own "
    "(in $OPENCHAIR_EXERCISES_DIR, default ~/.config/openchair/exercises).",
    no_args_is_help=True,
)


@exercises_app.command("list")
def list_exercises(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every exercise: areas, where, dose."""
    lib = ExerciseLibrary()
    good, problems = lib.load_all()
    if as_json:
        typer.echo(json.dumps([e.model_dump(exclude={"picture"}) for e in good], indent=2))
    else:
        table = Table(title="Exercises")
        table.add_column("id", no_wrap=True)
        for col in ("areas", "where", "dose"):
            table.add_column(col)
        for e in good:
            table.add_row(e.label(), ", ".join(e.areas), ", ".join(e.where), dose_text(e))
        Console().print(table)
    for m in problems:
        typer.echo(f"skipped: {m}", err=True)


@exercises_app.command("show")
def show_exercise(
    exercise_id: Annotated[str, typer.Argument(help="Exercise id or .toml path.")],
    svg: Annotated[Path | None, typer.Option("--svg", help="Write the picture here.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Steps, dose, cautions and sources; --svg writes the animated picture."""
    try:
        e = load_exercise(exercise_id)
    except ExerciseError as err:
        for m in err.messages:
            typer.echo(m, err=True)
        raise typer.Exit(2) from None
    if svg is not None:
        try:
            svg.write_text(render_svg(e), encoding="utf-8")
        except OSError as err:
            typer.echo(f"{svg}: cannot write: {err.strerror or err}", err=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(e.model_dump(exclude={"picture"}), indent=2))
        return
    c = Console()
    c.print(f"[bold]{e.name}[/] ({e.kind}; {', '.join(e.areas)}; {', '.join(e.where)})")
    c.print(e.summary)
    for i, step in enumerate(e.steps, start=1):
        c.print(f"  {i}. {step}")
    c.print(f"[bold]dose:[/] {dose_text(e)}")
    c.print("[bold]take care:[/]")
    for caution in e.cautions:
        c.print(f"  - {caution}")
    c.print(f"[bold]sources:[/] {'; '.join(e.sources)}")
    if svg is not None:
        c.print(f"picture written to {svg}")


@exercises_app.command("validate")
def validate_exercises(
    files: Annotated[list[Path], typer.Argument(help="Exercise files.")],
) -> None:
    """Check exercise files (and that their picture draws); exit 1 listing every problem."""
    bad = False
    for path in files:
        try:
            e = read_exercise_file(path)
            render_svg(e)
        except ExerciseError as err:
            bad = True
            for m in err.messages:
                typer.echo(m)
            continue
        typer.echo(f"{path}: ok ({e.name})")
    sys.exit(1 if bad else 0)


@exercises_app.command("schema")
def schema() -> None:
    """Print the exercise file format as JSON Schema, for editors."""
    data = Exercise.model_json_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "openchair exercise"
    typer.echo(json.dumps(data, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(exercises_app, name="exercises")
