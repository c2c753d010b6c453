"""The ``openchair`` command: one typer app, one module per command group.

Each command module exposes ``register(app)``; adding a command is one import and one call here.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="openchair",
    help="openchair: drive a massage chair (or its digital twin) and the back care around it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_registered: list[bool] = []


def _register_commands() -> None:
    # Imported here so that `openchair --help` stays quick and each module stays independent.
    if _registered:
        return
    _registered.append(True)
    from openchair.cli import (
        board_emulator_cmd,
        body_cmd,
        breaks_cmd,
        devices_cmd,
        diary_cmd,
        exercises_cmd,
        fleet_cmd,
        people_cmd,
        plan_cmd,
        posture_cmd,
        programs_cmd,
        run_cmd,
        scan_cmd,
        selftest_cmd,
        serve_cmd,
        verify_cmd,
    )

    run_cmd.register(app)
    scan_cmd.register(app)
    body_cmd.register(app)
    selftest_cmd.register(app)
    programs_cmd.register(app)
    verify_cmd.register(app)
    serve_cmd.register(app)
    exercises_cmd.register(app)
    plan_cmd.register(app)
    breaks_cmd.register(app)
    posture_cmd.register(app)
    board_emulator_cmd.register(app)
    diary_cmd.register(app)
    people_cmd.register(app)
    devices_cmd.register(app)
    fleet_cmd.register(app)


_ONE_CHAIR_COMMANDS = ("run", "demo")
"""Commands whose module alone is imported when named first on the command line: a simulated
run answers in about a second, and importing every command (the web server, the fleet tools)
would take most of it."""


def _register_only_run() -> None:
    from openchair.cli import run_cmd

    _registered.append(True)
    run_cmd.register(app)


def main() -> None:
    import sys

    if len(sys.argv) > 1 and sys.argv[1] in _ONE_CHAIR_COMMANDS:
        _register_only_run()
    else:
        _register_commands()
    app()
