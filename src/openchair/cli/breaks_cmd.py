"""``openchair breaks``: the desktop break helper, and ``openchair breaks stats``."""

from __future__ import annotations

import json
import select
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.care import desktop
from openchair.care.breaks import BreakRefusedError, BreakScheduler, OfferedBreak
from openchair.care.loader import ExerciseLibrary
from openchair.care.records import RECORDS_FILE, JsonLinesBreakRepository, daily_stats
from openchair.care.settings import SettingsError, data_dir, load_settings

breaks_app = typer.Typer(
    help="Movement breaks: a desktop helper that reminds you, and statistics.",
    invoke_without_command=True,
)

ANSWERS = "[d]one  [p]artly  [z] postpone  [s]kip"


def _repo() -> JsonLinesBreakRepository:
    return JsonLinesBreakRepository(data_dir() / RECORDS_FILE)


def answer(scheduler: BreakScheduler, key: str, now: datetime) -> str:
    """Apply one typed answer to the waiting break; the message to show."""
    try:
        if key == "d":
            scheduler.finish(now, fully=True)
            return "break done: well done"
        if key == "p":
            scheduler.finish(now, fully=False)
            return "break partly done"
        if key == "z":
            back = scheduler.postpone(now)
            return f"postponed until {back.astimezone(scheduler.settings.zone):%H:%M}"
        if key == "s":
            scheduler.skip(now)
            return "skipped"
    except BreakRefusedError as err:
        return f"not allowed: {err}"
    return f"unknown answer {key!r}: {ANSWERS}"


def describe(b: OfferedBreak, names: dict[str, str]) -> tuple[str, str]:
    if b.kind == "micro":
        return "Micro break", f"Stand up, look away from the screen for {b.seconds:g} s."
    what = names.get(b.exercise or "", "a walk")
    return "Movement break", f"{b.seconds / 60:g} min: {what}. Then walk about."


def run_helper(
    scheduler: BreakScheduler,
    now: Callable[[], datetime],
    read_key: Callable[[float], str | None],
    show: Callable[[str, str], None],
    names: dict[str, str],
    stop: Callable[[], bool],
    poll_s: float = 5.0,
) -> None:
    """The helper's loop, with every outside thing injected (clock, keyboard, output)."""
    while not stop():
        offered = scheduler.tick(now())
        if offered is not None:
            title, body = describe(offered, names)
            extra = f"(postpones left {offered.postpones_left}, skips left {offered.skips_left})"
            show(title, f"{body}\n{ANSWERS} {extra}")
        key = read_key(poll_s)
        if key and scheduler.pending is not None:
            show("openchair", answer(scheduler, key.strip().lower()[:1], now()))


class _StdinKeys:
    """Typed answers from the terminal; once input is closed, it only waits."""

    def __init__(self) -> None:
        self.closed = False

    def __call__(self, timeout_s: float) -> str | None:
        if self.closed:
            time.sleep(timeout_s)
            return None
        ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
        if not ready:
            return None
        line = sys.stdin.readline()
        if not line:  # end of input: keep reminding, stop reading
            self.closed = True
            return None
        return line


@breaks_app.callback()
def breaks(ctx: typer.Context) -> None:
    """Run the break helper on this computer until Ctrl+C (desktop notifications when the
    desktop has them, the terminal otherwise). Answer a break by typing d, p, z or s + Enter."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        settings = load_settings()
    except SettingsError as err:
        for m in err.messages:
            typer.echo(m, err=True)
        raise typer.Exit(2) from None
    exercises, _ = ExerciseLibrary().load_all()
    repo = _repo()
    try:  # find out now, not at the first break, if the records cannot be kept
        repo.path.parent.mkdir(parents=True, exist_ok=True)
        repo.path.touch()
    except OSError as err:
        typer.echo(f"{repo.path}: cannot record breaks there: {err.strerror or err}", err=True)
        raise typer.Exit(2) from None
    scheduler = BreakScheduler(
        settings, repo, exercises, desktop.idle_seconds, desktop.do_not_disturb
    )
    names = {e.label(): e.name for e in exercises}

    def show(title: str, body: str) -> None:
        typer.echo(f"[{datetime.now(settings.zone):%H:%M}] {title}: {body}")
        desktop.notify(title, body.splitlines()[0])

    typer.echo(
        f"openchair breaks: {','.join(settings.work_days)} {settings.work_start}-"
        f"{settings.work_end}, a break every {settings.breaks.every_minutes} min (Ctrl+C stops)"
    )
    try:
        run_helper(scheduler, lambda: datetime.now(UTC), _StdinKeys(), show, names, lambda: False)
    except KeyboardInterrupt:
        typer.echo("stopped")


@breaks_app.command("stats")
def stats(
    days: Annotated[int, typer.Option("--days", min=1, max=3650)] = 14,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Breaks per day: offered, taken, postponed, skipped, the longest sitting stretch."""
    repo = _repo()
    rows = daily_stats(repo.all())[-days:]
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], indent=2))
    else:
        table = Table(title=f"Breaks ({repo.path})")
        for col in ("day", "offered", "done", "partly", "away", "postp.", "skip", "longest sit"):
            table.add_column(col)
        for r in rows:
            flag = " !" if r.unhealthy else ""
            table.add_row(
                r.day.isoformat(),
                str(r.offered),
                str(r.done),
                str(r.partly),
                str(r.natural),
                str(r.postponed),
                f"{r.skipped}{flag}",
                f"{r.longest_sitting_minutes:.0f} min",
            )
        Console(width=80).print(table)
        if any(r.unhealthy for r in rows):
            typer.echo("! 20 % or more of the day's breaks were skipped")
        if not rows:
            typer.echo("no breaks recorded yet: run `openchair breaks`")
    if repo.bad_lines:
        typer.echo(f"{repo.bad_lines} unreadable line(s) left as they are in {repo.path}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(breaks_app, name="breaks")
