"""Reading program files, with errors a person can act on: ``file:line: step 3: depth: ...``.

``tomllib`` gives no line numbers, so the loader finds the line of each step header and each key
in the source text itself. Every problem in a file is found (the first
``PROBLEMS_SHOWN_MAX`` are listed, then how many more), in time linear in the file's size. A file
is read only if it is a regular file of at most ``PROGRAM_FILE_MAX_BYTES``, and tables nested
deeper than ``NESTING_MAX_LEVELS`` are refused before they can exhaust the reader's recursion.
"""

from __future__ import annotations

import bisect
import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from openchair.inputs.files import InputFileError, nesting_depth, read_text_bounded
from openchair.inputs.limits import NESTING_MAX_LEVELS, PROBLEMS_SHOWN_MAX, PROGRAM_FILE_MAX_BYTES
from openchair.programs.model import Program, Step, parse_clock

TOTAL_TOLERANCE_S = 1.0


class ProgramError(ValueError):
    """A program could not be loaded; ``messages`` lists every problem found."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class _Header:
    path: tuple[int, ...]  # step indices from the top, 0-based
    line: int  # 1-based


class _LineFinder:
    """Maps step paths and keys to line numbers in the TOML text."""

    _HEADER = re.compile(r"^\s*\[\[\s*(step(?:\s*\.\s*step)*)\s*\]\]")
    _KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[_Header] = []
        counters: list[int] = []
        for i, line in enumerate(self.lines, start=1):
            m = self._HEADER.match(line)
            if not m:
                continue
            depth = m.group(1).count("step")
            counters = counters[:depth]
            while len(counters) < depth - 1:
                counters.append(0)
            if len(counters) == depth:
                counters[-1] += 1
            else:
                counters.append(1)
            self.headers.append(_Header(tuple(c - 1 for c in counters), i))
        self._line_of: dict[tuple[int, ...], int] = {}
        for h in self.headers:
            self._line_of.setdefault(h.path, h.line)
        self._header_lines = [h.line for h in self.headers]

    def step_line(self, path: tuple[int, ...]) -> int | None:
        return self._line_of.get(path)

    def key_line(self, path: tuple[int, ...], key: str | None) -> int | None:
        start = self.step_line(path) if path else 1
        if start is None:
            return None
        if key is None:
            return start
        # The next header after the step's own ends its keys (a binary search: a file with
        # 100,000 wrong steps is checked in seconds, not minutes).
        after = bisect.bisect_right(self._header_lines, start)
        end = self._header_lines[after] if after < len(self._header_lines) else len(self.lines) + 1
        for i in range(start, end):
            m = self._KEY.match(self.lines[i - 1])
            if m and m.group(1) == key:
                return i
        # Inline tables: `air = { level = 9 }` names the key inside the line.
        for i in range(start, end):
            if re.search(rf"\b{re.escape(key)}\s*=", self.lines[i - 1]):
                return i
        return start


def _step_label(path: tuple[int, ...]) -> str:
    return "step " + ".".join(str(i + 1) for i in path)


def _describe_error(err: dict[str, object]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    value = err.get("input")
    assert isinstance(ctx, dict)
    if kind in ("less_than_equal", "less_than"):
        return f"{value} is above {ctx.get('le', ctx.get('lt'))}"
    if kind == "greater_than_equal":
        return f"{value} is below {ctx.get('ge')}"
    if kind == "greater_than":
        return f"{value} must be above {ctx.get('gt')}"
    if kind == "extra_forbidden":
        return "is not a field a program knows (a typo?)"
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx.get('expected')}"
    msg = str(err.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def _locate(loc: tuple[object, ...]) -> tuple[tuple[int, ...], list[str]]:
    """Split a pydantic location into a step path and the field names below it."""
    path: list[int] = []
    fields: list[str] = []
    i = 0
    while i < len(loc):
        if loc[i] == "step" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            path.append(int(loc[i + 1]))  # type: ignore[call-overload]
            i += 2
            continue
        part = loc[i]
        # Union branches add the type name to the location: it means nothing to a person.
        if isinstance(part, str) and (part in ("float", "int", "str") or "[" in part):
            i += 1
            continue
        fields.append(str(part))
        i += 1
    return tuple(path), fields


def parse_program(text: str, source: str = "<program>") -> Program:
    """Parse and validate a program's TOML text; raise :class:`ProgramError` with every problem."""
    too_deep = f"{source}: nested deeper than {NESTING_MAX_LEVELS} levels of tables and arrays"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        where = f"{source}:{m.group(1)}" if m else source
        raise ProgramError([f"{where}: not valid TOML: {err}"]) from None
    except RecursionError:
        raise ProgramError([too_deep]) from None
    if nesting_depth(data) > NESTING_MAX_LEVELS:
        raise ProgramError([too_deep])
    finder = _LineFinder(text)
    try:
        program = Program.model_validate(data)
    except ValidationError as err:
        messages = []
        seen = set()
        for e in err.errors():
            path, fields = _locate(tuple(e["loc"]))
            key = fields[0] if fields else None
            line = finder.key_line(path, key) or 1
            label = f"{_step_label(path)}: " if path else ""
            field = ".".join(fields)
            text_msg = (
                f"{source}:{line}: {label}{field + ': ' if field else ''}{_describe_error(dict(e))}"
            )
            if text_msg not in seen:
                seen.add(text_msg)
                messages.append(text_msg)
        raise ProgramError(_shown(messages, source)) from None
    problems = _check_timing(program, finder, source)
    if problems:
        raise ProgramError(_shown(problems, source))
    return program


