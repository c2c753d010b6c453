"""Break records and their statistics, behind a small repository.

Every break is recorded: offered, taken (done or partly), postponed, skipped, missed, or a natural
break (the person was away long enough). ``day-end`` records carry the last sitting stretch of a
work period. The repository is a Protocol so the chair service's database can take its place; for
now there is an in-memory one (tests) and a JSON-lines file in the data folder (the desktop helper).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal, Protocol, get_args

BreakKind = Literal["micro", "long"]
Outcome = Literal[
    "offered", "done", "partly", "postponed", "skipped", "missed", "natural", "day-end"
]
TAKEN: tuple[Outcome, ...] = ("done", "partly", "natural")
RECORDS_FILE = "breaks.jsonl"
UNHEALTHY_SKIP_SHARE = 0.2
"""Safe Eyes marks a day unhealthy when 20 % or more of its breaks were skipped."""


@dataclass(frozen=True)
class BreakRecord:
    at: datetime
    day: date
    kind: BreakKind
    outcome: Outcome
    exercise: str | None = None
    sat_minutes: float = 0.0

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["at"] = self.at.isoformat()
        d["day"] = self.day.isoformat()
        return d

    @staticmethod
    def from_dict(d: dict[str, object]) -> BreakRecord:
        kind, outcome = str(d["kind"]), str(d["outcome"])
        if kind not in get_args(BreakKind) or outcome not in get_args(Outcome):
            raise ValueError(f"unknown kind or outcome: {kind!r}, {outcome!r}")
        at = datetime.fromisoformat(str(d["at"]))
        if at.tzinfo is None:
            raise ValueError("time without a zone")
        exercise = d.get("exercise")
        return BreakRecord(
            at=at,
            day=date.fromisoformat(str(d["day"])),
            kind=kind,  # type: ignore[arg-type]
            outcome=outcome,  # type: ignore[arg-type]
            exercise=str(exercise) if exercise is not None else None,
            sat_minutes=float(d.get("sat_minutes", 0.0)),  # type: ignore[arg-type]
        )


class BreakRepository(Protocol):
    def add(self, record: BreakRecord) -> None: ...

    def all(self) -> list[BreakRecord]: ...


class MemoryBreakRepository:
    def __init__(self) -> None:
        self.records: list[BreakRecord] = []

    def add(self, record: BreakRecord) -> None:
        self.records.append(record)

    def all(self) -> list[BreakRecord]:
        return list(self.records)


class JsonLinesBreakRepository:
    """One JSON object a line, appended and flushed at once, so a crash loses nothing written.

    Lines that cannot be read (a half-written line, a hand edit) are counted in ``bad_lines`` and
    left in the file, never dropped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bad_lines = 0

    def add(self, record: BreakRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record.to_dict()) + "\n")
            f.flush()

    def all(self) -> list[BreakRecord]:
        self.bad_lines = 0
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                out.append(BreakRecord.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                self.bad_lines += 1
        return out


@dataclass(frozen=True)
class DayStats:
    day: date
    offered: int
    done: int
    partly: int
    natural: int
    postponed: int
    skipped: int
    missed: int
    longest_sitting_minutes: float

    @property
    def skipped_share(self) -> float:
        return self.skipped / self.offered if self.offered else 0.0

    @property
    def unhealthy(self) -> bool:
        return self.offered > 0 and self.skipped_share >= UNHEALTHY_SKIP_SHARE

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        d["skipped_share"] = round(self.skipped_share, 3)
        d["unhealthy"] = self.unhealthy
        return d


def daily_stats(records: Iterable[BreakRecord]) -> list[DayStats]:
    """Counts per work day, and the longest stretch of sitting without a break."""
    by_day: dict[date, list[BreakRecord]] = {}
    for r in records:
        by_day.setdefault(r.day, []).append(r)
    out = []
    for day in sorted(by_day):
        rs = by_day[day]

        def count(outcome: str, rs: list[BreakRecord] = rs) -> int:
            return sum(1 for r in rs if r.outcome == outcome)

        out.append(
            DayStats(
                day=day,
                offered=count("offered"),
                done=count("done"),
                partly=count("partly"),
                natural=count("natural"),
                postponed=count("postponed"),
                skipped=count("skipped"),
                missed=count("missed"),
                longest_sitting_minutes=round(max((r.sat_minutes for r in rs), default=0.0), 1),
            )
        )
    return out
