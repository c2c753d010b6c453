"""Verification on a Dask cluster: the same result, body for body, as the run in this process, on
a local cluster of two worker processes; and nothing lost when a worker dies in the middle of a
job (its job is run again, and the progress bar counts it once)."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, WorkerPlugin
from typer.testing import CliRunner

from openchair.cli.app import _register_commands, app
from openchair.programs import parse_program
from openchair.programs.model import Program
from openchair.verify import fingerprint as fpr
from openchair.verify.cluster import (
    ClusterError,
    ClusterSpec,
    JobProgress,
    check_same_code,
    code_fingerprint,
    connect,
    parse_cluster,
    verify_on_cluster,
)
from openchair.verify.result import VerifyResult
from openchair.verify.runner import SCAN_TICKS_ESTIMATE, verify

pytestmark = pytest.mark.xdist_group("verify_cluster")
"""One cluster and one in-process reference run for the module, on one test process."""

BODIES = 4
SEED = 7


def _program(pid: str, technique: str, zone: str, depth: float) -> Program:
    """A 45-second program: a roll down the back (the carriage starts at the top after the
    scan), then one technique."""
    return parse_program(
        f"""
id = "{pid}"
name = "{pid}"
description = "A short program for the cluster tests."
minutes = 0.75

[[step]]
seconds = 15
technique = "roll"
zone = "full-back"
speed = 5
depth = 0.3

