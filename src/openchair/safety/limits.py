"""Every safety limit of openchair, in one place, with units in the names and the reason for each.

The supervisor enforces these; the program compiler, the verifier and the self-test read them
from here instead of repeating numbers. A chair's own ranges (what its motors can do) are in its
:class:`~openchair.hardware.contract.ChairDescription`; the limits below may be tighter and always
win. See docs/SAFETY.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class SafetyLimits:
    """The design limits of docs/SAFETY.md."""

    roller_force_hard_max_n: float = 150.0
    """No roller ever presses harder than this, whoever sits in the chair."""

    roller_depth_hard_max_mm: float = 120.0
    """Deepest roller protrusion ever ("rollers up to 12 cm deep")."""

    comfort_force_fraction_of_pain_threshold: float = 0.7
    """A person's comfort force is this fraction of their pressure-pain threshold in a region:
    work stays clearly below the point where pressure starts to hurt."""

    assumed_pain_threshold_factor: float = 0.6
    """A chair cannot measure pain: the scan assumes the most sensitive person the population
    model holds, the women's mean pressure-pain threshold × 0.6 (2.5 SD below it), so that the
    comfort force stays under anyone's threshold. Verification over 1,000 bodies found people
    hurt when the scan assumed the women's mean (docs/VERIFY.md)."""

    neck_force_max_n: float = 40.0
    """Above C7 only light work: the neck has little muscle over the cervical spine."""

    heater_default_target_c: float = 40.0
    heater_target_max_c: float = 42.0
    """Highest target a person may set."""

    heater_clinical_reason_above_c: float = 41.0
    """Targets above this need a stated clinical reason."""

    heater_surface_max_c: float = 43.0
    """IEC 60601-1 ceiling for skin contact of 10 min or more: heater off above it."""

    heater_sensor_min_plausible_c: float = -10.0
    heater_sensor_max_plausible_c: float = 80.0
    """Readings outside this are an open or shorted sensor, not a temperature."""

    heater_sensor_stuck_s: float = 60.0
    """A heater that is driven but whose sensor has not changed for this long is a fault."""

    air_pressure_max_kpa: float = 45.0
    air_valve_inflate_max_s: float = 10.0
    """No valve is held inflating longer than this without a pause to vent."""

    session_auto_off_s: float = 30.0 * 60.0
    """Continuous operation ends after 30 minutes, whatever the program says."""

    unoccupied_pause_s: float = 0.0
    unoccupied_stop_s: float = 10.0
    """Nobody seated: pause at once; still nobody after this long: stop."""

    recline_current_spike_a: float = 3.0
    """Recline motor current above this means something is caught: stop and reverse briefly."""

    recline_reverse_s: float = 1.0

    control_deadline_miss_s: float = 0.05
    """A control tick later than this past its due time counts as a missed deadline."""

    driver_silent_s: float = 0.1
    """A driver whose readings have not changed time for this long is lost."""

    scan_contact_force_n: float = 4.0
    """The body scan keeps the rollers in contact this lightly: enough to feel the back."""

    scan_duration_max_s: float = 20.0
    """A scan never takes longer than this."""


DEFAULT_LIMITS = SafetyLimits()
"""The limits used unless a caller passes others (tests pass tighter ones)."""


# -- Tuning of the supervisor's rules ------------------------------------------------------------
# Not limits a person or a standard sets, but how the rules look for them. Kept here, beside the
# limits they serve, so that every number the supervisor acts on is in one file.

