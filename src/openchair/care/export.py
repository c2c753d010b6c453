"""Everything openchair keeps about a person, out as JSON or CSV; and forgetting them.

It is health data and it stays on this machine: nothing here sends anything anywhere. The export
is the person's copy (or a backup of one person); ``forget_person`` removes them from every table.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from openchair.care.diary_store import (
    CareDataError,
    StoreBreakRepository,
    aware,
    confirmations,
    delete_person_data,
    entries,
)
from openchair.care.posture_store import days as posture_days
from openchair.store.database import Store
from openchair.store.diary_models import ScreeningRow
from openchair.store.history import CSV_COLUMNS, history
from openchair.store.models import BodyMapRow, Person, PersonProgram, SafetyEventRow, SessionRow

FORMAT_VERSION = 1


def _person(store: Store, name: str) -> dict[str, Any]:
    with store.session() as s:
        p = s.scalar(select(Person).where(Person.name == name))
        if p is None:
            raise CareDataError(f"no person called {name!r}")
        maps = s.scalars(
            select(BodyMapRow).where(BodyMapRow.person_id == p.id).order_by(BodyMapRow.id)
        ).all()
        programs = s.scalars(
            select(PersonProgram).where(PersonProgram.person_id == p.id).order_by(PersonProgram.id)
        ).all()
        screenings = s.scalars(
            select(ScreeningRow).where(ScreeningRow.person_id == p.id).order_by(ScreeningRow.id)
        ).all()
        return {
            "person": {
                "name": p.name,
                "created_at": aware(p.created_at).isoformat(),
                "body": dict(p.body or {}),
                "default_intensity": p.default_intensity,
                "heat": p.heat,
                "favourite_programs": list(p.favourite_programs or []),
            },
            "body_maps": [
                {"created_at": aware(m.created_at).isoformat(), "source": m.source, "data": m.data}
                for m in maps
            ],
            "own_programs": [
                {
                    "program_id": x.program_id,
                    "toml": x.toml,
                    "created_at": aware(x.created_at).isoformat(),
                }
                for x in programs
            ],
            "screenings": [
                {
                    "answered_at": aware(r.answered_at).isoformat(),
                    "rules_version": r.rules_version,
                    "answers": dict(r.answers),
                }
                for r in screenings
            ],
        }


def export_person(store: Store, name: str, exported_at: datetime) -> dict[str, Any]:
    """Everything about ``name`` as one JSON-ready object."""
    data = _person(store, name)
    return {
        "openchair_export": FORMAT_VERSION,
        "exported_at": exported_at.isoformat(),
        "note": "Health data from openchair. Keep it private.",
        **data,
        "diary": [e.to_dict() for e in entries(store, name)],
        "confirmations": [c.to_dict() for c in confirmations(store, name)],
        "sessions": [h.to_dict() for h in history(store, person=name)],
        "breaks": [b.to_dict() for b in StoreBreakRepository(store, name).all()],
        "posture_days": [d.to_dict() for d in posture_days(store, name)],
    }


def write_json(store: Store, name: str, path: Path, exported_at: datetime) -> Path:
    data = export_person(store, name, exported_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _csv(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_csv(store: Store, name: str, folder: Path, exported_at: datetime) -> list[Path]:
    """One CSV file per kind of record in ``folder``; lists join with ``;``."""
    data = export_person(store, name, exported_at)
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    p = data["person"]
    path = folder / "person.csv"
    _csv(
        path,
        ["field", "value"],
        [[k, json.dumps(v) if isinstance(v, dict | list) else v] for k, v in p.items()],
    )
    out.append(path)
    path = folder / "diary.csv"
    _csv(
        path,
        ["at", "pain", "areas", "stiffness_min", "better", "worse", "notes", "red_flags_yes"],
        [
            [
                e["at"],
                e["pain"],
                ";".join(e["areas"]),
                "" if e["stiffness_min"] is None else e["stiffness_min"],
                ";".join(e["better"]),
                ";".join(e["worse"]),
                e["notes"],
                ";".join(k for k, v in e["red_flags"].items() if v),
            ]
            for e in data["diary"]
        ],
    )
    out.append(path)
    path = folder / "screenings.csv"
    questions = sorted({q for s in data["screenings"] for q in s["answers"]})
    _csv(
        path,
        ["answered_at", "rules_version", *questions],
        [
            [
                s["answered_at"],
                s["rules_version"],
                *("yes" if s["answers"].get(q) else "no" for q in questions),
            ]
            for s in data["screenings"]
        ],
    )
    out.append(path)
    path = folder / "confirmations.csv"
    _csv(
        path,
        ["kind", "at", "note"],
        [[c["kind"], c["at"], c["note"]] for c in data["confirmations"]],
    )
    out.append(path)
    path = folder / "sessions.csv"
    _csv(path, list(CSV_COLUMNS), [h.csv_row() for h in history(store, person=name)])
    out.append(path)
    path = folder / "breaks.csv"
    _csv(
        path,
        ["at", "day", "kind", "outcome", "exercise", "sat_minutes"],
        [
            [b["at"], b["day"], b["kind"], b["outcome"], b["exercise"] or "", b["sat_minutes"]]
            for b in data["breaks"]
        ],
    )
    out.append(path)
    path = folder / "posture_days.csv"
    keys = ["date", "sitting_min", "slouched_min", "away_min", "unobserved_min", "nudges"]
    keys += ["breaks", "longest_streak_min"]
    _csv(path, keys, [[d[k] for k in keys] for d in data["posture_days"]])
    out.append(path)
    return out


def forget_person(store: Store, name: str) -> dict[str, int]:
    """Delete the person and everything kept about them, from every table; rows per table."""
    counts = delete_person_data(store, name)
    with store.session() as s:
        pid = s.scalar(select(Person.id).where(Person.name == name))
        if pid is None:
            raise CareDataError(f"no person called {name!r}")
        ids = list(
            s.scalars(
                select(SessionRow.id).where(
                    (SessionRow.person_name == name) | (SessionRow.person_id == pid)
                )
            )
        )
        if ids:
            r = s.execute(delete(SafetyEventRow).where(SafetyEventRow.session_id.in_(ids)))
            counts["safety_events"] = int(getattr(r, "rowcount", 0) or 0)
            r = s.execute(delete(SessionRow).where(SessionRow.id.in_(ids)))
            counts["sessions"] = int(getattr(r, "rowcount", 0) or 0)
        for model in (BodyMapRow, PersonProgram):
            r = s.execute(delete(model).where(model.person_id == pid))
            counts[model.__tablename__] = int(getattr(r, "rowcount", 0) or 0)
        s.execute(delete(Person).where(Person.id == pid))
        counts["people"] = 1
    return counts
