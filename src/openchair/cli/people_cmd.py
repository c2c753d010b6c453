"""``openchair people`` and ``openchair history``: who uses the chair, and what happened."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from openchair.cli.body_spec import parse_body
from openchair.store.database import Store, open_store
from openchair.store.errors import StoreError
from openchair.store.history import CSV_COLUMNS, history
from openchair.store.people import PersonError, add_person, remove_person, show_person

DbOption = Annotated[
    str | None, typer.Option("--db", help="SQLAlchemy database URL (default: SQLite).")
]
DataDirOption = Annotated[
    str | None, typer.Option(help="Data folder (default: $OPENCHAIR_DATA_DIR or the user's).")
]


def _open(db: str | None, data_dir: str | None) -> Store:
    try:
        return open_store(db, data_dir)
    except StoreError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def register(app: typer.Typer) -> None:
    people = typer.Typer(help="The people who use the chair.", no_args_is_help=True)
    app.add_typer(people, name="people")

    @people.command("list")
    def list_command(
        db: DbOption = None,
        data_dir: DataDirOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Everyone the chair knows."""
        store = _open(db, data_dir)
        try:
            from openchair.store.people import StorePeople

            everyone = StorePeople(store).people()
        finally:
            store.close()
        if as_json:
            typer.echo(json.dumps([p.to_dict() for p in everyone], indent=2))
            return
        if not everyone:
            typer.echo("nobody yet: openchair people add NAME")
            return
        table = Table(title="People")
        for col in ("name", "intensity", "heat", "favourites"):
            table.add_column(col)
        for p in everyone:
            table.add_row(
                p.name,
                str(p.default_intensity),
                "on" if p.heat else "off",
                ", ".join(p.favourite_programs),
            )
        Console().print(table)

    @people.command("add")
    def add_command(
        name: Annotated[str, typer.Argument(help="The person's name.")],
        body: Annotated[
            str | None, typer.Option(help="e.g. stature=1620,mass=60,sex=female (optional).")
        ] = None,
        intensity: Annotated[int, typer.Option(min=1, max=5, help="Default intensity.")] = 3,
        heat: Annotated[bool, typer.Option(help="Heat on by default.")] = False,
        favourite: Annotated[
            list[str] | None, typer.Option(help="A favourite program id (repeatable).")
        ] = None,
        db: DbOption = None,
        data_dir: DataDirOption = None,
    ) -> None:
        """Add a person, with their body parameters and preferences."""
        body_values: dict[str, object] = {}
        if body is not None:
            p = parse_body(body)
            body_values = {"spec": p.describe(), "stature_mm": p.stature_mm, "mass_kg": p.mass_kg}
            body_values["sex"] = p.sex
        store = _open(db, data_dir)
        try:
            info = add_person(
                store,
                name,
                body=body_values,
                default_intensity=intensity,
                heat=heat,
                favourite_programs=favourite or [],
            )
        except PersonError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        finally:
            store.close()
        typer.echo(f"added {info.name}")

    @people.command("show")
    def show_command(
        name: Annotated[str, typer.Argument(help="The person's name.")],
        db: DbOption = None,
        data_dir: DataDirOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """A person's preferences, body maps and number of sessions."""
        store = _open(db, data_dir)
        try:
            details = show_person(store, name)
        except PersonError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        finally:
            store.close()
        if as_json:
            typer.echo(json.dumps(details.to_dict(), indent=2))
            return
        d = details.to_dict()
        for key, value in d.items():
            typer.echo(f"{key}: {value}")

    @people.command("remove")
    def remove_command(
        name: Annotated[str, typer.Argument(help="The person's name.")],
        db: DbOption = None,
        data_dir: DataDirOption = None,
    ) -> None:
        """Forget a person and their body maps (their sessions stay in the history)."""
        store = _open(db, data_dir)
        try:
            remove_person(store, name)
        except PersonError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        finally:
            store.close()
        typer.echo(f"removed {name}")

    @app.command("history")
    def history_command(
        person: Annotated[str | None, typer.Option(help="Only this person's sessions.")] = None,
        limit: Annotated[int | None, typer.Option(min=1, help="Only the newest N.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        as_csv: Annotated[
            bool, typer.Option("--csv", help="Print CSV (for a spreadsheet).")
        ] = False,
        db: DbOption = None,
        data_dir: DataDirOption = None,
    ) -> None:
        """Past sessions: outcome, duration, program, peaks, safety events."""
        if as_json and as_csv:
            raise typer.BadParameter("choose --json or --csv", param_hint="--csv")
        store = _open(db, data_dir)
        try:
            entries = history(store, person, limit)
        finally:
            store.close()
        if as_json:
            typer.echo(json.dumps([e.to_dict() for e in entries], indent=2))
            return
        if as_csv:
            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(CSV_COLUMNS)
            for e in entries:
                w.writerow(e.csv_row())
            return
        if not entries:
            typer.echo("no sessions yet" + (f" for {person}" if person else ""))
            return
        table = Table(title="Sessions", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for col in (
            "started",
            "person",
            "program",
            "outcome",
            "reason",
            "time",
            "peak N",
            "events",
        ):
            table.add_column(
                col, no_wrap=col != "reason", min_width=14 if col == "reason" else None
            )
        for e in entries:
            local = e.started_at.astimezone()
            table.add_row(
                local.strftime("%m-%d %H:%M"),
                e.person or "guest",
                e.program_id,
                e.outcome,
                e.reason,
                _clock(e.seconds),
                f"{e.max_force_n:.0f}",
                str(len(e.events)),
            )
        Console().print(table)
