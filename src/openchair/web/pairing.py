"""Pairing: a device asks, the chair shows a short code on its own console, the person types it.

Why these numbers: a code is 6 digits (one in a million to guess) and lives
``CODE_LIFETIME_S`` (5 min), long enough to walk from the chair to a phone. Every wrong code
counts against the whole chair, not one device: after ``MAX_WRONG_CODES`` (5) wrong codes
pairing is locked for ``LOCKOUT_S`` (5 min) and every pending code is void. An attacker on the
home network therefore gets at most 5 guesses per 5 minutes, about 1,440 a day: guessing one
live code takes on average about 350 days, and each guess needs a code the owner just asked
for. The price is that a person who mistypes five times waits five minutes.

The clock is injected (``now``: monotonic seconds) so tests can age codes and lockouts.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

CODE_DIGITS = 6
CODE_LIFETIME_S = 300.0
MAX_WRONG_CODES = 5
LOCKOUT_S = 300.0
MAX_PENDING = 4
"""Requests waiting for their code at once; a new one beyond that voids the oldest."""
REQUEST_GAP_S = 1.0
"""At most one new code a second: a device on the network cannot flood the chair's console."""


class PairingRefusedError(Exception):
    """Why a pairing step was refused. ``status``: the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after_s = retry_after_s


@dataclass
class PairingRequest:
    id: str
    device_name: str
    code: str
    expires_at: float


class PairingDesk:
    """Pending pairing requests and the wrong-code lockout. Used from one asyncio loop."""

    def __init__(
        self,
        show_code: Callable[[str, str], None],
        *,
        now: Callable[[], float] = time.monotonic,
        rng: secrets.SystemRandom | None = None,
    ) -> None:
        self._show = show_code
        self._now = now
        self._rng = rng or secrets.SystemRandom()
        self._pending: dict[str, PairingRequest] = {}
        self._wrong = 0
        self._locked_until = 0.0
        self._last_request = -float("inf")

    def seconds_left(self, req: PairingRequest) -> float:
        return max(0.0, req.expires_at - self._now())

    def locked_for_s(self) -> float:
        return max(0.0, self._locked_until - self._now())

    def _check_lock(self) -> None:
        left = self.locked_for_s()
        if left > 0:
            raise PairingRefusedError(
                429,
                f"pairing is locked for {left:.0f} s after {MAX_WRONG_CODES} wrong codes",
                left,
            )

    def request(self, device_name: str) -> PairingRequest:
        """A new code for ``device_name``, shown on the chair's console."""
        self._check_lock()
        now = self._now()
        if now - self._last_request < REQUEST_GAP_S:
            raise PairingRefusedError(
                429, "a code was asked for a moment ago; try again in a second", REQUEST_GAP_S
            )
        self._last_request = now
        self._pending = {k: r for k, r in self._pending.items() if r.expires_at > now}
        while len(self._pending) >= MAX_PENDING:
            oldest = min(self._pending.values(), key=lambda r: r.expires_at)
            del self._pending[oldest.id]
        code = "".join(str(self._rng.randrange(10)) for _ in range(CODE_DIGITS))
        req = PairingRequest(secrets.token_urlsafe(12), device_name, code, now + CODE_LIFETIME_S)
        self._pending[req.id] = req
        self._show(device_name, code)
        return req

    def confirm(self, request_id: str, code: str) -> PairingRequest:
        """The request if ``code`` is its code; otherwise refused (wrong, expired, locked)."""
        self._check_lock()
        req = self._pending.get(request_id)
        now = self._now()
        if req is None:
            raise PairingRefusedError(404, "no such pairing request: ask for a new code")
        if req.expires_at <= now:
            del self._pending[request_id]
            raise PairingRefusedError(410, "the code has expired: ask for a new code")
        if not hmac.compare_digest(req.code.encode(), code.strip().encode()):
            self._wrong += 1
            if self._wrong >= MAX_WRONG_CODES:
                self._wrong = 0
                self._locked_until = now + LOCKOUT_S
                self._pending.clear()
                raise PairingRefusedError(
                    429,
                    f"{MAX_WRONG_CODES} wrong codes: pairing is locked for {LOCKOUT_S:.0f} s",
                    LOCKOUT_S,
                )
            left = MAX_WRONG_CODES - self._wrong
            raise PairingRefusedError(403, f"wrong code; {left} tries left before pairing locks")
        del self._pending[request_id]
        self._wrong = 0
        return req
