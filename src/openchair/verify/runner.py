"""Running every program on a population of simulated bodies: batched, on every core.

The work is split into jobs of (program, chunk of bodies). Each chunk is scanned once, as a real
chair would scan the person before a program, and the twin as it stands after the scan is copied
for each program, so every program run is exactly what ``openchair run PROGRAM --body … --seed …``
does for that body alone: the scan hands over at a fixed time that every scan fits in
(``limits.scan_duration_max_s``), so every program starts at the same chair time whatever the
other bodies of its batch, and the twin's noise depends on the chair's own seed only. Jobs run
in worker processes when there is more than one worker; progress is counted in chair-ticks (one
10 ms control step of one chair).
"""

from __future__ import annotations

import itertools
import math
import os
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
import numpy.typing as npt

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.body.population import sample
from openchair.control.loop import TICK_S
from openchair.control.record import Outcome
from openchair.hardware.twin import TwinChair
from openchair.programs.compiler import CompiledProgram
from openchair.programs.model import Program
from openchair.safety.limits import DEFAULT_LIMITS
from openchair.scan import run_scan
from openchair.verify.mix import MixedSession, repeat_twin
from openchair.verify.monitor import TickMonitor
from openchair.verify.rebatch import RebatchError
from openchair.verify.result import ProgramResult, VerifyResult
from openchair.verify.rules import (
    AIR_PRESSURE,
    COMFORTABLE_DEPTH,
    CUSHION_USE,
    DEFAULT_CRITERIA,
    DEPTH_REACHED,
    FORCE_HARD_LIMIT,
    HEAT_USE,
    HEATER_SURFACE,
    NECK_LIGHT_WORK,
    ON_TRACK,
    PAIN_THRESHOLD,
    RULE_NAMES,
    SESSION_COMPLETED,
    ZONE_TIME,
    VerifyCriteria,
)

IntArray = npt.NDArray[np.int64]

CHUNK_BODIES_MAX = 1000
"""Bodies per batch. Past about a thousand a tick costs the same per chair (numpy's fixed cost
per call is spread thin by then) while memory keeps growing."""
PROGRESS_EVERY_TICKS = 250
SCAN_TICKS_ESTIMATE = round(DEFAULT_LIMITS.scan_duration_max_s / TICK_S)
"""A scan lasts ``limits.scan_duration_max_s`` for every body."""

ProgressCallback = Callable[[int], None]
"""Called with the number of chair-ticks just done."""


def population(n: int, seed: int, source: str = "parametric") -> list[BodyParams]:
    """The verification population: ``n`` people from the named sampler (``parametric`` or
    ``ansur``: measured persons), reproducible by ``seed``."""
    return sample(source, n, np.random.default_rng(seed))


@dataclass
class ScannedChunk:
    """Some bodies of the population, scanned: the twin as it stands after the scan."""

    bodies: IntArray
    """Population indices of the bodies that scanned well (the twin holds these only)."""
    twin: TwinChair | None
    maps: BodyMapBatch | None
    start_s: float
    failed: dict[int, str]
    """Population index → the scan's message, for bodies whose scan failed."""


def scan_chunk(
    params: Sequence[BodyParams], indices: Sequence[int], progress: ProgressCallback | None = None
) -> ScannedChunk:
    """Scan the bodies together; bodies whose scan fails are set aside with the scan's message."""
    twin = TwinChair(BodyBatch.from_params(params), seeds=[p.seed for p in params])
    result = run_scan(twin)
    ticks = round(result.duration_s / TICK_S) + 1
    if progress:
        progress(ticks * len(params))
    failed = {int(indices[i]): c.message for i, c in enumerate(result.chairs) if c.body_map is None}
    if not failed:
        bodies = np.asarray(indices, dtype=np.int64)
        return ScannedChunk(bodies, twin, result.maps(), result.duration_s + TICK_S, {})
    keep = [i for i, c in enumerate(result.chairs) if c.body_map is not None]
    if not keep:
        return ScannedChunk(np.zeros(0, dtype=np.int64), None, None, 0.0, failed)
    # The scan of a body does not depend on its neighbours: scanning the rest again gives the
    # same maps, and a twin that holds only bodies a program can run on.
    rest = scan_chunk([params[i] for i in keep], [indices[i] for i in keep])
    rest.failed.update(failed)
    return rest