def _shown(messages: list[str], source: str) -> list[str]:
    """The first ``PROBLEMS_SHOWN_MAX`` problems, and a line saying how many more there are."""
    if len(messages) <= PROBLEMS_SHOWN_MAX:
        return messages
    more = len(messages) - PROBLEMS_SHOWN_MAX
    return [
        *messages[:PROBLEMS_SHOWN_MAX],
        f"{source}: … and {more:,} more problems (the first {PROBLEMS_SHOWN_MAX} are shown)",
    ]


def _check_timing(program: Program, finder: _LineFinder, source: str) -> list[str]:
    problems: list[str] = []

    def walk(steps: list[Step], prefix: tuple[int, ...], start: float) -> float:
        for i, step in enumerate(steps):
            path = (*prefix, i)
            if step.at is not None:
                at = parse_clock(step.at)
                assert at is not None
                if abs(at - start) > TOTAL_TOLERANCE_S:
                    kind = "overlaps the step before" if at < start else "leaves a gap"
                    line = finder.key_line(path, "at") or 1
                    problems.append(
                        f"{source}:{line}: {_step_label(path)}: at: {step.at} {kind}, which ends "
                        f"at {_clock(start)}"
                    )
            if step.step is not None:
                end_of_first = walk(step.step, path, start)
                start = end_of_first + (step.repeat - 1) * step.one_pass_seconds()
            else:
                start += step.total_seconds()
        return start

    t = walk(program.step, (), 0.0)
    want = program.minutes * 60.0
    if abs(t - want) > TOTAL_TOLERANCE_S:
        line = finder.key_line((), "minutes") or 1
        problems.append(
            f"{source}:{line}: minutes: the steps add up to {_clock(t)}, the program says "
            f"{_clock(want)}"
        )
    return problems


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def read_program_file(path: Path) -> Program:
    """A program file: a regular file of at most ``PROGRAM_FILE_MAX_BYTES`` (a FIFO or a device
    is refused at once, never waited on or read without end)."""
    try:
        text = read_text_bounded(path, PROGRAM_FILE_MAX_BYTES, "program")
    except InputFileError as err:
        raise ProgramError([str(err)]) from None
    program = parse_program(text, str(path))
    if program.id is None:
        program = program.model_copy(update={"id": path.stem})
    return program


def default_user_dir() -> Path:
    """A person's own programs: $OPENCHAIR_PROGRAMS_DIR, else ~/.config/openchair/programs."""
    env = os.environ.get("OPENCHAIR_PROGRAMS_DIR")
    if env:
        return Path(env)
    return Path.home() / ".config" / "openchair" / "programs"


class ProgramLibrary:
    """The built-in programs shipped with openchair plus the user's folder of programs."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir if user_dir is not None else default_user_dir()

    def _builtin_files(self) -> dict[str, Path]:
        root = resources.files("openchair.programs") / "library"
        out = {}
        for entry in root.iterdir():
            if entry.name.endswith(".toml"):
                out[entry.name.removesuffix(".toml")] = Path(str(entry))
        return out

    def _user_files(self) -> dict[str, Path]:
        if not self.user_dir.is_dir():
            return {}
        return {p.stem: p for p in sorted(self.user_dir.glob("*.toml"))}

    def builtin_ids(self) -> list[str]:
        return sorted(self._builtin_files())

    def ids(self) -> list[str]:
        return sorted(set(self._builtin_files()) | set(self._user_files()))

    def is_builtin(self, program_id: str) -> bool:
        return program_id in self._builtin_files() and program_id not in self._user_files()

    def get(self, program_id: str) -> Program:
        """A user program of the same id takes the place of the built-in one."""
        path = self._user_files().get(program_id) or self._builtin_files().get(program_id)
        if path is None:
            raise ProgramError([f"no program {program_id!r}; known: {', '.join(self.ids())}"])
        return read_program_file(path)


def load_program(source: str | Path, library: ProgramLibrary | None = None) -> Program:
    """A program by id (built-in or user) or by path to a ``.toml`` file."""
    path = Path(source)
    if path.suffix == ".toml" or path.exists():
        return read_program_file(path)
    return (library or ProgramLibrary()).get(str(source))
