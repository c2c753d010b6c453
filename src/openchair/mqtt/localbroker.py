"""A throw-away local Mosquitto for tests, the benchmark and trying openchair out.

It listens on 127.0.0.1 only, on a free port, with a config file in a temporary folder:
anonymous access by default, or a password file and an ACL (``users`` and ``acl``) to show
what an owner's locked-down broker does. Debian's package provides ``/usr/sbin/mosquitto``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/bin/mosquitto")


class BrokerUnavailableError(RuntimeError):
    """Mosquitto is not installed or did not start."""


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in MOSQUITTO_PATHS if Path(p).is_file()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalBroker:
    """``with LocalBroker() as b:`` a Mosquitto on ``b.port``; ``stop()``/``start()`` take it
    away and bring it back on the same port (a broker restart, nothing kept)."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        port: int | None = None,
        max_connections: int = -1,
        tls: tuple[str, str] | None = None,
    ) -> None:
        """``tls``: (certificate file, key file) to listen with TLS only."""
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerUnavailableError(
                "mosquitto is not installed (bash scripts/bootstrap.sh installs it)"
            )
        self.binary = binary
        self.port = port or free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="openchair-mosquitto-"))
        # Started as root, Mosquitto drops to its own user before reading the password and
        # ACL files: they must be readable by it (test credentials only).
        self._dir.chmod(0o755)
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            f"max_connections {max_connections}",
            "max_queued_messages 1000",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if users is None:
            lines.append("allow_anonymous true")
        else:
            passwd = self._dir / "passwd"
            passwd.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
            self._hash_passwords(passwd)
            passwd.chmod(0o644)
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        if tls is not None:
            for name, src in zip(("cert.pem", "key.pem"), tls, strict=True):
                dst = self._dir / name
                dst.write_bytes(Path(src).read_bytes())
                dst.chmod(0o644)  # test material, readable by Mosquitto's own user
            lines += [f"certfile {self._dir / 'cert.pem'}", f"keyfile {self._dir / 'key.pem'}"]
        if acl is not None:
            acl_file = self._dir / "acl"
            acl_file.write_text(acl)
            acl_file.chmod(0o644)
            lines.append(f"acl_file {acl_file}")
        self.config = self._dir / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")
        self._log = self._dir / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _hash_passwords(self, passwd: Path) -> None:
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        subprocess.run([tool, "-U", str(passwd)], check=True, capture_output=True)

    def start(self, timeout_s: float = 5.0) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerUnavailableError(f"mosquitto exited: {self.log_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise BrokerUnavailableError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        p = self.process
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.process = None

    def log_text(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
