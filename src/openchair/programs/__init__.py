"""Massage programs as data: the language, the built-in library, the compiler and manual mode."""

from openchair.programs.compiler import CompiledProgram, FlatStep, compile_program, flatten
from openchair.programs.loader import (
    ProgramError,
    ProgramLibrary,
    default_user_dir,
    load_program,
    parse_program,
)
from openchair.programs.manual import ManualSettings, manual_program
from openchair.programs.model import Program, Step
from openchair.programs.summary import ProgramSummary, summarize

__all__ = [
    "CompiledProgram",
    "FlatStep",
    "ManualSettings",
    "Program",
    "ProgramError",
    "ProgramLibrary",
    "ProgramSummary",
    "Step",
    "compile_program",
    "default_user_dir",
    "flatten",
    "load_program",
    "manual_program",
    "parse_program",
    "summarize",
]
