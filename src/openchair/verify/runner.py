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

import copy
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
from openchair.control.session import Session
from openchair.hardware.twin import TwinChair
from openchair.programs.compiler import CompiledProgram
from openchair.programs.model import Program
from openchair.safety.limits import DEFAULT_LIMITS
from openchair.scan import run_scan
from openchair.verify.monitor import TickMonitor
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
    pid = program.id or program.name
    if chunk.twin is None or chunk.maps is None:
        return merge_results(program, [], chunk)
    twin = copy.deepcopy(chunk.twin)
    session = Session(
        program, chunk.maps, twin, intensity=intensity, start_s=chunk.start_s, compiler=compiler
    )
    monitor = TickMonitor(twin.bodies, session.compiled, twin.description, criteria)
    n = twin.batch_size
    k = 0
    since_report = 0
    last_tick = session.compiled.n_ticks - 1
    while True:
        t = session.start_s + k * session.tick_s
        alive = session.tick(t, 0.0)
        setpoints = session.last_setpoints
        assert setpoints is not None
        step = session.compiled.step_at(min(session.program_tick - 1, last_tick))
        monitor.observe(setpoints, twin.peek_truth(), session.state, step, t)
        k += 1
        since_report += 1
        if progress and since_report >= PROGRESS_EVERY_TICKS:
            progress(since_report * n)
            since_report = 0
        if not alive:
            break
    if progress and since_report:
        progress(since_report * n)
    record = session.record()
    c = criteria
    lim = c.limits
    outcome = [
        "completed" if ch.outcome is Outcome.COMPLETED else f"{ch.outcome.value}: {ch.reason}"
        for ch in record.chairs
    ]
    completed = np.array([ch.outcome is Outcome.COMPLETED for ch in record.chairs])
    events = np.bincount([e.chair for e in record.events], minlength=n).astype(np.int64)
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
        program_id=pid,
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
        chair_ticks=k * n,
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
    """Split the population so that there are enough jobs for every worker."""
    chunks = max(math.ceil(n_bodies / CHUNK_BODIES_MAX), math.ceil(workers / max(n_programs, 1)))
    chunks = max(1, min(chunks, n_bodies))
    edges = np.linspace(0, n_bodies, chunks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def estimate_chair_ticks(programs: Sequence[Program], n_bodies: int) -> int:
    """Work to do, for a progress bar: the scans plus every program on every body."""
    ticks = sum(round(p.total_seconds() / TICK_S) + 1 for p in programs)
    return n_bodies * (ticks + SCAN_TICKS_ESTIMATE)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


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
    if n_bodies < 1:
        raise ValueError(f"bodies: {n_bodies}; verification needs at least one body")
    if not programs:
        raise ValueError("no programs to verify")
    if intensity not in range(1, 6):
        raise ValueError(f"intensity: {intensity} is outside 1..5")
    people = list(people) if people is not None else population(n_bodies, seed, population_source)
    n_bodies = len(people)
    n_workers = workers or default_workers()
    bounds = chunk_bounds(n_bodies, len(programs), n_workers)
    t0 = time.perf_counter()
    if n_workers == 1:
        chunks = [scan_chunk(people[a:b], list(range(a, b)), progress) for a, b in bounds]
        parts = {
            (pi, ci): run_program_chunk(
                prog,
                ch,
                intensity=intensity,
                criteria=criteria,
                compiler=compiler,
                progress=progress,
            )
            for pi, prog in enumerate(programs)
            for ci, ch in enumerate(chunks)
        }
    else:
        chunks, parts = _run_parallel(
            programs, people, bounds, n_workers, intensity, criteria, compiler, progress
        )
    results = [
        merge_results(
            prog,
            [parts[(pi, ci)] for ci, ch in enumerate(chunks) if ch.twin is not None],
            *chunks,
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


def _scan_job(
    params: list[BodyParams], indices: list[int], q: queue.Queue[int] | None
) -> ScannedChunk:
    return scan_chunk(params, indices, _queue_progress(q))


def _program_job(
    program: Program,
    chunk: ScannedChunk,
    intensity: int,
    criteria: VerifyCriteria,
    compiler: type[CompiledProgram],
    q: queue.Queue[int] | None,
) -> ProgramResult:
    return run_program_chunk(
        program,
        chunk,
        intensity=intensity,
        criteria=criteria,
        compiler=compiler,
        progress=_queue_progress(q),
    )


def _run_parallel(
    programs: Sequence[Program],
    people: list[BodyParams],
    bounds: list[tuple[int, int]],
    workers: int,
    intensity: int,
    criteria: VerifyCriteria,
    compiler: type[CompiledProgram],
    progress: ProgressCallback | None,
) -> tuple[list[ScannedChunk], dict[tuple[int, int], ProgramResult]]:
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

    def wait_all(futures: Sequence[Future[object]]) -> None:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            drain()
            for f in done:
                f.result()  # a worker's error surfaces here, with its traceback
        drain()

    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            scan_futures = [
                pool.submit(_scan_job, people[a:b], list(range(a, b)), q) for a, b in bounds
            ]
            wait_all(scan_futures)  # type: ignore[arg-type]
            chunks = [f.result() for f in scan_futures]
            # Longest jobs first, so the last job to start is a short one.
            jobs = sorted(
                (
                    (pi, ci)
                    for pi in range(len(programs))
                    for ci, ch in enumerate(chunks)
                    if ch.twin is not None
                ),
                key=lambda j: -programs[j[0]].total_seconds() * chunks[j[1]].bodies.size,
            )
            futures = {
                job: pool.submit(
                    _program_job,
                    programs[job[0]],
                    chunks[job[1]],
                    intensity,
                    criteria,
                    compiler,
                    q,
                )
                for job in jobs
            }
            wait_all(list(futures.values()))  # type: ignore[arg-type]
            parts = {job: f.result() for job, f in futures.items()}
    finally:
        if manager is not None:
            manager.shutdown()
    return chunks, parts
