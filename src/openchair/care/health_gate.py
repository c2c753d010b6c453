"""The health check and the pain diary as a start gate of the chair service.

For a seated person it refuses programs while a hold is on (a red-flag answer not yet followed by
"I have been seen", or a health-check hold not yet confirmed), refuses what their answers rule
out, and caps depth, heat and air of what they may have. A guest (nobody chosen) is not screened:
the remote asks who is sitting before the first massage.
"""

from __future__ import annotations

import logging

from openchair.care.diary_store import CareDataError, health_status
from openchair.care.screening import (
    ScreeningRules,
    ScreeningRulesError,
    apply_restrictions,
    load_rules,
)
from openchair.programs.model import Program
from openchair.store.database import Store

log = logging.getLogger(__name__)

UNREADABLE = (
    "the health check could not be read ({err}); massage is refused until it can be, to be safe"
)


class HealthGate:
    def __init__(
        self, store: Store, rules: ScreeningRules | None = None, *, require_screening: bool = False
    ) -> None:
        self.store = store
        self.rules: ScreeningRules | None = rules
        self.broken: str | None = None
        """Why the rules file cannot be used (then every stored person is refused, to be safe)."""
        if rules is None:
            try:
                self.rules = load_rules()
            except ScreeningRulesError as err:
                log.error("screening rules unusable: %s", err)
                self.broken = f"the health check's rules cannot be read ({err.messages[0]})"
        self.require_screening = require_screening
        """Refuse people who have not answered the health check yet (off by default: the
        pages ask it before the first massage)."""

    def admit(self, person: str | None, program: Program) -> Program | str:
        if person is None:
            return program
        if self.rules is None:
            return f"massage is refused until {self.broken}"
        try:
            status = health_status(self.store, person, self.rules)
        except CareDataError:
            return program  # not a stored person: nothing is known about them
        except Exception as err:  # a database problem must not start a massage unchecked
            log.exception("health check unreadable")
            return UNREADABLE.format(err=type(err).__name__)
        if status.held_reason is not None:
            return status.held_reason
        if status.screening is None and self.require_screening:
            return f"{person} has not answered the health check yet: answer it first"
        return apply_restrictions(program, status.restrictions)

    def heat_refusal(self, person: str | None) -> str | None:
        if person is None:
            return None
        if self.rules is None:
            return f"heat is refused until {self.broken}"
        try:
            status = health_status(self.store, person, self.rules)
        except CareDataError:
            return None
        except Exception as err:
            return UNREADABLE.format(err=type(err).__name__)
        if status.held_reason is not None:
            return status.held_reason
        r = status.restrictions
        if r.heat_max_c is not None:
            if r.heat_max_c == 0:
                return f"heat is off for you ({r.heat_reason})"
            from openchair.safety.limits import DEFAULT_LIMITS

            if r.heat_max_c < DEFAULT_LIMITS.heater_default_target_c:
                return (
                    f"heat is capped at {r.heat_max_c:g} °C for you ({r.heat_reason}); "
                    "use a program with gentle warmth instead"
                )
        return None
