"""People: adding, listing, showing, removing; and the directory the service asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select

from openchair.body.bodymap import BodyMap
from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.service.people import PersonInfo
from openchair.store.database import Store
from openchair.store.models import BodyMapRow, Person, SessionRow

NAME_MAX = 80


class PersonError(ValueError):
    """A person cannot be added or found; the message says why."""


def map_to_json(m: BodyMap) -> dict[str, Any]:
    return {
        "landmarks_y_mm": dict(m.landmarks_y_mm),
        "comfortable_depth_mm": dict(m.comfortable_depth_mm),
        "comfort_force_n": dict(m.comfort_force_n),
        "tight_spots_y_mm": list(m.tight_spots_y_mm),
        "contact_depth_mm": [list(p) for p in m.contact_depth_mm],
        "source": m.source,
    }


def map_from_json(data: dict[str, Any]) -> BodyMap:
    return BodyMap(
        landmarks_y_mm={n: float(data["landmarks_y_mm"][n]) for n in LANDMARKS},
        comfortable_depth_mm={r: float(data["comfortable_depth_mm"][r]) for r in REGION_NAMES},
        comfort_force_n={r: float(data["comfort_force_n"][r]) for r in REGION_NAMES},
        tight_spots_y_mm=tuple(float(v) for v in data.get("tight_spots_y_mm", [])),
        source=str(data.get("source", "scan")),
        contact_depth_mm=tuple((float(y), float(d)) for y, d in data.get("contact_depth_mm", [])),
    )


def _info(p: Person) -> PersonInfo:
    return PersonInfo(
        name=p.name,
        default_intensity=p.default_intensity,
        heat=p.heat,
        favourite_programs=tuple(p.favourite_programs or ()),
        body=dict(p.body or {}),
    )


def check_name(name: str) -> str:
    clean = name.strip()
    if not clean:
        raise PersonError("a person needs a name")
    if len(clean) > NAME_MAX:
        raise PersonError(f"a name has at most {NAME_MAX} characters")
    if any(not ch.isprintable() for ch in clean):
        raise PersonError("a name holds only printable characters")
    return clean


def add_person(
    store: Store,
    name: str,
    *,
    body: dict[str, Any] | None = None,
    default_intensity: int = 3,
    heat: bool = False,
    favourite_programs: list[str] | None = None,
) -> PersonInfo:
    name = check_name(name)
    if not 1 <= default_intensity <= 5:
        raise PersonError(f"intensity {default_intensity} is outside 1..5")
    with store.session() as s:
        if s.scalar(select(Person.id).where(Person.name == name)) is not None:
            raise PersonError(f"{name!r} is already known")
        person = Person(
            name=name,
            body=body or {},
            default_intensity=default_intensity,
            heat=heat,
            favourite_programs=list(favourite_programs or []),
            created_at=datetime.now(UTC),
        )
        s.add(person)
        s.flush()
        return _info(person)


def remove_person(store: Store, name: str) -> None:
    """Forget a person and their body maps; their sessions stay in the history by name."""
    with store.session() as s:
        pid = s.scalar(select(Person.id).where(Person.name == name))
        if pid is None:
            raise PersonError(f"no person called {name!r}")
        s.execute(delete(BodyMapRow).where(BodyMapRow.person_id == pid))
        s.execute(delete(Person).where(Person.id == pid))


@dataclass(frozen=True)
class PersonDetails:
    info: PersonInfo
    created_at: datetime
    maps: int
    latest_map_at: datetime | None
    sessions: int

    def to_dict(self) -> dict[str, object]:
        return {
            **self.info.to_dict(),
            "created_at": self.created_at.isoformat(),
            "body_maps": self.maps,
            "latest_map_at": self.latest_map_at.isoformat() if self.latest_map_at else None,
            "sessions": self.sessions,
        }


def show_person(store: Store, name: str) -> PersonDetails:
    with store.session() as s:
        p = s.scalar(select(Person).where(Person.name == name))
        if p is None:
            raise PersonError(f"no person called {name!r}")
        maps = s.scalar(select(func.count()).where(BodyMapRow.person_id == p.id)) or 0
        latest = s.scalar(
            select(func.max(BodyMapRow.created_at)).where(BodyMapRow.person_id == p.id)
        )
        sessions = s.scalar(select(func.count()).where(SessionRow.person_name == name)) or 0
        return PersonDetails(
            _info(p), _aware(p.created_at), maps, _aware(latest) if latest else None, sessions
        )


def _aware(t: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


class StorePeople:
    """The service's directory of people, read from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def people(self) -> list[PersonInfo]:
        with self.store.session() as s:
            return [_info(p) for p in s.scalars(select(Person).order_by(Person.name))]

    def person(self, name: str) -> PersonInfo | None:
        with self.store.session() as s:
            p = s.scalar(select(Person).where(Person.name == name))
            return _info(p) if p is not None else None

    def latest_map(self, name: str) -> BodyMap | None:
        with self.store.session() as s:
            row = s.scalar(
                select(BodyMapRow)
                .join(Person, Person.id == BodyMapRow.person_id)
                .where(Person.name == name)
                .order_by(BodyMapRow.created_at.desc(), BodyMapRow.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            try:
                return map_from_json(row.data)
            except (KeyError, TypeError, ValueError):
                return None  # a damaged map: the person is scanned again
