"""SIGTERM leaves the chair safe and the history true, like Ctrl-C (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

OPENCHAIR = [sys.executable, "-m", "openchair"]


def _wait_for_running_session(db: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if not db.exists():
            continue
        engine = create_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM sessions")).scalar()
        except Exception:  # tables not made yet
            n = 0
        finally:
            engine.dispose()
        if n:
            return
    raise AssertionError("no session reached the database")


def test_sigterm_during_a_run_stops_the_session_and_reports_it(tmp_path: Path) -> None:
    env = {**os.environ, "OPENCHAIR_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [*OPENCHAIR, "run", "quick", "--no-scan", "--speed", "5", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_running_session(tmp_path / "openchair.db", proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err.decode()
    chair = json.loads(out)["chairs"][0]
    assert (chair["outcome"], chair["reason"]) == ("stopped", "remote_stop")
    history = subprocess.run(
        [*OPENCHAIR, "history", "--json"], env=env, capture_output=True, check=True
    )
    [entry] = json.loads(history.stdout)
    assert entry["outcome"] == "stopped"  # ended by the process itself, not "interrupted"


def test_sigterm_ends_the_service_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "OPENCHAIR_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [*OPENCHAIR, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    first = proc.stderr.readline().decode()
    assert "openchair service" in first, first
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert "the chair is in its safe state" in err.decode()
    assert "Traceback" not in err.decode()
    engine = create_engine(f"sqlite:///{tmp_path / 'openchair.db'}")  # the service's own store
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM chairs")).scalar() == "local"
    engine.dispose()
