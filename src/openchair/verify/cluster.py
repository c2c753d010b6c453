"""Verification past one machine: the runner's jobs on a Dask distributed cluster.

The work is the runner's own (``openchair.verify.runner``): every chunk of bodies is scanned once,
then every (program, chunk) job runs on the scanned chunk's twin. Here the jobs are Dask tasks
instead of a process pool's, on a cluster that openchair starts on this machine
(``--cluster local:N``) or on one the user runs on several machines (``--scheduler ADDRESS``).

Why this gives the in-process result, body for body: a job is pure. It reads its inputs (the
bodies, or the scanned chunk, whose twin it copies before running) and returns a value, with no
side effect but progress messages; a body's run depends on its own seed only, never on the
other bodies of its chunk or on the chunking. So when a worker dies, Dask runs its lost tasks
again (and the scans they needed, if the dead worker held them) and gets the same values.

Progress is counted per job, never added blindly: each job reports how many chair-ticks it has
done so far; the display shows, per job, the most it has heard (a job run twice counts once, and
the bar waits while the second run catches up), and a finished job counts exactly the
chair-ticks it reported in all, whatever messages are still on their way.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openchair.body.model import BodyParams
from openchair.programs.compiler import CompiledProgram
from openchair.programs.model import Program
from openchair.verify.result import ProgramResult, VerifyResult
from openchair.verify.rules import DEFAULT_CRITERIA, VerifyCriteria
from openchair.verify.runner import (
    ProgressCallback,
    ScannedChunk,
    chunk_bounds,
    merge_results,
    run_program_chunk,
    scan_chunk,
    verification_people,
)

if TYPE_CHECKING:
    from distributed import Client, Future

INSTALL_HINT = "pip install 'openchair[cluster]' (or: bash scripts/bootstrap.sh)"
"""How to get the cluster engine, for the message when it is missing."""
LOCAL_PREFIX = "local"
CONNECT_TIMEOUT_S = 10.0
POLL_S = 0.1
REPORT_EVERY_S = 0.5
"""A job's progress messages, at most this often (the finished job's total comes with its
result)."""


class ClusterError(Exception):
    """The cluster cannot be used: the engine is not installed, a spec is malformed, the
    scheduler cannot be reached or has no workers, or a job failed on every try."""


@dataclass(frozen=True)
class ClusterSpec:
    """Where to run: ``local_workers`` processes started here, or an existing ``scheduler``."""

    local_workers: int | None = None
    scheduler: str | None = None

    def describe(self) -> str:
        if self.scheduler is not None:
            return f"scheduler {self.scheduler}"
        return f"a local cluster of {self.local_workers} worker process(es)"


def parse_cluster(spec: str, default_workers: int) -> ClusterSpec:
    """``local`` (a worker process per core) or ``local:N`` (N worker processes)."""
    name, sep, count = spec.strip().partition(":")
    if name != LOCAL_PREFIX:
        raise ClusterError(
            f"{spec!r}: use 'local' or 'local:N' (N worker processes on this machine); "
            "for a cluster on other machines give --scheduler tcp://HOST:8786"
        )
    if not sep:
        return ClusterSpec(local_workers=default_workers)
    try:
        n = int(count)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise ClusterError(f"{spec!r}: N in 'local:N' must be a whole number from 1 to 64")
    return ClusterSpec(local_workers=n)


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(
            f"running on a cluster needs Dask distributed, which is not installed: {INSTALL_HINT}"
        ) from None


@contextlib.contextmanager
def connect(spec: ClusterSpec) -> Iterator[Client]:
    """A client of the cluster ``spec`` names; a local cluster is started and stopped with it."""
    _require_distributed()
    from distributed import Client, LocalCluster

    with _quiet_logs():
        if spec.scheduler is not None:
            try:
                client = Client(spec.scheduler, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as err:
                raise ClusterError(
                    f"cannot reach the scheduler at {spec.scheduler}: {err}"
                ) from None
            with client:
                yield client
            return
        # Processes, one thread each: a job is numpy on small arrays, mostly Python between
        # calls, so threads in one process would wait for each other on the interpreter lock.
        with (
            LocalCluster(
                n_workers=spec.local_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Dask's own log lines (a worker restarted, a reconnection tried, with its traceback) stay
    out of the command's output: what happened reaches the user as a ``ClusterError``."""
    # Dask's configuration gives some of its loggers levels of their own (distributed.client).
    names = ["distributed"] + [
        n for n in logging.root.manager.loggerDict if n.startswith("distributed.")
    ]
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


