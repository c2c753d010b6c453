"""``openchair health``, ``openchair diary``, ``openchair report`` and ``openchair export``.

The health check before the first massage, the pain diary with its red flags and trend, a report
for a clinician, and a person's data out (or deleted). Everything stays in the chair's database
on this machine (``--db`` or ``$OPENCHAIR_DATA_DIR``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.care.diary import BODY_REGIONS, DiaryEntry, DiaryError
from openchair.care.diary_plan import DiaryContext, context_for
from openchair.care.diary_store import (
    CareDataError,
    StoreBreakRepository,
    confirm_hold,
    confirm_seen,
    delete_person_data,
    entries,
    health_status,
    save_screening,
)
from openchair.care.diary_store import add_entry as store_entry
from openchair.care.diary_views import insight_png_view
from openchair.care.export import forget_person, write_csv, write_json
from openchair.care.posture_store import days as posture_days
from openchair.care.redflags import RED_FLAG_IDS, RED_FLAG_QUESTIONS, message_for
from openchair.care.report import gather, report_html, report_pdf
from openchair.care.screening import (
    ScreeningRules,
    ScreeningRulesError,
    effects_text,
    load_rules,
)
from openchair.care.trend import pain_trend
from openchair.posture.events import PostureDaySummary
from openchair.store.database import Store, open_store
from openchair.store.errors import StoreError

health_app = typer.Typer(help="The health check before the first massage: what the chair may do.")
diary_app = typer.Typer(help="The pain diary: note pain quickly, see the trend, red flags.")

Person = Annotated[str, typer.Option("--person", "-p", help="Whose health check or diary.")]
Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: SQLite in the data folder).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _fail(msg: str) -> typer.Exit:
    typer.echo(msg, err=True)
    return typer.Exit(2)


@contextmanager
def _store(db: str | None) -> Iterator[Store]:
    try:
        store = open_store(db)
    except StoreError as err:
        raise _fail(str(err)) from None
    try:
        yield store
    except (CareDataError, DiaryError) as err:
        raise _fail(str(err)) from None
    finally:
        store.close()


def _rules() -> ScreeningRules:
    try:
        return load_rules()
    except ScreeningRulesError as err:
        raise _fail("\n".join(err.messages)) from None


def _now() -> datetime:
    return datetime.now(UTC)


def _console() -> Console:
    return Console(width=min(Console().width, 100))


# -- health -------------------------------------------------------------------------------------


def _show_status(store: Store, name: str, rules: ScreeningRules, as_json: bool) -> None:
    status = health_status(store, name, rules)
    if as_json:
        typer.echo(json.dumps(status.to_dict(), indent=2))
        return
    con = _console()
    if status.screening is None:
        con.print(f"{name} has not answered the health check: openchair health screen -p {name}")
    else:
        con.print(f"Health check answered {status.screening.answered_at:%d %b %Y}.")
        yes = [q for q in rules.question if status.screening.answers.get(q.id)]
        if not yes:
            con.print("No to every question: the chair runs every program as written.")
        lifted = {q.id for q in rules.question if q.hold} - {
            h.question for h in status.restrictions.holds
        }
        for q in yes:
            con.print(f"[bold]{q.id}[/]: {q.ask}")
            for line in effects_text(q):
                if line.startswith("massage on hold") and q.id in lifted:
                    line += " (confirmed)"
                con.print(f"  - {line}")
    if status.new_questions:
        con.print(
            f"The health check has new questions ({', '.join(status.new_questions)}): "
            f"answer it again with openchair health screen -p {name}"
        )
    if status.held_reason:
        con.print(f"[bold red]On hold.[/] {status.held_reason}")
        if not status.red_flag_hold and status.restrictions.holds:
            h = status.restrictions.holds[0]
            con.print(f"When it is so: openchair health confirm -p {name} {h.question}")
        elif status.red_flag_hold:
            con.print(f"When you have been seen: openchair diary seen -p {name}")


@health_app.command("screen")
def health_screen(
    person: Person,
    yes: Annotated[
        str | None,
        typer.Option(
            "--yes",
            help="Answer without questions: the ids answered yes, comma-"
            "separated ('none' for all no). See `openchair health questions`.",
        ),
    ] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """Ask (or ask again) the health check; the answers are kept and change what the chair does."""
    rules = _rules()
    ids = [q.id for q in rules.question]
    if yes is not None:
        chosen = [] if yes.strip() in ("", "none") else [x.strip() for x in yes.split(",")]
        unknown = [x for x in chosen if x not in ids]
        if unknown:
            raise _fail(f"--yes: unknown {', '.join(unknown)}; known: {', '.join(ids)}")
        answers = {i: i in chosen for i in ids}
    else:
        if not sys.stdin.isatty():
            raise _fail("no terminal to ask in: give the answers with --yes ID,ID or --yes none")
        typer.echo("A few questions before the first massage (your answers stay on this machine).")
        answers = {q.id: typer.confirm(q.ask, default=False) for q in rules.question}
    with _store(db) as store:
        save_screening(store, person, rules, answers, _now())
        _show_status(store, person, rules, as_json)


@health_app.command("show")
def health_show(person: Person, db: Db = None, as_json: AsJson = False) -> None:
    """The answers kept for a person and what they change."""
    rules = _rules()
    with _store(db) as store:
        _show_status(store, person, rules, as_json)


@health_app.command("questions")
def health_questions(as_json: AsJson = False) -> None:
    """The questions, why each is asked, and the sources."""
    rules = _rules()
    if as_json:
        typer.echo(json.dumps(rules.model_dump(), indent=2))
        return
    con = _console()
    for q in rules.question:
        con.print(f"[bold]{q.id}[/]: {q.ask}")
        con.print(f"  why: {q.why}")
        con.print(f"  sources: {', '.join(q.sources)}")


@health_app.command("confirm")
def health_confirm(
    person: Person,
    question: Annotated[str, typer.Argument(help="The question whose hold is over.")],
    db: Db = None,
) -> None:
    """Lift a health-check hold: you have done what it asks (e.g. your doctor said yes)."""
    rules = _rules()
    if question not in [q.id for q in rules.question]:
        raise _fail(f"unknown question {question!r}")
    with _store(db) as store:
        confirm_hold(store, person, question, _now())
        _show_status(store, person, rules, False)


# -- diary --------------------------------------------------------------------------------------


def _split(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


@diary_app.command("add")
def diary_add(
    person: Person,
    pain: Annotated[int, typer.Option("--pain", help="0 (no pain) .. 10 (worst imaginable).")],
    area: Annotated[
        list[str] | None, typer.Option("--area", "-a", help=f"Where: {', '.join(BODY_REGIONS)}.")
    ] = None,
    stiffness: Annotated[
        int | None, typer.Option("--stiffness", help="Morning stiffness, minutes.")
    ] = None,
    better: Annotated[list[str] | None, typer.Option("--better", help="What helped.")] = None,
    worse: Annotated[list[str] | None, typer.Option("--worse", help="What made it worse.")] = None,
    note: Annotated[str, typer.Option("--note", help="Free notes.")] = "",
    red_flags: Annotated[
        str | None,
        typer.Option(
            "--red-flags",
            help="Red-flag answers without questions: 'none', or the ids answered yes "
            f"({', '.join(RED_FLAG_IDS)}).",
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When (ISO date/time; default now).")
    ] = None,
    db: Db = None,
) -> None:
    """Note today's pain (only --pain is needed); the red-flag questions come after."""
    when = _now()
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise _fail(f"--at: {at!r} is not a date like 2026-03-02 or 2026-03-02T08:00") from None
        if when.tzinfo is None:
            when = when.astimezone()
    if red_flags is not None:
        chosen = [] if red_flags.strip() == "none" else list(_split([red_flags]))
        unknown = [x for x in chosen if x not in RED_FLAG_IDS]
        if unknown:
            raise _fail(
                f"--red-flags: unknown {', '.join(unknown)}; known: {', '.join(RED_FLAG_IDS)}"
            )
        flags = {i: i in chosen for i in RED_FLAG_IDS}
    elif sys.stdin.isatty():
        flags = {f.id: typer.confirm(f.ask, default=False) for f in RED_FLAG_QUESTIONS}
    else:
        flags = {}
    try:
        entry = DiaryEntry(
            when,
            pain,
            areas=_split(area),
            stiffness_min=stiffness,
            better=_split(better),
            worse=_split(worse),
            notes=note,
            red_flags=flags,
        )
    except DiaryError as err:
        raise _fail(str(err)) from None
    with _store(db) as store:
        store_entry(store, person, entry)
        msg = message_for(flags)
        con = _console()
        if msg is not None:
            con.print(f"[bold red]{msg}[/]")
            con.print(f"When you have been seen: openchair diary seen -p {person}")
            return
        con.print(f"noted: pain {pain}/10" + (f", {', '.join(entry.areas)}" if entry.areas else ""))
        con.print(pain_trend(entries(store, person), _now()).message)


