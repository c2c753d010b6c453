"""The tables, as SQLAlchemy 2 typed ORM classes. The migrations in ``migrations/versions``
create them; a change here is a new migration there (tests compare the two)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Person(Base):
    """Someone who uses the chair, with their preferences (session defaults)."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Body parameters if given (stature_mm, mass_kg, sex, …), as ``--body`` takes them."""
    default_intensity: Mapped[int] = mapped_column(Integer, default=3)
    heat: Mapped[bool] = mapped_column(default=False)
    favourite_programs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class BodyMapRow(Base):
    """A saved body map (a scan's result), dated; the newest is used when the person sits."""

    __tablename__ = "body_maps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class PersonProgram(Base):
    """A person's own program (the TOML text), kept with them."""

    __tablename__ = "person_programs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[str] = mapped_column(String(80))
    toml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Chair(Base):
    __tablename__ = "chairs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    description: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class SessionRow(Base):
    """One session: written when it starts, updated every second, closed when it ends.

    ``owner_host``/``owner_pid`` name the process running it: on start, a ``running`` session
    whose process is gone becomes ``interrupted``.
    """

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    chair_id: Mapped[str] = mapped_column(ForeignKey("chairs.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    person_name: Mapped[str | None] = mapped_column(String(80))
    program_id: Mapped[str] = mapped_column(String(80))
    program_name: Mapped[str] = mapped_column(String(200))
    intensity: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    seconds_by_zone: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_force_n: Mapped[float] = mapped_column(Float, default=0.0)
    max_depth_mm: Mapped[float] = mapped_column(Float, default=0.0)
    max_pressure_kpa: Mapped[float] = mapped_column(Float, default=0.0)
    max_temp_c: Mapped[float | None] = mapped_column(Float)
    owner_host: Mapped[str] = mapped_column(String(200), default="")
    owner_pid: Mapped[int] = mapped_column(Integer, default=0)


class SafetyEventRow(Base):
    """Every safety event, in or out of a session. ``time_s``: from the activity's start."""

    __tablename__ = "safety_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    chair_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    time_s: Mapped[float] = mapped_column(Float)
    rule: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None] = mapped_column(Float)
    limit_value: Mapped[float | None] = mapped_column(Float)
    reaction: Mapped[str] = mapped_column(String(100))
    activity: Mapped[str] = mapped_column(String(20))


class DeviceRow(Base):
    """A device paired with the web remote and the API: its name and its token's SHA-256 (never
    the token). Revoking sets ``revoked_at`` and keeps the row."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
