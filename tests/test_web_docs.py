"""docs/API.md's curl examples, run in order against a live server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from web_support import live_server

DOC = Path(__file__).resolve().parents[1] / "docs" / "API.md"


def curl_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [line for b in blocks for line in b.splitlines() if line.startswith("curl ")]


def test_the_curl_examples_work(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is missing: run scripts/bootstrap.sh as root")
    lines = curl_lines()
    assert len(lines) >= 10
    with live_server(tmp_path, speed=4.0) as server:
        env = {**os.environ, "CHAIR": server.url}
        for line in lines:
            done = subprocess.run(
                ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=30
            )
            assert done.returncode == 0, (line, done.stdout, done.stderr)
            answer = json.loads(done.stdout)
            if "/api/pair/request" in line:
                env["REQUEST"] = answer["request_id"]
                env["CODE"] = server.console.last_code
            if "/api/pair/confirm" in line:
                env["TOKEN"] = answer["token"]
        # the examples really acted: Anna is seated and a scan was started
        assert server.service.loop.person == "Anna"
