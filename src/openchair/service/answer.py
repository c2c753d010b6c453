"""The answer to every command a client sends: accepted, or refused with a reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """``reason`` is written for the person holding the remote ("nobody is seated"), not for a
    log; ``session`` names the session a ``start`` began (its id in the history)."""

    accepted: bool
    reason: str = ""
    session: str | None = None

    @classmethod
    def ok(cls, reason: str = "", session: str | None = None) -> Answer:
        return cls(True, reason, session)

    @classmethod
    def refused(cls, reason: str) -> Answer:
        return cls(False, reason)

    def to_dict(self) -> dict[str, object]:
        return {"accepted": self.accepted, "reason": self.reason, "session": self.session}
