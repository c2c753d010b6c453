"""Reading exercise files, with errors a person can act on: ``file:line: field: message``.

``tomllib`` gives no line numbers, so the loader finds the line of each table header and key in
the text itself. Every problem in a file is reported, not just the first. The library is the
built-in exercises plus the person's own folder, next to their programs.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from openchair.care.model import Exercise
from openchair.inputs.files import InputFileError, read_text_bounded
from openchair.inputs.limits import CARE_FILE_MAX_BYTES


class ExerciseError(ValueError):
    """An exercise could not be loaded; ``messages`` lists every problem found."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\- ]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")


def _line_of(text: str, loc: tuple[object, ...]) -> int:
    """The line of the deepest table and key that a pydantic location names."""
    lines = text.splitlines()
    names = [str(p) for p in loc if not isinstance(p, int)]
    table: tuple[str, ...] = ()
    start, end = 0, len(lines)
    # Find the longest table header that is a prefix of the location.
    for n in range(len(names), 0, -1):
        want = ".".join(names[:n])
        for i, line in enumerate(lines):
            m = _HEADER.match(line)
            if m and m.group(1).replace(" ", "") == want:
                table = tuple(names[:n])
                start = i + 1
                end = next(
                    (j for j in range(start, len(lines)) if _HEADER.match(lines[j])), len(lines)
                )
                break
        if table:
            break
    if not table:
        end = next((j for j in range(len(lines)) if _HEADER.match(lines[j])), len(lines))
    rest = names[len(table) :]
    if rest:
        for i in range(start, end):
            m = _KEY.match(lines[i])
            if m and m.group(1) == rest[0]:
                return i + 1
        for i in range(start, end):  # inline tables: left = { knee = 300 }
            if re.search(rf"\b{re.escape(rest[-1])}\s*=", lines[i]):
                return i + 1
    return start if table else 1


def _describe(err: dict[str, object]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    value = err.get("input")
    assert isinstance(ctx, dict)
    if kind in ("less_than_equal", "less_than"):
        return f"{value} is above {ctx.get('le', ctx.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value} is below {ctx.get('ge', ctx.get('gt'))}"
    if kind == "extra_forbidden":
        return "is not a field an exercise knows (a typo?)"
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx.get('expected')}"
    if kind in ("too_short", "too_long"):
        return str(err.get("msg", "wrong length"))
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


def parse_exercise(text: str, source: str = "<exercise>") -> Exercise:
    """Parse and validate an exercise's TOML; raise :class:`ExerciseError` with every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        where = f"{source}:{m.group(1)}" if m else source
        raise ExerciseError([f"{where}: not valid TOML: {err}"]) from None
    try:
        return Exercise.model_validate(data)
    except ValidationError as err:
        messages: list[str] = []
        for e in err.errors():
            loc = tuple(e["loc"])
            field = ".".join(str(p) for p in loc)
            line = _line_of(text, loc)
            msg = f"{source}:{line}: {field + ': ' if field else ''}{_describe(dict(e))}"
            if msg not in messages:
                messages.append(msg)
        raise ExerciseError(messages) from None


def read_exercise_file(path: Path) -> Exercise:
    """An exercise file: a regular file of at most ``CARE_FILE_MAX_BYTES`` (a FIFO or a device
    is refused at once, as for programs)."""
    try:
        text = read_text_bounded(path, CARE_FILE_MAX_BYTES, "exercise")
    except InputFileError as err:
        raise ExerciseError([str(err)]) from None
    exercise = parse_exercise(text, str(path))
    if exercise.id is None:
        exercise = exercise.model_copy(update={"id": path.stem})
    return exercise


def default_user_dir() -> Path:
    """A person's own exercises: $OPENCHAIR_EXERCISES_DIR, else ~/.config/openchair/exercises."""
    env = os.environ.get("OPENCHAIR_EXERCISES_DIR")
    if env:
        return Path(env)
    return Path.home() / ".config" / "openchair" / "exercises"


class ExerciseLibrary:
    """The built-in exercises shipped with openchair plus the person's own folder."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir if user_dir is not None else default_user_dir()

    def _builtin_files(self) -> dict[str, Path]:
        root = resources.files("openchair.care") / "library"
        return {
            e.name.removesuffix(".toml"): Path(str(e))
            for e in root.iterdir()
            if e.name.endswith(".toml")
        }

    def _user_files(self) -> dict[str, Path]:
        if not self.user_dir.is_dir():
            return {}
        return {p.stem: p for p in sorted(self.user_dir.glob("*.toml"))}

    def ids(self) -> list[str]:
        return sorted(set(self._builtin_files()) | set(self._user_files()))

    def is_builtin(self, exercise_id: str) -> bool:
        return exercise_id in self._builtin_files() and exercise_id not in self._user_files()

    def get(self, exercise_id: str) -> Exercise:
        """A user exercise of the same id takes the place of the built-in one."""
        path = self._user_files().get(exercise_id) or self._builtin_files().get(exercise_id)
        if path is None:
            raise ExerciseError([f"no exercise {exercise_id!r}; known: {', '.join(self.ids())}"])
        return read_exercise_file(path)

    def load_all(self) -> tuple[list[Exercise], list[str]]:
        """Every exercise that loads, and the problems of those that do not (never raises)."""
        good: list[Exercise] = []
        problems: list[str] = []
        for eid in self.ids():
            try:
                good.append(self.get(eid))
            except ExerciseError as err:
                problems.extend(err.messages)
        return good, problems


def load_exercise(source: str | Path, library: ExerciseLibrary | None = None) -> Exercise:
    """An exercise by id (built-in or the person's) or by path to a ``.toml`` file."""
    path = Path(source)
    if path.suffix == ".toml" or path.exists():
        return read_exercise_file(path)
    return (library or ExerciseLibrary()).get(str(source))