@diary_app.command("list")
def diary_list(
    person: Person,
    days: Annotated[int, typer.Option("--days", min=1, max=3650)] = 28,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """The diary's entries of the last days."""
    with _store(db) as store:
        rows = entries(store, person, since=_now() - timedelta(days=days))
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in rows], indent=2))
        return
    table = Table("date", "pain", "where", "stiff", "better / worse", "flags")
    for e in rows:
        table.add_row(
            f"{e.at.astimezone():%a %d %b}",
            str(e.pain),
            ", ".join(e.areas) or "-",
            "" if e.stiffness_min is None else f"{e.stiffness_min} min",
            "+" + ",".join(e.better) + (" -" + ",".join(e.worse) if e.worse else ""),
            "[red]YES[/]" if e.any_red_flag else "",
        )
    _console().print(table)


@diary_app.command("trend")
def diary_trend(
    person: Person,
    png: Annotated[Path | None, typer.Option("--png", help="Write the plot as PNG.")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104)] = 8,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """Is it getting better? The persistence rule's verdict, weekly means, and a plot."""
    now = _now()
    with _store(db) as store:
        trend = pain_trend(entries(store, person), now)
        if png is not None:
            try:
                png.write_bytes(
                    insight_png_view(
                        store,
                        person,
                        now,
                        weeks,
                        StoreBreakRepository(store, person).all(),
                        posture_days(store, person),
                    )
                )
            except OSError as err:
                raise _fail(f"{png}: cannot write: {err.strerror or err}") from None
    if as_json:
        typer.echo(json.dumps(trend.to_dict(), indent=2))
        return
    con = _console()
    style = "bold red" if trend.see_clinician else "bold"
    con.print(f"[{style}]{trend.message}[/]")
    if trend.weeks:
        table = Table("week from", "mean pain", "entries", "worst")
        for w in trend.weeks[-weeks:]:
            table.add_row(f"{w.start:%d %b}", f"{w.mean:.1f}", str(w.entries), str(w.peak))
        con.print(table)
    if png is not None:
        con.print(f"wrote {png}")