[[step]]
seconds = 30
technique = "{technique}"
zone = "{zone}"
depth = {depth}
heat = {{ back = 40 }}
""",
        f"{pid}.toml",
    )


PROGRAMS = [
    _program("short-knead", "knead", "lumbar", 0.8),
    _program("short-shiatsu", "shiatsu", "full-back", 0.9),
]
"""Two programs on two workers: one chunk of bodies (the in-process run's chunking), and the two
program jobs run side by side."""


@pytest.fixture(scope="module")
def in_process() -> tuple[VerifyResult, int]:
    ticks: list[int] = []
    result = verify(PROGRAMS, BODIES, seed=SEED, workers=1, progress=ticks.append)
    return result, sum(ticks)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with connect(ClusterSpec(local_workers=2)) as c:
        yield c


def test_a_local_two_process_cluster_gives_the_in_process_result(
    in_process: tuple[VerifyResult, int], client: Client
) -> None:
    expected, _ = in_process
    workers = client.scheduler_info(n_workers=-1)["workers"]
    assert len(workers) == 2
    # Processes, not threads: two worker processes besides this one.
    pids = client.run(os.getpid)
    assert len(set(pids.values()) | {os.getpid()}) == 3
    ticks: list[int] = []
    # Through the scheduler's address, as on a cluster of several machines.
    with connect(ClusterSpec(scheduler=str(client.scheduler_info()["address"]))) as by_address:
        got = verify_on_cluster(PROGRAMS, BODIES, by_address, seed=SEED, progress=ticks.append)
    assert fpr.compare(fpr.fingerprint(expected), fpr.fingerprint(got), 0.0) == []
    assert got.ok == expected.ok
    # Every chair-tick counted once: the scans' and the programs' (the programs' total depends on
    # how the run was cut into jobs, so it is the cluster run's own).
    assert sum(ticks) == got.chair_ticks + BODIES * SCAN_TICKS_ESTIMATE
    assert got.workers == 2


class KillOnce(WorkerPlugin):
    """Kills its worker's process (SIGKILL, no goodbye) in the middle of the job named ``job``:
    a moment after the job's first progress report has gone out, the first time only (the
    marker file says it was done, on any worker, the restarted one too)."""

    def __init__(self, marker: str, job: str, after_s: float) -> None:
        self.marker = marker
        self.job = job
        self.after_s = after_s

    def setup(self, worker: Any) -> None:
        send = worker.log_event

        def log_event(topic: Any, msg: Any) -> None:
            send(topic, msg)
            if isinstance(msg, tuple) and msg[0] == self.job:
                self._arm(worker)

        worker.log_event = log_event

    def _arm(self, worker: Any) -> None:
        try:
            Path(self.marker).touch(exist_ok=False)
        except FileExistsError:
            return

        def kill() -> None:
            running = [
                str(k)
                for k, t in worker.state.tasks.items()
                if self.job in str(k) and t.state == "executing"
            ]
            if running:
                Path(self.marker).write_text(f"killed while running {running[0]}")
                os.kill(os.getpid(), signal.SIGKILL)

        threading.Timer(self.after_s, kill).start()


def test_a_worker_killed_in_the_middle_of_a_job_loses_nothing(
    in_process: tuple[VerifyResult, int], client: Client, tmp_path: Path
) -> None:
    expected, _ = in_process
    marker = tmp_path / "killed"
    job = "program-0-chunk-0"
    topics_before = set(client.get_events())
    client.register_plugin(KillOnce(str(marker), job, 0.3), name="kill-once")
    try:
        ticks: list[int] = []
        got = verify_on_cluster(PROGRAMS, BODIES, client, seed=SEED, progress=ticks.append)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.read_text().startswith("killed while running"), "the worker was not killed"
    assert fpr.compare(fpr.fingerprint(expected), fpr.fingerprint(got), 0.0) == []
    assert [p.bodies.tolist() for p in got.programs] == [list(range(BODIES))] * len(PROGRAMS)
    # The job's first run had reported progress before it was killed, and its second run
    # started counting again from zero: its running total (rising within one run) fell back.
    (topic,) = {t for t in client.get_events() if t.startswith("openchair-verify-")} - topics_before
    totals = [msg[1] for _, msg in client.get_events(topic) if msg[0] == job]
    assert any(b <= a for a, b in itertools.pairwise(totals)), totals
    # Yet the bar counted every chair-tick once, as in one process.
    # Every chair-tick counted once: the scans' and the programs' (the programs' total depends on
    # how the run was cut into jobs, so it is the cluster run's own).
    assert sum(ticks) == got.chair_ticks + BODIES * SCAN_TICKS_ESTIMATE


def test_a_lost_connection_to_the_scheduler_is_a_clear_error(client: Client) -> None:
    address = str(client.scheduler_info()["address"])
    with connect(ClusterSpec(scheduler=address)) as by_address:
        # The connection breaks in the middle of the run, as when the scheduler dies.
        def cut() -> None:
            assert by_address.scheduler_comm is not None
            by_address.scheduler_comm.comm.abort()

        loop = by_address.loop
        assert loop is not None
        threading.Timer(1.0, lambda: loop.add_callback(cut)).start()
        with pytest.raises(ClusterError, match="cancelled, no result"):
            verify_on_cluster(PROGRAMS, BODIES, by_address, seed=SEED)


def test_workers_with_other_code_are_refused_before_the_run(client: Client) -> None:
    # The workers here run this very code: the hash agrees, as every run above checked.
    assert set(client.run(code_fingerprint).values()) == {code_fingerprint()}
    with pytest.raises(ClusterError, match=r"worker\(s\) run other openchair code"):
        check_same_code(client, "0123456789abcdef")


def test_progress_counts_a_job_run_twice_once() -> None:
    shown: list[int] = []
    counter = JobProgress(shown.append)
    counter.heard("scan-0", 2000)
    counter.heard("a", 1000)
    counter.heard("a", 2000)
    counter.drain()
    assert sum(shown) == 4000
    # The worker running "a" dies; the second run reports from zero: the bar waits for it.
    counter.heard("a", 1000)
    counter.drain()
    assert sum(shown) == 4000
    counter.heard("a", 3000)
    counter.finished("scan-0", 2000)
    counter.drain()
    assert sum(shown) == 5000
    # The result comes in; a late message of the lost first run changes nothing.
    counter.finished("a", 4500)
    counter.heard("a", 2000)
    counter.drain()
    assert sum(shown) == 6500
    assert all(step > 0 for step in shown)


def test_cluster_specs() -> None:
    assert parse_cluster("local:3", 2) == ClusterSpec(local_workers=3)
    assert parse_cluster("local", 2) == ClusterSpec(local_workers=2)
    for bad in ("local:0", "local:x", "remote:2", "tcp://host:8786", "local:65"):
        with pytest.raises(ClusterError):
            parse_cluster(bad, 2)


def test_without_dask_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed: ImportError
    _register_commands()
    out = CliRunner().invoke(
        app, ["verify", "--programs", "quick", "--bodies", "1", "--cluster", "local:2"]
    )
    assert out.exit_code == 2
    assert "pip install 'openchair[cluster]'" in out.output
    assert "Traceback" not in out.output


def test_cluster_and_scheduler_are_one_or_the_other() -> None:
    _register_commands()
    args = ["verify", "--programs", "quick", "--bodies", "1"]
    both = CliRunner().invoke(app, [*args, "--cluster", "local:2", "--scheduler", "tcp://h:1"])
    assert both.exit_code == 2
    assert "not both" in both.output
    pool = CliRunner().invoke(app, [*args, "--cluster", "local:2", "--workers", "2"])
    assert pool.exit_code == 2
    assert "--workers" in pool.output