ENCODER_MARGIN_MM = 5.0
"""A carriage reading may move at most 3 ticks' worth of full speed plus this between ticks."""
SILENT_FORCE_N = 0.5
SILENT_FORCE_S = 1.0
SILENT_CONTACT_MM = 5.0
"""Rollers whose shallowest point (kneading and tapping strokes included) is this far past the
depth at which the person's scan felt the back (with at least 2 N) always feel it: a force reading
that stays below SILENT_FORCE_N for SILENT_FORCE_S there means the force sensing is dead. The
5 mm cover the scan's 5 mm grid on the slope of the back."""
SILENT_DEPTH_FRACTION = 0.8
"""Without a contact depth (a map saved before it was kept), rollers at 80 % of the comfortable
depth count as pressing. Verification found this alone too eager: a region's comfortable depth
comes from its shallowest point, and at its deep end (the top of a strong lumbar hollow) rollers
at 80 % may not reach the back at all."""
FORCE_BACKOFF_MM = 10.0
"""How far the depth ceiling drops below the current depth when a force limit is crossed."""
CARRIAGE_WAIT_DEPTH_MM = 2.0
"""Rollers deeper than the comfortable depth where the carriage is heading, by more than this,
hold the carriage until they have retracted (found by verification: shiatsu moved on with the
rollers still out, into a shallower region)."""
CARRIAGE_LOOKAHEAD_MM = 15.0
"""How far ahead of the carriage the wait looks: past a full-speed stop (6 mm) and the time the
depth motor needs for a region step, so a region boundary is seen before it is crossed."""
CEILING_RECOVERY_MM_S = 2.0
"""How fast a backed-off depth ceiling rises again once forces are comfortable."""
HEATER_RISE_UNEXPLAINED_C = 1.5
HEATER_RISE_WINDOW_S = 20.0
HEATER_OFF_SETTLE_S = 30.0
"""A heater commanded off for this long that still warms by HEATER_RISE_UNEXPLAINED_C within
HEATER_RISE_WINDOW_S is heating by itself (relay stuck on)."""
HEATER_STUCK_CHANGE_C = 0.05
"""A driven heater's reading must move by more than this within ``heater_sensor_stuck_s``."""
EVENT_HOLDOFF_S = 1.0
"""A rule acting again within this time of its last action continues the same event."""
AIR_VENT_PAUSE_S = 2.0
"""A valve that inflated too long is vented for this long before it may inflate again."""
RECLINE_REVERSE_DEG = 2.0
"""How far a recline motor backs off the way it came after a current spike."""
HEATER_CURRENT_ON_FRACTION = 0.5
"""A heater drawing more than this fraction of its nominal current is powered."""
HEATER_CURRENT_OFF_S = 0.2
"""Current in a heater the last frames commanded off, for this long, is a relay stuck on (a relay
releases in about 20 ms)."""
HEATER_SENSOR_FROZEN_S = 10.0
"""A temperature reading unchanged to the bit for this long is a frozen sensor: a live sensor's
reading always moves in its last bits (the twin's noise is 0.05 °C)."""
HEATER_RESPONSE_S = 45.0
HEATER_RESPONSE_RISE_C = 1.0
"""A heater powered without a break for HEATER_RESPONSE_S warms its surface by several degrees
(0.15 °C/s nominal, still 0.12 °C/s at -20 % power, less the sensor's lag): a reading that rose
less than HEATER_RESPONSE_RISE_C is not measuring this heater."""
DEPTH_RUNAWAY_MARGIN_MM = 3.0
"""Rollers deeper than the depth last commanded by more than this, and still going deeper by
more than this, are not following their depth: the depth motor's power is cut."""
SUPPLY_CUT_RETRACTED_MM = 2.0
"""Rollers shallower than this are in: a supply cut waiting for them may happen now."""
HEATER_DRIVEN_MARGIN_C = 3.0
HEATER_NO_CURRENT_S = 2.0
"""A heater whose target is HEATER_DRIVEN_MARGIN_C above its reading is surely powered; drawing no
current for HEATER_NO_CURRENT_S it has lost its power (thermal cut-out open, broken element)."""
HEATER_OVERRUN_C = 1.0
"""A board switches its heater off 0.5 °C past the target: current still flowing with the reading
this far past it is a relay stuck on."""
FORCE_PREDICT_S = 0.3
"""How far ahead the force rule looks: the time the depth motor needs to take back a few
millimetres (0.1 s to reach its 30 mm/s, then 5 mm in under 0.2 s). A force that, rising as
fast as it does now, would pass the limit within this time is backed off now, before it is
there."""
FORCE_RATE_WINDOW_TICKS = 10
"""The force's rise is measured over this many ticks (0.1 s at 100 Hz), so that the sensor's
1 N noise does not pass for a rise."""
DEPTH_GROWTH_IN_CONTACT_MM_S = 20.0
"""While the rollers press (a force above SILENT_FORCE_N), their depth may grow at most this
fast: at the stiffest back the population holds (about 8 N/mm at the probe spot) a rise the
force rule sees 0.1 s late and undoes within FORCE_PREDICT_S."""
FORCE_RISE_NOISE_N = 3.0
"""Of the force's rise over FORCE_RATE_WINDOW_TICKS, this much is the sensor's noise (1 N a
reading, two readings) and does not count for the prediction."""
PRESS_ARRIVAL_MM = 15.0
"""A carriage farther than this from where the frame wants it is still on its way: the rollers
may not go deeper until it is there (a press starts where it is meant to, never on the way)."""
MAP_LANDMARK_MISMATCH_MM = 30.0
"""A saved body map whose shoulders or sacrum sit further than this from where the light-contact
pass finds them is another person's (or an old) map: refused, the person is asked for a scan.
The scan places landmarks within about 10 mm."""
MAP_CONTACT_MISMATCH_MM = 15.0
"""Likewise for where the back is: the median difference of the depth at which the rollers meet
the back, over the back the map and the pass both know."""
PRESS_TARGET_STILL_MM = 0.5
"""A carriage target that moved less than this since the last frame is a place to press (a
shiatsu point), not the moving target of a roll."""
PRESS_TRAVEL_DEPTH_FRACTION = 0.25
"""On its way to a press the rollers may stay in light contact: this share of the comfortable
depth (as the compiler's approach to a zone)."""