@diary_app.command("seen")
def diary_seen(
    person: Person,
    note: Annotated[str, typer.Option("--note", help="What you were told, if you like.")] = "",
    db: Db = None,
) -> None:
    """You have been seen about the red flags you noted: the chair's programs are yours again."""
    with _store(db) as store:
        confirm_seen(store, person, _now(), note)
        status = health_status(store, person, _rules())
    _console().print("noted: thank you. " + (status.held_reason or "The chair is yours again."))


@diary_app.command("forget")
def diary_forget(
    person: Person,
    everything: Annotated[
        bool,
        typer.Option("--everything", help="Also the person, their body maps and massage history."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm.")] = False,
    db: Db = None,
) -> None:
    """Delete a person's health check, diary, confirmations and breaks (or everything)."""
    what = "everything openchair keeps about" if everything else "the health data of"
    if not yes and not typer.confirm(f"Delete {what} {person}? This cannot be undone."):
        raise typer.Exit(1)
    with _store(db) as store:
        counts = forget_person(store, person) if everything else delete_person_data(store, person)
    done = ", ".join(f"{n} {t}" for t, n in counts.items() if n)
    typer.echo(f"deleted: {done or 'nothing was kept'}")


# -- report and export --------------------------------------------------------------------------


def _day(text: str, opt: str) -> datetime:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{opt}: {text!r} is not a date like 2026-03-02") from None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def report(
    person: Person,
    html: Annotated[Path | None, typer.Option("--html", help="Write print-ready HTML.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write a PDF.")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="Period length.")] = 8,
    until: Annotated[str | None, typer.Option("--until", help="Last day (default today).")] = None,
    desktop_breaks: Annotated[
        bool,
        typer.Option(
            "--desktop-breaks", help="Add this computer's break helper records (breaks.jsonl)."
        ),
    ] = False,
    db: Db = None,
) -> None:
    """A report for a visit to a clinician: pain trend and areas, red flags, what was done."""
    if html is None and pdf is None:
        raise _fail("give --html FILE and/or --pdf FILE")
    now = _now()
    end = _day(until, "--until") + timedelta(days=1) if until else now
    start = end - timedelta(weeks=weeks)
    rules = _rules()
    with _store(db) as store:
        breaks = StoreBreakRepository(store, person).all()
        if desktop_breaks:
            from openchair.care.records import RECORDS_FILE, JsonLinesBreakRepository
            from openchair.care.settings import data_dir

            breaks += JsonLinesBreakRepository(data_dir() / RECORDS_FILE).all()
        data = gather(store, person, start, end, rules, now, breaks)
    try:
        if html is not None:
            html.write_text(report_html(data), encoding="utf-8")
            typer.echo(f"wrote {html}")
        if pdf is not None:
            report_pdf(data, pdf)
            typer.echo(f"wrote {pdf}")
    except OSError as err:
        raise _fail(f"cannot write the report: {err.strerror or err}") from None