# -- the same code everywhere ---------------------------------------------------------------------


def code_fingerprint() -> str:
    """A hash of what decides a verification's numbers: openchair's source and data files (the
    built-in programs, the measured bodies) and the versions of numpy and numba. Two machines
    with the same hash give the same result for the same body."""
    from importlib.metadata import version

    import openchair

    root = Path(openchair.__file__).parent
    digest = hashlib.sha256(f"numpy {version('numpy')} numba {version('numba')}".encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".toml", ".csv") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_same_code(client: Client, expected: str) -> None:
    """Every worker runs the code this process runs, or the run stops before it starts: a worker
    with another version would give other numbers, silently."""
    theirs: dict[str, str] = client.run(code_fingerprint)
    other = sorted(addr for addr, h in theirs.items() if h != expected)
    if other:
        raise ClusterError(
            f"{len(other)} worker(s) run other openchair code or numpy/numba versions than this "
            f"machine (code {expected}): {', '.join(other[:5])}; install the same version there"
        )


# -- the tasks: pure functions of their arguments, run on the workers ---------------------------


def _reporter(topic: str, job: str) -> tuple[ProgressCallback, Callable[[], int]]:
    """A progress callback that sends the job's running total to the client (at most every
    ``REPORT_EVERY_S``: the scheduler keeps a run's messages while it runs), and the total."""
    from distributed import get_worker

    worker = get_worker()
    done = 0
    sent_at = -math.inf

    def report(chair_ticks: int) -> None:
        nonlocal done, sent_at
        done += chair_ticks
        now = time.monotonic()
        if now - sent_at >= REPORT_EVERY_S:
            worker.log_event(topic, (job, done))
            sent_at = now

    return report, lambda: done


def scan_task(
    params: list[BodyParams], indices: list[int], topic: str, job: str
) -> tuple[ScannedChunk, int]:
    """Scan a chunk (``runner.scan_chunk``); also the chair-ticks it reported."""
    report, total = _reporter(topic, job)
    return scan_chunk(params, indices, report), total()


def program_task(
    program: Program,
    scanned: tuple[ScannedChunk, int],
    intensity: int,
    criteria: VerifyCriteria,
    compiler: type[CompiledProgram],
    topic: str,
    job: str,
) -> tuple[ProgramResult, int]:
    """One program on one scanned chunk (``runner.run_program_chunk``, which copies the twin, so
    the scanned chunk a task is given is left as it was for the next task or a second try)."""
    report, total = _reporter(topic, job)
    result = run_program_chunk(
        program,
        scanned[0],
        intensity=intensity,
        criteria=criteria,
        compiler=compiler,
        progress=report,
    )
    return result, total()


# -- progress on the client ----------------------------------------------------------------------