# -- What a human body can be: the bounds a body map must fall inside --------------------------
# A body map is input, not truth (docs/SAFETY.md): a file, a saved profile or another person's
# map. Values no human back has are refused before anything uses them. The ranges are those of
# openchair's body model over its whole population (3,000 sampled bodies and the 64 corners,
# statures 1,300-2,100 mm) and of the scan's own maps of the corners, widened by a margin; the
# command that measures them is in docs/SAFETY.md. Shallow depths and light forces are never
# dangerous, so the lower bounds are generous: they only catch a map that measured nothing.

BODY_MAP_COMFORTABLE_DEPTH_MM: Final[Mapping[str, tuple[float, float]]] = MappingProxyType(
    {
        "thighs": (30.0, 120.0),
        "glutes": (30.0, 120.0),
        "sacrum": (25.0, 120.0),
        "lumbar": (25.0, 120.0),
        "mid-back": (10.0, 100.0),
        "upper-back": (10.0, 100.0),
        "shoulders": (15.0, 115.0),
        "neck": (25.0, 120.0),
    }
)
"""Per region, the comfortable roller depth a body can have (mm). Over the ribs the back gives
least: the body model's deepest comfortable depth there is 90 mm (mid-back) and 89 mm
(upper-back), the shoulders' 109 mm; elsewhere the roller's own 120 mm is reached."""

BODY_MAP_COMFORT_FORCE_N: Final[Mapping[str, tuple[float, float]]] = MappingProxyType(
    {
        "thighs": (20.0, 150.0),
        "glutes": (20.0, 150.0),
        "sacrum": (20.0, 150.0),
        "lumbar": (15.0, 145.0),
        "mid-back": (15.0, 135.0),
        "upper-back": (15.0, 126.0),
        "shoulders": (12.0, 110.0),
        "neck": (8.0, 40.0),
    }
)
"""Per region, the comfort force a body can have (N): 0.7 × the pressure-pain threshold over the
roller's contact area. The body model's most robust person reaches 138 N on the lumbar muscles,
129 N mid-back, 120 N upper-back, 104 N on the shoulders (about 5 % added); the hips and thighs
reach the 150 N hard limit; the neck never passes ``neck_force_max_n``. The lower bounds are half
the most sensitive person's."""

BODY_MAP_SHOULDER_Y_MM = (400.0, 800.0)
"""The shoulder line above the seat crease: 443-726 mm in the body model (scanned: 444-725 mm);
the track ends at 800 mm."""
BODY_MAP_S1_Y_MM = (50.0, 250.0)
"""The sacrum's top (S1) above the seat crease: 112-164 mm in the model, 75-216 mm scanned."""
BODY_MAP_L3_Y_MM = (150.0, 380.0)
"""The lumbar spine's middle (L3): 200-304 mm in the model, 178-335 mm scanned."""
BODY_MAP_SPINE_LENGTH_MM = (330.0, 700.0)
"""C7 above S1: 395-629 mm in the model, 364-638 mm scanned (a spine is about 30 % of stature)."""
BODY_MAP_SHOULDER_BELOW_C7_MM = (0.0, 130.0)
"""How far the shoulder line lies below C7: 35-91 mm in the model, 47-78 mm as the scan places
C7 (shoulder line × 1.107): 48-78 mm. All measured by benchmarks/map_bounds_survey.py."""