def export(
    person: Person,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write one JSON file.")] = None,
    csv_dir: Annotated[Path | None, typer.Option("--csv", help="Write CSV files here.")] = None,
    db: Db = None,
) -> None:
    """Everything kept about a person (health check, diary, sessions, breaks, body maps)."""
    if json_file is None and csv_dir is None:
        raise _fail("give --json FILE and/or --csv FOLDER")
    now = _now()
    with _store(db) as store:
        try:
            if json_file is not None:
                typer.echo(f"wrote {write_json(store, person, json_file, now)}")
            if csv_dir is not None:
                for p in write_csv(store, person, csv_dir, now):
                    typer.echo(f"wrote {p}")
        except OSError as err:
            raise _fail(f"cannot write the export: {err.strerror or err}") from None
    typer.echo("This is health data: keep it private.")


def diary_context_of(person: str, db: str | None = None) -> DiaryContext:
    """For ``openchair plan --person``: the person's last week of diary and health check."""
    from openchair.programs.loader import ProgramLibrary

    with _store(db) as store:
        return context_for(store, person, _now(), _rules(), ProgramLibrary())


def posture_days_of(person: str, db: str | None = None) -> list[PostureDaySummary]:
    """For ``openchair plan --person``: the posture monitor's days the chair keeps for them."""
    with _store(db) as store:
        return posture_days(store, person)


def register(app: typer.Typer) -> None:
    app.add_typer(health_app, name="health")
    app.add_typer(diary_app, name="diary")
    app.command("report")(report)
    app.command("export")(export)
