"""``openchair serve``: the chair service, running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
from rich.console import Console

from openchair.cli.body_spec import parse_body
from openchair.cli.run_cmd import parse_speed
from openchair.mqtt.link import MqttLink, MqttLinkError, mqtt_stop
from openchair.service.factory import DRIVERS, ServiceOptions, UnknownDriverError, build_service
from openchair.service.service import ChairService
from openchair.store.errors import StoreError


async def serve_until_signal(
    service: ChairService, console: Console | None, mqtt: MqttLink | None = None
) -> None:
    """Open the service, wait for SIGINT or SIGTERM, close it (the chair ends safe)."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    async with service:
        if console is not None:
            console.print(
                f"openchair service: {service.loop.description.model}; "
                "Ctrl-C or SIGTERM stops it and leaves the chair safe"
            )
        bridge = mqtt.start(service, console) if mqtt is not None else None
        await done.wait()
        if bridge is not None:
            await mqtt_stop(bridge)
    if console is not None:
        console.print("chair service stopped; the chair is in its safe state")


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
            store=False,
            chair_id=chair_id,
        )
        try:
            service = build_service(options)
        except (UnknownDriverError, StoreError) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        asyncio.run(serve_until_signal(service, Console(stderr=True), link))
