"""Start gates: checks a program passes before the chair starts it for a person.

The chair service asks every gate before a program (built-in, the person's own, or manual mode)
starts, and before heat is switched on during a session. A gate may refuse with a reason the
person reads, or hand back the program as this person may have it (a copy with capped depth or
heat), which then goes through the safety supervisor like any program. The health check and the
pain diary's red flags are the first gate (``openchair.care.health_gate``).
"""

from __future__ import annotations

from typing import Protocol

from openchair.programs.model import Program


class StartGate(Protocol):
    def admit(self, person: str | None, program: Program) -> Program | str:
        """The program to run for ``person`` (maybe a capped copy), or why it is refused."""
        ...

    def heat_refusal(self, person: str | None) -> str | None:
        """Why heat may not be switched on for ``person`` now, or None."""
        ...
