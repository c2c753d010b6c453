"""Bounds on input from outside (files, options). Each is far above anything a real program,
body map or command line needs, and low enough that reading and checking stay quick."""

from __future__ import annotations

from typing import Final

PROGRAM_FILE_MAX_BYTES: Final[int] = 4 * 1024 * 1024
"""A program file is at most 4 MiB (the built-in ones are under 4 KiB). Large enough that a file
of 100,000 steps, every one wrong, is still read and reported, which the tests check."""

CARE_FILE_MAX_BYTES: Final[int] = 256 * 1024
"""An exercise file or the plan's settings file (the built-in exercises are under 3 KiB)."""

BODY_MAP_FILE_MAX_BYTES: Final[int] = 256 * 1024
"""A saved body map is about 10 KiB (landmarks, regions and a back profile on a 5 mm grid)."""

BODY_MAP_TIGHT_SPOTS_MAX: Final[int] = 32
"""Tight spots a body map may list (the body model gives 2 to 5; the compiler and supervisor
look at every one on every tick)."""

NESTING_MAX_LEVELS: Final[int] = 24
"""Tables and arrays inside each other in a program or body-map file. A program with groups
eight deep (its most) uses 21 levels; the TOML and JSON readers recurse, so far deeper files
would crash them."""

PROGRAM_GROUPS_DEPTH_MAX: Final[int] = 8
"""Groups of steps inside groups, at most this deep."""

STEP_SECONDS_MIN: Final[float] = 0.1
"""A timed step lasts at least ten control ticks: a shorter one is nothing a chair can do, and
one shorter than a tick compiles to no tick at all."""

PROGRAM_STEPS_EXPANDED_MAX: Final[int] = 5000
"""A program, with every group's ``repeat`` written out, has at most this many timed steps (the
built-in ones have 3 to 15). Four nested groups of ``repeat = 100`` would otherwise make 10^8
steps from a 200-byte file and exhaust memory when run or shown."""

PROBLEMS_SHOWN_MAX: Final[int] = 50
"""A file with more problems lists the first ones and says how many more there are."""

SEED_MAX: Final[int] = 2**32 - 1
"""Seeds are 0 .. 4,294,967,295 (32 bits; the population's body seeds are below 2**31)."""

SPEED_FACTOR_MIN: Final[float] = 0.1
SPEED_FACTOR_MAX: Final[float] = 1000.0
"""A session runs from ten times slower than real time (to watch a step) to 1000 times faster."""
