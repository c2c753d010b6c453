"""``openchair plan``: the day's back-care plan, and its calendar export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.care.advice import RED_FLAGS, RED_FLAGS_ACTION, SEE_A_CLINICIAN
from openchair.care.ical import plan_ical
from openchair.care.loader import ExerciseLibrary
from openchair.care.plan import plan_day
from openchair.care.posture_plan import posture_for
from openchair.care.settings import (
    PlanSettings,
    SettingsError,
    load_settings,
    local_zone_name,
    settings_path,
    settings_toml,
)


def _settings_or_exit() -> PlanSettings:
    try:
        return load_settings()
    except SettingsError as err:
        for m in err.messages:
            typer.echo(m, err=True)
        raise typer.Exit(2) from None


def plan(
    day: Annotated[
        str | None, typer.Option("--date", help="Day to plan, YYYY-MM-DD (default today).")
    ] = None,
    ical: Annotated[
        Path | None, typer.Option("--ical", help="Write the weekly plan as an .ics file.")
    ] = None,
    init: Annotated[
        bool, typer.Option("--init", help="Write a settings file with the defaults to edit.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            "-p",
            help="Fit the plan to this person's diary, health check and posture day.",
        ),
    ] = None,
) -> None:
    """The day's plan from your settings ($OPENCHAIR_DATA_DIR/care.toml): morning, breaks,
    evening program, stretching."""
    path = settings_path()
    if init:
        if path.exists():
            typer.echo(f"{path} exists; edit it or remove it first", err=True)
            raise typer.Exit(2)
        path.parent.mkdir(parents=True, exist_ok=True)
        start = PlanSettings(timezone=local_zone_name())
        path.write_text(settings_toml(start), encoding="utf-8")
        typer.echo(f"wrote {path} (time zone {start.timezone}); edit it to suit your day")
        return
    settings = _settings_or_exit()
    try:
        when = date.fromisoformat(day) if day else datetime.now(settings.zone).date()
    except ValueError:
        typer.echo(f"--date: {day!r} is not a date like 2026-03-27", err=True)
        raise typer.Exit(2) from None
    exercises, problems = ExerciseLibrary().load_all()
    for m in problems:
        typer.echo(f"skipped: {m}", err=True)
    diary = posture = None
    if person is not None:
        from openchair.cli.diary_cmd import diary_context_of, posture_days_of

        diary = diary_context_of(person)
        posture = posture_for(posture_days_of(person), when.isoformat())
    p = plan_day(settings, when, exercises, diary, posture)
    if ical is not None:
        try:
            ical.write_bytes(plan_ical(settings, when, exercises, datetime.now(UTC)))
        except OSError as err:
            typer.echo(f"{ical}: cannot write: {err.strerror or err}", err=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(p.to_dict(), indent=2))
        return
    names = {e.label(): e.name for e in exercises}
    c = Console()
    kind = "work day" if p.work_day else "day off"
    c.print(f"[bold]{when:%A %d %B %Y}[/] ({kind}, {settings.timezone})")
    table = Table(show_header=True)
    for col in ("time", "min", "what", "why"):
        table.add_column(col)
    for item in p.items:
        what = item.title
        if item.exercises:
            what += ": " + ", ".join(names.get(e, e) for e in item.exercises)
        table.add_row(f"{item.start:%H:%M}", f"{item.minutes:g}", what, item.reason)
    c.print(table)
    for note in p.notes:
        c.print(note)
    c.print(f"[bold]Red flags[/]: {'; '.join(RED_FLAGS)}. {RED_FLAGS_ACTION} {SEE_A_CLINICIAN}")
    if not path.exists():
        c.print(f"(default settings: `openchair plan --init` writes {path} to edit)")
    if ical is not None:
        c.print(f"calendar written to {ical}")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
