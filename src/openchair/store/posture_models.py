"""The posture monitor's day summaries, kept with a person (migration ``0005_posture_days``).

One row per person and day: seconds of sitting, slouching, time away and unobserved time, the
counts of nudges and breaks, and the stretches of sitting as ``[start_s, end_s]`` Unix times.
Numbers only: nothing here could hold a picture. The row goes with the person (``ON DELETE
CASCADE``, and ``delete_person_data`` deletes it explicitly too).
"""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openchair.store.models import Base


class PostureDayRow(Base):
    """``openchair.posture.events.PostureDaySummary`` of one person and day, in seconds."""

    __tablename__ = "posture_days"
    __table_args__ = (UniqueConstraint("person_id", "day", name="uq_posture_days_person_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    day: Mapped[str] = mapped_column(String(10))
    sitting_s: Mapped[float] = mapped_column(Float)
    slouched_s: Mapped[float] = mapped_column(Float)
    away_s: Mapped[float] = mapped_column(Float)
    unobserved_s: Mapped[float] = mapped_column(Float)
    nudges: Mapped[int] = mapped_column(Integer)
    breaks: Mapped[int] = mapped_column(Integer)
    streaks: Mapped[list[list[float]]] = mapped_column(JSON)