def run_program_chunk(
    program: Program,
    chunk: ScannedChunk,
    *,
    intensity: int = 3,
    criteria: VerifyCriteria = DEFAULT_CRITERIA,
    compiler: type[CompiledProgram] = CompiledProgram,
    progress: ProgressCallback | None = None,
) -> ProgramResult:
    """One program on one scanned chunk, every tick checked; the twin of ``chunk`` is copied."""
    return run_programs_chunk(
        [program],
        chunk,
        intensity=intensity,
        criteria=criteria,
        compiler=compiler,
        progress=progress,
    )[0]


def run_programs_chunk(
    programs: Sequence[Program],
    chunk: ScannedChunk,
    *,
    intensity: int = 3,
    criteria: VerifyCriteria = DEFAULT_CRITERIA,
    compiler: type[CompiledProgram] = CompiledProgram,
    progress: ProgressCallback | None = None,
) -> list[ProgramResult]:
    """Every program on one scanned chunk as one batch (one group of chairs per program), every
    tick checked; the twin of ``chunk`` is copied. A group's result is exactly that of its
    program run alone on the chunk (``verify.mix``)."""
    if chunk.twin is None or chunk.maps is None:
        return [merge_results(p, [], chunk) for p in programs]
    try:
        twin = repeat_twin(chunk.twin, len(programs))
    except RebatchError:
        # A twin whose state cannot be repeated (only ever copied): one batch per program.
        return [
            run_program_chunk(
                p,
                chunk,
                intensity=intensity,
                criteria=criteria,
                compiler=compiler,
                progress=progress,
            )
            for p in programs
        ]
    session = MixedSession(
        programs, chunk.maps, twin, intensity=intensity, start_s=chunk.start_s, compiler=compiler
    )
    monitor = TickMonitor(chunk.twin.bodies, session.mix, twin.description, criteria)
    n = chunk.bodies.size
    results: list[ProgramResult | None] = [None] * len(programs)
    watched = set(range(len(programs)))
    """The groups whose run is not over yet."""
    k = 0
    since_report = 0
    while watched:
        t = session.start_s + k * session.tick_s
        session.tick(t, 0.0)
        setpoints = session.last_setpoints
        assert setpoints is not None
        steps = session.mix.steps_at(session.program_tick - 1)
        monitor.observe(setpoints, session.twin.peek_truth(), session.state, steps, t)
        k += 1
        since_report += 1
        if progress and since_report >= PROGRESS_EVERY_TICKS:
            progress(since_report * n * len(watched))
            since_report = 0
        ended = [j for j, g in enumerate(session.groups) if g in watched and session.over(j)]
        if not ended:
            continue
        if progress and since_report:
            progress(since_report * n * len(watched))
            since_report = 0
        session.count_events()
        for j in ended:
            g = session.groups[j]
            rows = session.rows(j)
            outcomes = [session.chair_outcome(i) for i in range(rows.start, rows.stop)]
            results[g] = _program_result(
                programs[g],
                chunk,
                monitor.group(j),
                [
                    "completed" if o is Outcome.COMPLETED else f"{o.value}: {why}"
                    for o, why in outcomes
                ],
                session.event_counts[rows].copy(),
                k * n,
                criteria,
            )
            watched.discard(g)
        # A group that cannot leave the batch rests in it, still observed (its result is taken).
        stay = [j for j in range(len(session.groups)) if j not in ended]
        if watched and session.drop(ended):
            monitor.keep(stay)
    return [r for r in results if r is not None]


@dataclass
class ChunkResult:
    """What one job gives back (plain data, picklable): per program, in the order given, its
    result on the chunk's scanned bodies (empty when no body scanned), and the bodies whose scan
    failed (population index → the scan's message)."""

    results: list[ProgramResult]
    failed: dict[int, str]


def verify_chunk(
    programs: Sequence[Program],
    params: Sequence[BodyParams],
    indices: Sequence[int],
    *,
    intensity: int = 3,
    criteria: VerifyCriteria = DEFAULT_CRITERIA,
    compiler: type[CompiledProgram] = CompiledProgram,
    progress: ProgressCallback | None = None,
) -> ChunkResult:
    """One job of a verification: scan the bodies ``params`` (population indices ``indices``),
    then run every program on them as one batch. Inputs and output are plain, picklable data:
    a process pool or a cluster runs it as it is, and the same job gives the same result
    wherever it runs."""
    chunk = scan_chunk(params, indices, progress)
    if chunk.twin is None:
        return ChunkResult([], chunk.failed)
    results = run_programs_chunk(
        programs,
        chunk,
        intensity=intensity,
        criteria=criteria,
        compiler=compiler,
        progress=progress,
    )
    return ChunkResult(results, chunk.failed)


