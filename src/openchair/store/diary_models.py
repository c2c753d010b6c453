"""The companion's health tables: screening answers, the pain diary, confirmations, breaks.

Kept apart from ``models.py`` (same ``Base``, same database); migration ``0004_diary`` creates
them. Every row belongs to a person and goes when the person is deleted (foreign key with
``ON DELETE CASCADE``, and ``openchair.care.diary_store.delete_person_data`` deletes them
explicitly too, for databases without foreign keys).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openchair.store.models import Base


class ScreeningRow(Base):
    """One health check as answered (the newest counts; older ones stay as the record)."""

    __tablename__ = "health_screenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    answered_at: Mapped[datetime]
    rules_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)


class DiaryRow(Base):
    """One pain-diary entry."""

    __tablename__ = "pain_diary"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    pain: Mapped[int] = mapped_column(Integer)
    areas: Mapped[list[str]] = mapped_column(JSON)
    stiffness_min: Mapped[int | None] = mapped_column(Integer)
    better: Mapped[list[str]] = mapped_column(JSON)
    worse: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")
    red_flags: Mapped[dict[str, Any]] = mapped_column(JSON)


class ConfirmationRow(Base):
    """The person's word that a hold is over: ``red-flags`` (seen by a clinician) or
    ``hold:<question>`` (a screening hold, e.g. the doctor said yes)."""

    __tablename__ = "care_confirmations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]
    upto_id: Mapped[int] = mapped_column(Integer)
    """The newest diary entry (``red-flags``) or screening (``hold:…``) row it covers: a later
    "yes" holds again, whatever date it is given."""
    note: Mapped[str] = mapped_column(Text, default="")


class BreakRow(Base):
    """A movement break record (``openchair.care.records.BreakRecord``) kept with a person."""

    __tablename__ = "care_breaks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(20))
    exercise: Mapped[str | None] = mapped_column(String(80))
    sat_minutes: Mapped[float] = mapped_column(Float, default=0.0)
