"""Who may sit in the chair: the service asks a directory, storage provides one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from openchair.body.bodymap import BodyMap


@dataclass(frozen=True)
class PersonInfo:
    """A person the chair knows, with their preferences (defaults for a session)."""

    name: str
    default_intensity: int = 3
    heat: bool = False
    favourite_programs: tuple[str, ...] = ()
    body: dict[str, float | str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "default_intensity": self.default_intensity,
            "heat": self.heat,
            "favourite_programs": list(self.favourite_programs),
            "body": dict(self.body),
        }


class PeopleDirectory(Protocol):
    def people(self) -> list[PersonInfo]: ...

    def person(self, name: str) -> PersonInfo | None: ...

    def latest_map(self, name: str) -> BodyMap | None:
        """The person's most recent saved body map, if any."""
        ...


class MemoryPeople:
    """A directory held in memory (a service without storage)."""

    def __init__(self, people: list[PersonInfo] | None = None) -> None:
        self._people = {p.name: p for p in people or []}
        self._maps: dict[str, BodyMap] = {}

    def people(self) -> list[PersonInfo]:
        return sorted(self._people.values(), key=lambda p: p.name)

    def person(self, name: str) -> PersonInfo | None:
        return self._people.get(name)

    def latest_map(self, name: str) -> BodyMap | None:
        return self._maps.get(name)

    def add(self, person: PersonInfo) -> None:
        self._people[person.name] = person

    def save_map(self, name: str, body_map: BodyMap) -> None:
        self._maps[name] = body_map