def _program_result(
    program: Program,
    chunk: ScannedChunk,
    monitor: TickMonitor,
    outcome: list[str],
    events: IntArray,
    chair_ticks: int,
    c: VerifyCriteria,
) -> ProgramResult:
    lim = c.limits
    completed = np.array([o == "completed" for o in outcome])
    margins = {
        PAIN_THRESHOLD: monitor.pain_margin_n,
        FORCE_HARD_LIMIT: lim.roller_force_hard_max_n - monitor.peak_force_n,
        COMFORTABLE_DEPTH: monitor.depth_margin_mm,
        NECK_LIGHT_WORK: np.minimum(monitor.neck_margin_n, c.neck_force_max_n),
        AIR_PRESSURE: lim.air_pressure_max_kpa - monitor.max_pressure_kpa,
        HEATER_SURFACE: lim.heater_surface_max_c - monitor.max_temp_c,
        ON_TRACK: monitor.track_margin_mm,
        SESSION_COMPLETED: np.where(completed, 1.0, -1.0),
        ZONE_TIME: monitor.zone_share() - c.zone_time_share_min,
        DEPTH_REACHED: monitor.depth_share() - c.depth_reached_share_min,
        CUSHION_USE: monitor.cushion_share() - c.cushion_use_share_min,
        HEAT_USE: monitor.heat_share() - c.heat_use_share_min,
    }
    assert set(margins) == set(RULE_NAMES)
    return ProgramResult(
        program_id=program.id or program.name,
        name=program.name,
        minutes=program.minutes,
        bodies=chunk.bodies.copy(),
        margins={r: np.asarray(v, dtype=np.float64) for r, v in margins.items()},
        outcome=outcome,
        peak_force_n=monitor.peak_force_n,
        threshold_at_peak_n=monitor.threshold_at_peak_n,
        peak_ratio=monitor.peak_ratio,
        coverage=monitor.coverage(),
        back_seconds=np.asarray(monitor.back_ticks * monitor.tick_s, dtype=np.float64),
        safety_events=events,
        worst_time_s={
            PAIN_THRESHOLD: monitor.pain_worst_s - chunk.start_s,
            COMFORTABLE_DEPTH: monitor.depth_worst_s - chunk.start_s,
        },
        chair_ticks=chair_ticks,
    )


def merge_results(
    program: Program, parts: list[ProgramResult], *failed_chunks: ScannedChunk
) -> ProgramResult:
    """One result from the chunks' results, with the bodies whose scan failed as failures."""
    from openchair.verify.monitor import BACK_BINS

    failed: dict[int, str] = {}
    for ch in failed_chunks:
        failed.update(ch.failed)
    nf = len(failed)
    f_idx = np.array(sorted(failed), dtype=np.int64)

    def cat(get: Callable[[ProgramResult], npt.NDArray[np.generic]], fill: float) -> np.ndarray:
        arrays = [np.asarray(get(p)) for p in parts]
        shape = (nf, *arrays[0].shape[1:]) if arrays else (nf,)
        arrays.append(np.full(shape, fill))
        return np.concatenate(arrays)

    margins = {}
    for rule in RULE_NAMES:
        # A body the chair could not scan ran no program: it fails the session rule only.
        fill = -1.0 if rule == SESSION_COMPLETED else np.inf
        margins[rule] = cat(lambda p, r=rule: p.margins[r], fill).astype(np.float64)  # type: ignore[misc]
    back = (
        np.concatenate([p.back_seconds for p in parts] + [np.zeros((nf, BACK_BINS))])
        if parts
        else np.zeros((nf, BACK_BINS))
    )
    bodies = np.concatenate([p.bodies for p in parts] + [f_idx]).astype(np.int64)
    order = np.argsort(bodies, kind="stable")
    worst: dict[str, np.ndarray] = {}
    for key in (PAIN_THRESHOLD, COMFORTABLE_DEPTH):
        worst[key] = cat(lambda p, k=key: p.worst_time_s[k], 0.0)[order]  # type: ignore[misc]
    return ProgramResult(
        program_id=program.id or program.name,
        name=program.name,
        minutes=program.minutes,
        bodies=bodies[order],
        margins={r: v[order] for r, v in margins.items()},
        outcome=[
            o
            for _, o in sorted(
                zip(
                    bodies.tolist(),
                    [o for p in parts for o in p.outcome]
                    + [f"scan failed: {failed[int(i)]}" for i in f_idx],
                    strict=True,
                )
            )
        ],
        peak_force_n=cat(lambda p: p.peak_force_n, 0.0)[order],
        threshold_at_peak_n=cat(lambda p: p.threshold_at_peak_n, np.nan)[order],
        peak_ratio=cat(lambda p: p.peak_ratio, 0.0)[order],
        coverage=cat(lambda p: p.coverage, 0.0)[order],
        back_seconds=back[order],
        safety_events=cat(lambda p: p.safety_events, 0).astype(np.int64)[order],
        worst_time_s=worst,
        chair_ticks=sum(p.chair_ticks for p in parts),
    )


