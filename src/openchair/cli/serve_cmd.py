"""``openchair serve``: the chair service, running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console

from openchair.cli.body_spec import parse_body
from openchair.cli.run_cmd import parse_speed
from openchair.mqtt.link import MqttLink, MqttLinkError, mqtt_companion
from openchair.service.factory import DRIVERS, ServiceOptions, UnknownDriverError, build_service
from openchair.service.service import ChairService
from openchair.store.errors import StoreError
from openchair.web.launch import WebOptions, web_companion

Companion = Callable[[ChairService], Coroutine[Any, Any, None]]
"""A task that runs beside the service in the same asyncio loop (the web API, MQTT)."""


async def serve_until_signal(
    service: ChairService, console: Console | None, companions: Sequence[Companion] = ()
) -> None:
    """Open the service, run ``companions`` as tasks, wait for SIGINT or SIGTERM (or the
    control loop failing), cancel the tasks and close the service (the chair ends safe)."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    async with service:
        tasks = [asyncio.create_task(c(service)) for c in companions]
        if console is not None:
            console.print(
                f"openchair service: {service.loop.description.model}; "
                "Ctrl-C or SIGTERM stops it and leaves the chair safe"
            )
        while not done.is_set() and service.loop.running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.5)
        failed = service.loop.error
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if failed is not None:
        raise ServiceFailedError(
            f"the control loop failed: {failed}; the chair is in its safe state"
        )
    if console is not None:
        console.print("chair service stopped; the chair is in its safe state")


class ServiceFailedError(RuntimeError):
    """The control thread ended on an error (it left the chair safe first)."""


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        driver: Annotated[str, typer.Option(help=f"Chair driver: {', '.join(DRIVERS)}.")] = "twin",
        db: Annotated[
            str | None, typer.Option(help="SQLAlchemy database URL (default: SQLite).")
        ] = None,
        data_dir: Annotated[
            str | None, typer.Option(help="Where the default database lives.")
        ] = None,
        body: Annotated[
            str | None, typer.Option(help="The twin's seated person, e.g. percentile=5,sex=female.")
        ] = None,
        seed: Annotated[int, typer.Option(help="Seed for the twin's sensor noise.")] = 0,
        speed: Annotated[
            str, typer.Option(help="realtime, or a factor like 10 (simulated time, twin only).")
        ] = "realtime",
        host: Annotated[
            str, typer.Option(help="Web remote and API address; 0.0.0.0 for the home network.")
        ] = "127.0.0.1",
        port: Annotated[
            int, typer.Option(help="Web remote and API port.", min=1, max=65535)
        ] = 8580,
        web: Annotated[bool, typer.Option(help="Serve the web remote and its API.")] = True,
        mqtt: Annotated[
            str | None,
            typer.Option(help="Publish to this MQTT broker (mqtt://host[:port], mqtts://...)."),
        ] = None,
        mqtt_user: Annotated[str | None, typer.Option(help="Broker user name.")] = None,
        mqtt_password: Annotated[
            str | None,
            typer.Option(help="Broker password.", envvar="OPENCHAIR_MQTT_PASSWORD"),
        ] = None,
        mqtt_tls_ca: Annotated[
            str | None, typer.Option(help="CA certificate file for the broker's TLS.")
        ] = None,
        chair_id: Annotated[
            str, typer.Option(help="This chair's id (MQTT topics, the store).")
        ] = "local",
    ) -> None:
        """Run the chair service: one owner of the chair for every client, until Ctrl-C."""
        params = parse_body(body) if body is not None else None
        factor = parse_speed(speed)
        if factor is None:
            raise typer.BadParameter(
                "the service runs in real time or N× real time", param_hint="--speed"
            )
        link = None
        if mqtt is not None:
            try:
                link = MqttLink.from_options(mqtt, mqtt_user, mqtt_password, mqtt_tls_ca, chair_id)
            except MqttLinkError as err:
                raise typer.BadParameter(str(err), param_hint="--mqtt/--chair-id") from None
        options = ServiceOptions(
            driver=driver,
            body=params,
            seed=seed,
            speed=factor,
            db_url=db,
            data_dir=data_dir,
            store=True,
            chair_id=chair_id,
        )
        try:
            service = build_service(options)
        except (UnknownDriverError, StoreError) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        try:
            console = Console(stderr=True)
            companions = (
                [web_companion(WebOptions(host, port, db, data_dir), console)] if web else []
            )
            if link is not None:
                companions.append(mqtt_companion(link, console))
            asyncio.run(serve_until_signal(service, console, companions))
        except ServiceFailedError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        except OSError as err:  # the driver could not reach the chair (open())
            typer.echo(f"cannot open the chair ({driver}): {err}", err=True)
            raise typer.Exit(1) from None
