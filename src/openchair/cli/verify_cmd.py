"""``openchair verify``: every program on a population of simulated bodies, every tick checked."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from openchair.body.model import BodyParams
from openchair.body.population import POPULATIONS
from openchair.cli.options import seed_option
from openchair.inputs.outputs import OutputPathError, prepare_output_dir, write_error
from openchair.programs import ProgramError, ProgramLibrary, load_program
from openchair.programs.model import Program
from openchair.verify.cluster import (
    ClusterError,
    ClusterSpec,
    connect,
    parse_cluster,
    verify_on_cluster,
)
from openchair.verify.corners import corner_population
from openchair.verify.result import VerifyResult
from openchair.verify.rules import RULE_BY_NAME, RULE_NAMES
from openchair.verify.runner import ProgressCallback, default_workers, estimate_chair_ticks, verify

DEFAULT_BODIES = 100
"""A quick population for every-day checks (a few minutes for the whole library on two cores);
``--bodies 1000`` before a program ships."""
FAILING_SHOWN = 10


def _load(programs: list[str]) -> list[Program]:
    library = ProgramLibrary()
    ids = library.builtin_ids() if not programs or programs == ["all"] else programs
    loaded: list[Program] = []
    for pid in ids:
        try:
            loaded.append(load_program(pid, library))
        except ProgramError as err:
            for m in err.messages:
                typer.echo(m, err=True)
            raise typer.Exit(2) from None
    return loaded


def _fmt(value: float) -> str:
    if math.isinf(value):
        return "—"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def print_result(result: VerifyResult, console: Console) -> None:
    c = result.criteria
    summary = Table(
        title=f"openchair verify: {len(result.population)} bodies "
        f"({result.population_source}), seed {result.seed}"
    )
    for col in ("program", "passed", "failed", "coverage (median, min)", "peak F / pain", "events"):
        summary.add_column(col, justify="left" if col == "program" else "right")
    for p in result.programs:
        passed = p.passed(c)
        summary.add_row(
            escape(p.program_id),
            str(int(passed.sum())),
            f"[red]{int((~passed).sum())}[/]" if (~passed).any() else "0",
            f"{100 * _stat(np.median, p.coverage):.0f} %, {100 * _stat(np.min, p.coverage):.0f} %",
            f"{_stat(np.max, p.peak_ratio):.2f}",
            str(int(p.safety_events.sum())),
        )
    console.print(summary)
    for p in result.programs:
        if p.bodies.size == 0:
            continue
        table = Table(title=f"{escape(p.program_id)}: worst margin per rule")
        for col in ("rule", "kind", "worst margin", "body", "failed"):
            table.add_column(col, justify="left" if col in ("rule", "kind") else "right")
        for rule in RULE_NAMES:
            margin, body = p.worst(rule)
            failed = int((~p.passed_rule(rule, c)).sum())
            unit = RULE_BY_NAME[rule].unit
            table.add_row(
                rule,
                RULE_BY_NAME[rule].kind,
                f"{_fmt(margin)} {unit}".strip(),
                str(body),
                f"[red]{failed}[/]" if failed else "0",
            )
        console.print(table)
        failing = [int(i) for i in (~p.passed(c)).nonzero()[0]]
        for i in failing[:FAILING_SHOWN]:
            body = int(p.bodies[i])
            console.print(
                f"  [red]body {body}[/] fails {', '.join(p.failed_rules(i, c))} "
                f"({escape(p.outcome[i])})\n"
                f"    replay: {escape(result.replay_command(p.program_id, body))}"
            )
        if len(failing) > FAILING_SHOWN:
            console.print(f"  … and {len(failing) - FAILING_SHOWN} more (--json lists them all)")
    rate = result.chair_ticks / result.wall_s if result.wall_s else 0.0
    verdict = "[green]PASS[/]" if result.ok else "[red]FAIL[/]"
    console.print(
        f"{verdict}: {result.chair_ticks:,} chair-ticks in {result.wall_s:.1f} s "
        f"({rate:,.0f} per second, {result.workers} worker(s))"
    )


def _stat(
    reduce: Callable[[npt.NDArray[np.float64]], object], values: npt.NDArray[np.float64]
) -> float:
    """A reduction for the summary table; NaN for a program no body ran."""
    return float(reduce(values)) if values.size else float("nan")  # type: ignore[arg-type]


def _cluster_spec(
    cluster: str | None, scheduler: str | None, workers: int | None
) -> ClusterSpec | None:
    """Where to run, from the options; ``None``: in this process and its own worker processes."""
    if cluster is not None and scheduler is not None:
        raise typer.BadParameter("give --cluster or --scheduler, not both", param_hint="--cluster")
    if workers is not None and (cluster is not None or scheduler is not None):
        raise typer.BadParameter(
            "--workers counts this machine's processes; on a cluster the workers are the "
            "cluster's ('--cluster local:N' for N of them)",
            param_hint="--workers",
        )
    if scheduler is not None:
        return ClusterSpec(scheduler=scheduler)
    if cluster is None:
        return None
    try:
        return parse_cluster(cluster, default_workers())
    except ClusterError as err:
        raise typer.BadParameter(str(err), param_hint="--cluster") from None


def _verify_on_cluster(
    spec: ClusterSpec,
    chosen: list[Program],
    bodies: int,
    seed: int,
    intensity: int,
    progress: ProgressCallback,
    population: str,
    people: list[BodyParams] | None,
) -> VerifyResult:
    with connect(spec) as client:
        return verify_on_cluster(
            chosen,
            bodies,
            client,
            seed=seed,
            intensity=intensity,
            progress=progress,
            population_source=population,
            people=people,
        )


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify_command(
        programs: Annotated[
            list[str] | None,
            typer.Option(
                "--programs",
                help="'all' (the default: every built-in), or program ids / .toml files.",
            ),
        ] = None,
        extra: Annotated[
            list[str] | None, typer.Argument(help="More program ids after --programs.")
        ] = None,
        bodies: Annotated[
            int, typer.Option(min=1, max=100_000, help="How many simulated bodies.")
        ] = DEFAULT_BODIES,
        seed: Annotated[int, seed_option("Seed of the body population.")] = 0,
        population: Annotated[
            str,
            typer.Option(
                help="parametric (stature-scaled bodies), ansur (measured persons of the "
                "survey) or corners (the 64 worst-case bodies: every sampled parameter at its "
                "bounds)."
            ),
        ] = "parametric",
        intensity: Annotated[int, typer.Option(min=1, max=5, help="1..5")] = 3,
        workers: Annotated[
            int | None, typer.Option(min=1, max=64, help="Processes (default: every core).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        report: Annotated[
            Path | None, typer.Option(help="Write an HTML report with plots into this folder.")
        ] = None,
        cluster: Annotated[
            str | None,
            typer.Option(
                help="Run on a Dask cluster started here: 'local' (a worker process per core) "
                "or 'local:N' (N worker processes)."
            ),
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option(
                help="Run on the workers of a running Dask scheduler, e.g. tcp://HOST:8786 "
                "(docs/PERFORMANCE.md, 'Past one machine')."
            ),
        ] = None,
    ) -> None:
        """Scan and run programs on simulated bodies; check every tick (exit 1 if any fails)."""
        if population not in (*POPULATIONS, "corners"):
            raise typer.BadParameter(
                f"{population!r}: use {', '.join(POPULATIONS)} or corners",
                param_hint="--population",
            )
        spec = _cluster_spec(cluster, scheduler, workers)
        chosen = _load([*(programs or []), *(extra or [])])
        if report is not None:
            # Before the long run, not after it: a report that cannot be written loses nothing.
            try:
                prepare_output_dir(report, "report")
            except OutputPathError as err:
                raise typer.BadParameter(str(err), param_hint="--report") from None
        people = corner_population(seed) if population == "corners" else None
        if people is not None:
            bodies = len(people)
        console = Console(stderr=True)
        total = estimate_chair_ticks(chosen, bodies)
        console.print(
            f"verifying {len(chosen)} program(s) on {bodies} {population} bodies (seed {seed}): "
            f"{total:,} chair-ticks" + (f", on {spec.describe()}" if spec is not None else "")
        )
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as bar:
            task = bar.add_task("chair-ticks", total=total)

            def advance(chair_ticks: int) -> None:
                bar.update(task, advance=chair_ticks)

            try:
                if spec is None:
                    result = verify(
                        chosen,
                        bodies,
                        seed=seed,
                        intensity=intensity,
                        workers=workers,
                        progress=advance,
                        population_source=population,
                        people=people,
                    )
                else:
                    result = _verify_on_cluster(
                        spec, chosen, bodies, seed, intensity, advance, population, people
                    )
            except KeyboardInterrupt:
                console.print("verification interrupted: no result")
                raise typer.Exit(130) from None
            except ClusterError as err:
                console.print(f"[red]cluster:[/] {escape(str(err))}")
                raise typer.Exit(2) from None
            bar.update(task, completed=total)
        report_failed: str | None = None
        if report is not None:
            from openchair.verify.report import write_report

            try:
                index = write_report(result, report)
            except OSError as err:
                report_failed = write_error(report, err)
            else:
                console.print(f"report: {index}")
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
        else:
            print_result(result, Console())
        if report_failed is not None:
            # The result is printed above; only the report is missing.
            typer.echo(f"--report: {report_failed}", err=True)
            sys.exit(2)
        sys.exit(0 if result.ok else 1)