# -- planning and parallel execution -------------------------------------------------------------


def chunk_bounds(n_bodies: int, n_programs: int, workers: int) -> list[tuple[int, int]]:
    """Split the population into chunks, one job each (every program on the chunk, as one
    batch): as many as the workers, or a multiple of them for chunks of at most
    ``CHUNK_BODIES_MAX`` bodies, so that the workers finish together. ``n_programs`` does not
    change the split: every job runs them all."""
    del n_programs
    rounds = math.ceil(math.ceil(n_bodies / CHUNK_BODIES_MAX) / workers)
    chunks = max(1, min(rounds * workers, n_bodies))
    edges = np.linspace(0, n_bodies, chunks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


@dataclass(frozen=True)
class Job:
    """One job of a verification: the programs (indices into the list verified) run as one
    batch on the bodies ``bodies[0] … bodies[1] − 1`` of the population."""

    programs: tuple[int, ...]
    bodies: tuple[int, int]


TICK_FIXED_S = 0.53e-3
"""Cost model for planning (measured on the reference machine, one core): a batched tick costs
this whatever the batch, plus GROUP_TICK_S per program in the batch, plus CHAIR_TICK_S per chair.
Only the choice between plans depends on it, never a result."""
GROUP_TICK_S = 0.09e-3
CHAIR_TICK_S = 0.5e-6


def job_cost_s(programs: Sequence[Program], n_bodies: int) -> float:
    """Estimated seconds of one job: the longest program's ticks at the batch's fixed cost,
    plus every chair-tick (each program's chairs leave the batch when it ends)."""
    ticks = [round(p.total_seconds() / TICK_S) for p in programs]
    fixed = max(ticks) * (TICK_FIXED_S + GROUP_TICK_S * len(programs))
    return fixed + n_bodies * sum(ticks) * CHAIR_TICK_S


def plan_jobs(programs: Sequence[Program], n_bodies: int, workers: int) -> list[Job]:
    """The jobs that should finish first on ``workers`` processes: every program together on
    chunks of the population (best for many bodies, where chair-ticks dominate), or the
    programs shared out between the workers, each set on every body (best for few bodies,
    where the fixed cost of a tick dominates and is paid once per job for the longest
    program). A body's result is the same whichever plan runs it."""
    everything = tuple(range(len(programs)))
    plans = [[Job(everything, b) for b in chunk_bounds(n_bodies, len(programs), workers)]]
    if workers > 1 and len(programs) > 1:
        bounds = chunk_bounds(n_bodies, len(programs), 1)
        size = max(b - a for a, b in bounds)
        sets: list[list[int]] = [[] for _ in range(min(workers, len(programs)))]
        for pi in sorted(everything, key=lambda i: -programs[i].total_seconds()):

            def cost_with(s: list[int], pi: int = pi) -> float:
                return job_cost_s([programs[i] for i in [*s, pi]], size)

            min(sets, key=cost_with).append(pi)
        plans.append([Job(tuple(sorted(s)), b) for s in sets for b in bounds])

    def makespan(jobs: list[Job]) -> float:
        loads = [0.0] * workers
        for cost in sorted((_cost(programs, j) for j in jobs), reverse=True):
            loads[loads.index(min(loads))] += cost
        return max(loads)

    return min(plans, key=makespan)


def _cost(programs: Sequence[Program], job: Job) -> float:
    return job_cost_s([programs[i] for i in job.programs], job.bodies[1] - job.bodies[0])


def estimate_chair_ticks(programs: Sequence[Program], n_bodies: int) -> int:
    """Work to do, for a progress bar: the scans plus every program on every body."""
    ticks = sum(round(p.total_seconds() / TICK_S) + 1 for p in programs)
    return n_bodies * (ticks + SCAN_TICKS_ESTIMATE)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def verification_people(
    programs: Sequence[Program],
    n_bodies: int,
    seed: int,
    intensity: int,
    population_source: str,
    people: Sequence[BodyParams] | None,
) -> list[BodyParams]:
    """The bodies a verification runs on, after checking its request (wherever it runs: in this
    process or on a cluster)."""
    if n_bodies < 1:
        raise ValueError(f"bodies: {n_bodies}; verification needs at least one body")
    if not programs:
        raise ValueError("no programs to verify")
    if intensity not in range(1, 6):
        raise ValueError(f"intensity: {intensity} is outside 1..5")
    return list(people) if people is not None else population(n_bodies, seed, population_source)


def verify(
    programs: Sequence[Program],
    n_bodies: int,
    *,
    seed: int = 0,
    intensity: int = 3,
    workers: int | None = None,
    criteria: VerifyCriteria = DEFAULT_CRITERIA,
    progress: ProgressCallback | None = None,
    compiler: type[CompiledProgram] = CompiledProgram,
    population_source: str = "parametric",
    people: Sequence[BodyParams] | None = None,
) -> VerifyResult:
    """Scan and run every program on ``n_bodies`` sampled bodies (or on ``people``, e.g. the
    population's corners); check every tick."""
    people = verification_people(programs, n_bodies, seed, intensity, population_source, people)
    n_bodies = len(people)
    n_workers = workers or default_workers()
    jobs = plan_jobs(programs, n_bodies, n_workers)
    t0 = time.perf_counter()
    if n_workers == 1 or len(jobs) == 1:
        done = [
            verify_chunk(
                [programs[i] for i in job.programs],
                people[job.bodies[0] : job.bodies[1]],
                list(range(*job.bodies)),
                intensity=intensity,
                criteria=criteria,
                compiler=compiler,
                progress=progress,
            )
            for job in jobs
        ]
    else:
        done = _run_parallel(
            programs, people, jobs, n_workers, intensity, criteria, compiler, progress
        )
    failed = [ScannedChunk(np.zeros(0, dtype=np.int64), None, None, 0.0, c.failed) for c in done]
    results = [
        merge_results(
            prog,
            [
                c.results[job.programs.index(pi)]
                for job, c in zip(jobs, done, strict=True)
                if c.results and pi in job.programs
            ],
            *failed,
        )
        for pi, prog in enumerate(programs)
    ]
    return VerifyResult(
        population=people,
        seed=seed,
        intensity=intensity,
        programs=results,
        criteria=criteria,
        wall_s=time.perf_counter() - t0,
        workers=n_workers,
        population_source=population_source,
    )


def _queue_progress(q: queue.Queue[int] | None) -> ProgressCallback | None:
    if q is None:
        return None

    def report(chair_ticks: int) -> None:
        q.put(chair_ticks)

    return report


def _chunk_job(
    programs: list[Program],
    params: list[BodyParams],
    indices: list[int],
    intensity: int,
    criteria: VerifyCriteria,
    compiler: type[CompiledProgram],
    q: queue.Queue[int] | None,
) -> ChunkResult:
    return verify_chunk(
        programs,
        params,
        indices,
        intensity=intensity,
        criteria=criteria,
        compiler=compiler,
        progress=_queue_progress(q),
    )


def _run_parallel(
    programs: Sequence[Program],
    people: list[BodyParams],
    jobs: list[Job],
    workers: int,
    intensity: int,
    criteria: VerifyCriteria,
    compiler: type[CompiledProgram],
    progress: ProgressCallback | None,
) -> list[ChunkResult]:
    # Spawned workers: a forked copy of a process with threads (the progress display) can hang.
    ctx = get_context("spawn")
    manager = ctx.Manager() if progress else None
    q: queue.Queue[int] | None = manager.Queue() if manager else None

    def drain() -> None:
        if q is None or progress is None:
            return
        while True:
            try:
                progress(q.get_nowait())
            except queue.Empty:
                return

    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            # Longest jobs first, so the last job to start is a short one.
            order = sorted(range(len(jobs)), key=lambda i: -_cost(programs, jobs[i]))
            futures = {
                i: pool.submit(
                    _chunk_job,
                    [programs[p] for p in jobs[i].programs],
                    people[jobs[i].bodies[0] : jobs[i].bodies[1]],
                    list(range(*jobs[i].bodies)),
                    intensity,
                    criteria,
                    compiler,
                    q,
                )
                for i in order
            }
            pending: set[Future[ChunkResult]] = set(futures.values())
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                for f in finished:
                    f.result()  # a worker's error surfaces here, with its traceback
            drain()
            return [futures[i].result() for i in range(len(jobs))]
    finally:
        if manager is not None:
            manager.shutdown()
