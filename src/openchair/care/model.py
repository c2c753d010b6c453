"""The exercise format: what an exercise file may say, as pydantic models.

An exercise is a TOML file: a name, the body areas it works, steps in plain words, a dose (hold
time, repetitions, sides), where it can be done, who should not do it, its sources, and the pose
of a figure at the start and at the end of the movement. These models are the single definition
of the format: validation, the JSON Schema (``openchair exercises schema``), the daily plan and
the picture all read them. Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Area = Literal["neck", "shoulders", "upper-back", "lower-back", "hips", "legs"]
AREAS: tuple[Area, ...] = ("neck", "shoulders", "upper-back", "lower-back", "hips", "legs")

Place = Literal["desk", "standing", "floor"]
"""``desk``: seated on an office chair; ``standing``: beside the desk; ``floor``: on a mat."""

Kind = Literal["stretch", "mobility", "strength", "movement"]

Sides = Literal["both", "each", "alternate"]
"""``both``: one symmetrical movement; ``each``: do it on one side, then the other;
``alternate``: left and right in turn within one set."""

CautionFlag = Literal[
    "recent-surgery",
    "pregnancy",
    "osteoporosis",
    "spinal-stenosis",
    "neck-problem",
    "dizziness",
    "shoulder-problem",
    "wrist-problem",
    "knee-problem",
    "hip-problem",
    "balance-problem",
    "leg-symptoms",
]
"""Simple flags a person may set about themselves (a health screening will set them later).
An exercise that names a flag in ``avoid_if`` is never put in that person's plan."""

CAUTION_FLAGS: tuple[str, ...] = CautionFlag.__args__  # type: ignore[attr-defined]

View = Literal["side", "front", "top"]
"""Where the picture looks from: the person's left side, the front, or from above."""

Prop = Literal["chair", "floor", "desk", "wall", "none"]
Anchor = Literal["pelvis", "feet", "knees", "hands"]
"""The point of the figure that stays in place between the start and the end pose."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Limb(BaseModel):
    """Joint angles of one side's arm and leg, in degrees (0 = standing, arms hanging)."""

    model_config = _STRICT
    shoulder_flex: float | None = Field(
        None, ge=-60, le=190, description="Arm forward and up: 90 points ahead, 180 overhead."
    )
    shoulder_abd: float | None = Field(
        None, ge=-10, le=190, description="Arm out to the side: 90 level, 180 overhead."
    )
    shoulder_across: float | None = Field(
        None, ge=-90, le=90, description="Arm swung across the body (after flexion)."
    )
    elbow: float | None = Field(None, ge=0, le=160, description="Elbow bend.")
    hip_flex: float | None = Field(
        None, ge=-40, le=175, description="Thigh forward: 90 seated, 0 standing."
    )
    hip_abd: float | None = Field(None, ge=-30, le=80, description="Thigh out to the side.")
    knee: float | None = Field(None, ge=0, le=165, description="Knee bend: 90 seated.")
    ankle: float | None = Field(
        None, ge=-40, le=60, description="Toes pointed down (calf raise) when positive."
    )


class Pose(Limb):
    """A whole-body pose. Limb angles given here apply to both sides; ``left``/``right`` override.

    Signs: flexion is forward; ``*_side`` and ``*_turn`` are positive to the person's left.
    """

    body_pitch: float = Field(
        0, ge=-120, le=120, description="Whole body tipped: 90 face down (all fours), -90 on back."
    )
    trunk_flex: float = Field(0, ge=-40, le=120, description="Trunk bent forward from the hips.")
    trunk_side: float = Field(0, ge=-45, le=45, description="Side bend, positive to the left.")
    trunk_twist: float = Field(0, ge=-70, le=70, description="Twist, positive to the left.")
    neck_flex: float = Field(0, ge=-50, le=60, description="Chin down (positive) or up.")
    neck_side: float = Field(0, ge=-45, le=45, description="Ear towards a shoulder, + left.")
    neck_turn: float = Field(0, ge=-80, le=80, description="Look over a shoulder, + left.")
    neck_shift: float = Field(
        0, ge=-1, le=1, description="Head slid back (chin tuck, negative) or poked forward."
    )
    shrug: float = Field(0, ge=-0.5, le=1, description="Shoulders raised (1) or drawn down.")
    shoulders_back: float = Field(
        0, ge=-1, le=1, description="Shoulder blades squeezed back (1) or rounded forward (-1)."
    )
    legs_roll: float = Field(
        0, ge=-70, le=70, description="Both bent knees rolled to one side (+ left)."
    )
    left: Limb | None = None
    right: Limb | None = None


class Picture(BaseModel):
    """How to draw the exercise: view, prop, and the start and end poses."""

    model_config = _STRICT
    view: View = "side"
    prop: Prop = "none"
    anchor: Anchor = "pelvis"
    seconds: float = Field(4.0, ge=1.0, le=20.0, description="Length of one animated cycle.")
    start: Pose
    end: Pose


class Exercise(BaseModel):
    """One exercise: what it is for, how to do it, how much, and who should not do it."""

    model_config = _STRICT
    id: str | None = Field(None, description="Defaults to the file name without .toml.")
    name: str = Field(min_length=3, max_length=60)
    summary: str = Field(min_length=10, max_length=200, description="One line: what it does.")
    kind: Kind
    areas: list[Area] = Field(min_length=1, description="Body areas it works.")
    where: list[Place] = Field(min_length=1, description="Where it can be done.")
    steps: list[str] = Field(min_length=2, max_length=10, description="Plain-word instructions.")
    hold_seconds: float = Field(
        0, ge=0, le=120, description="Hold of each repetition (0 for a moving exercise)."
    )
    repetitions: int = Field(ge=1, le=30)
    sides: Sides = "both"
    cautions: list[str] = Field(
        min_length=1, description="Who should not do it or should take care (no diagnosis)."
    )
    avoid_if: list[CautionFlag] = Field(
        default_factory=list, description="Flags of a person for whom the plan leaves it out."
    )
    sources: list[str] = Field(min_length=1, description="Where the advice comes from.")
    picture: Picture

    @field_validator("areas", "where", "avoid_if")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("names an entry twice")
        return values

    @model_validator(mode="after")
    def _picture_fits_place(self) -> Exercise:
        if self.picture.prop == "floor" and "floor" not in self.where:
            raise ValueError("the picture shows the floor but 'where' does not name floor")
        if self.picture.prop == "chair" and "desk" not in self.where:
            raise ValueError("the picture shows a chair but 'where' does not name desk")
        return self

    def seconds(self) -> float:
        """About how long one full dose takes, with a few seconds to move between repetitions."""
        per_rep = max(self.hold_seconds, 3.0) + 2.0
        sides = 2 if self.sides == "each" else 1
        return per_rep * self.repetitions * sides

    def label(self) -> str:
        return self.id or self.name
