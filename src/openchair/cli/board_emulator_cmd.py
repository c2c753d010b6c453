"""``openchair board-emulator``: the chair's control board, emulated behind a pseudo-terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from openchair.body.batch import BodyBatch
from openchair.cli.body_spec import parse_body
from openchair.hardware.contract import ChairDescription
from openchair.hardware.serial.linkfaults import LinkFault, ScheduledLinkFault, parse_link_fault
from openchair.hardware.serial.messages import PROTOCOL_VERSION
from openchair.hardware.twin import UnknownFaultError
from openchair.hardware.twin.faults import check_target, parse_fault

if TYPE_CHECKING:
    from openchair.hardware.serial.board import TwinFaultAt


def split_faults(
    texts: list[str], description: ChairDescription | None = None
) -> tuple[list[TwinFaultAt], list[ScheduledLinkFault]]:
    """``--fault`` values into twin faults (NAME[:TARGET][@S], the target a heater or an air
    zone of ``description``) and link faults (NAME[=V][@S])."""
    twin: list[TwinFaultAt] = []
    link: list[ScheduledLinkFault] = []
    for text in texts:
        name = text.partition("@")[0].partition("=")[0].strip()
        if name in {f.value for f in LinkFault}:
            try:
                link.append(parse_link_fault(text))
            except ValueError as err:
                raise typer.BadParameter(str(err), param_hint="--fault") from None
            continue
        spec, _, when = text.partition("@")
        name, _, target_text = spec.partition(":")
        target = target_text.strip() or None
        try:
            fault = parse_fault(name.strip())
            check_target(fault, target, description or ChairDescription())
            at = float(when) if when else 0.0
        except (UnknownFaultError, ValueError) as err:
            known = ", ".join(f.value for f in LinkFault)
            raise typer.BadParameter(
                f"{err}; link faults: {known}" if isinstance(err, UnknownFaultError) else str(err),
                param_hint="--fault",
            ) from None
        twin.append((fault, at, target))
    return twin, link


def register(app: typer.Typer) -> None:
    @app.command("board-emulator")
    def board_emulator_command(
        body: Annotated[
            str | None, typer.Option(help="The seated person, e.g. percentile=5,sex=female.")
        ] = None,
        seed: Annotated[int, typer.Option(help="Seed for the twin's sensor noise.")] = 0,
        fault: Annotated[
            list[str] | None,
            typer.Option(
                help="A twin fault NAME[:HEATER|ZONE]@SECONDS or a link fault NAME=VALUE@SECONDS "
                "(value and time optional; repeatable; seconds of board time). Link faults: "
                + ", ".join(f.value for f in LinkFault)
            ),
        ] = None,
        clock: Annotated[
            str,
            typer.Option(
                help="host: follow the host's clock (runs at any --speed); wall: real time only."
            ),
        ] = "host",
    ) -> None:
        """Emulate the control board on a new pty: print its path, serve until Ctrl-C."""
        from openchair.hardware.serial.board import Board
        from openchair.hardware.serial.emulator import BoardEmulator

        if clock not in ("host", "wall"):
            raise typer.BadParameter(f"{clock!r}: use host or wall", param_hint="--clock")
        twin_faults, link_faults = split_faults(fault or [])
        version = PROTOCOL_VERSION + (
            1 if any(f.fault is LinkFault.WRONG_VERSION for f in link_faults) else 0
        )
        params = parse_body(body)

        def log(message: str) -> None:
            typer.echo(f"board: {message}", err=True)

        board = Board(
            BodyBatch.from_params([params]),
            seed=seed,
            clock="host" if clock == "host" else "wall",
            version=version,
            twin_faults=twin_faults,
            log=log,
        )
        emulator = BoardEmulator(board, link_faults=link_faults, seed=seed, log=log)
        typer.echo(emulator.path)
        typer.echo(
            f"board emulator: protocol version {version}, {params.describe()}; "
            f"use --driver serial:{emulator.path}. Ctrl-C stops.",
            err=True,
        )
        sys.stdout.flush()
        try:
            emulator.serve()
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()