class JobProgress:
    """Chair-ticks done, counted per job so that a job run twice is counted once.

    ``heard`` is called (from any thread) with a job's running total; ``finished`` with its
    final total once its result is in; ``drain`` (from the thread that owns the progress
    display) passes on what was added since the last call."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._final: set[str] = set()
        self._shown = 0
        self._inbox: queue.SimpleQueue[tuple[str, int, bool]] = queue.SimpleQueue()

    def heard(self, job: str, running_total: int) -> None:
        self._inbox.put((job, running_total, False))

    def finished(self, job: str, total: int) -> None:
        self._inbox.put((job, total, True))

    def drain(self) -> None:
        with self._lock:
            while True:
                try:
                    job, count, final = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if job in self._final:
                    continue  # a late message of a finished job, or of its lost first run
                if final:
                    self._seen[job] = count
                    self._final.add(job)
                else:
                    self._seen[job] = max(self._seen.get(job, 0), count)
            now = sum(self._seen.values())
            added, self._shown = now - self._shown, max(now, self._shown)
        if self._progress and added > 0:
            self._progress(added)


# -- the run -------------------------------------------------------------------------------------


def verify_on_cluster(
    programs: Sequence[Program],
    n_bodies: int,
    client: Client,
    *,
    seed: int = 0,
    intensity: int = 3,
    criteria: VerifyCriteria = DEFAULT_CRITERIA,
    progress: ProgressCallback | None = None,
    compiler: type[CompiledProgram] = CompiledProgram,
    population_source: str = "parametric",
    people: Sequence[BodyParams] | None = None,
) -> VerifyResult:
    """``runner.verify`` with the jobs on the cluster of ``client``: the same result, body for
    body, as the run in this process for the same population and seed."""
    people = verification_people(programs, n_bodies, seed, intensity, population_source, people)
    n_bodies = len(people)
    threads = _worker_threads(client)
    check_same_code(client, code_fingerprint())
    bounds = chunk_bounds(n_bodies, len(programs), threads)
    run = uuid.uuid4().hex[:12]
    topic = f"openchair-verify-{run}"
    counter = JobProgress(progress)
    t0 = time.perf_counter()

    def on_event(event: Any) -> None:
        _, (job, running_total) = event
        counter.heard(job, running_total)

    client.subscribe_topic(topic, on_event)
    futures: list[Future[Any]] = []
    try:
        scan_futures = []
        for ci, (a, b) in enumerate(bounds):
            job = f"scan-{ci}"
            scan_futures.append(
                client.submit(
                    scan_task,
                    people[a:b],
                    list(range(a, b)),
                    topic,
                    job,
                    key=f"openchair-{run}-{job}",
                    priority=1,  # scans first: every program job waits for one
                )
            )
        # Longest jobs first, so the last job to start is a short one (as the runner does).
        jobs = sorted(
            ((pi, ci) for pi in range(len(programs)) for ci in range(len(bounds))),
            key=lambda j: -programs[j[0]].total_seconds() * (bounds[j[1]][1] - bounds[j[1]][0]),
        )
        program_futures: dict[tuple[int, int], Future[Any]] = {}
        for rank, (pi, ci) in enumerate(jobs):
            job = f"program-{pi}-chunk-{ci}"
            program_futures[(pi, ci)] = client.submit(
                program_task,
                programs[pi],
                scan_futures[ci],
                intensity,
                criteria,
                compiler,
                topic,
                job,
                key=f"openchair-{run}-{job}",
                priority=-rank,
            )
        futures = [*scan_futures, *program_futures.values()]
        names = [f"scan-{ci}" for ci in range(len(bounds))] + [
            f"program-{pi}-chunk-{ci}" for pi, ci in program_futures
        ]
        _wait_all(futures, names, counter)
        chunks: list[ScannedChunk] = [f.result()[0] for f in scan_futures]
        parts = {job: f.result()[0] for job, f in program_futures.items()}
    except BaseException:
        with contextlib.suppress(Exception):  # best effort: the cluster may be gone already
            client.cancel(futures)
        raise
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(topic)
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
        workers=threads,
        population_source=population_source,
    )


def _worker_threads(client: Client) -> int:
    """Task slots on the cluster (workers × threads); a cluster without workers is an error,
    not a wait forever."""
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while True:
        info = client.scheduler_info(n_workers=-1)
        slots = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        if slots:
            return slots
        if time.monotonic() > deadline:
            raise ClusterError(
                f"the scheduler has no workers after {CONNECT_TIMEOUT_S:.0f} s: start some with "
                "'dask worker SCHEDULER_ADDRESS --nthreads 1'"
            )
        time.sleep(POLL_S)


def _wait_all(futures: list[Future[Any]], names: list[str], counter: JobProgress) -> None:
    """Wait for every job, passing progress on as it comes; a job's error surfaces here."""
    from distributed import KilledWorker

    pending = dict(zip(names, futures, strict=True))
    while pending:
        time.sleep(POLL_S)
        for name, f in list(pending.items()):
            if not f.done():
                continue
            del pending[name]
            try:
                _, total = f.result()
            except KilledWorker as err:
                raise ClusterError(
                    f"a job ({name}) was on every worker that died while running it: {err}"
                ) from None
            except CancelledError as err:
                # The scheduler is gone, or the client was closed: the work is lost with it.
                raise ClusterError(f"job {name} was cancelled, no result: {err}") from None
            counter.finished(name, total)
        counter.drain()
    counter.drain()
