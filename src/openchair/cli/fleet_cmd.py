"""``openchair fleet``: every chair on a broker, on one screen (a local web page) or as JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from openchair.mqtt.fleet import STALE_AFTER_S, FleetView
from openchair.mqtt.fleet_watch import FleetWatcher
from openchair.mqtt.fleet_web import serve_dashboard
from openchair.mqtt.settings import BrokerSettings, BrokerSettingsError


def _now() -> datetime:
    return datetime.now(UTC)


async def _collect(watcher: FleetWatcher, seconds: float) -> dict[str, object]:
    task = asyncio.create_task(watcher.run())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watcher.connected.wait(), min(seconds, 5.0))
        await asyncio.sleep(seconds)
        return watcher.refresh()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _dashboard(watcher: FleetWatcher, host: str, port: int, console: Console) -> None:
    server = serve_dashboard(lambda: watcher.snapshot, host, port)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    task = asyncio.create_task(watcher.run())
    console.print(
        f"openchair fleet: http://{host}:{port}/ (JSON at /api/fleet), "
        f"broker {watcher.settings.describe()}; Ctrl-C stops"
    )
    try:
        await done.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        server.shutdown()


def register(app: typer.Typer) -> None:
    @app.command("fleet")
    def fleet_command(
        mqtt: Annotated[
            str, typer.Option(help="Broker URL: mqtt://host[:port] or mqtts://host[:port].")
        ] = "mqtt://127.0.0.1:1883",
        mqtt_user: Annotated[str | None, typer.Option(help="Broker user name.")] = None,
        mqtt_password: Annotated[
            str | None,
            typer.Option(help="Broker password.", envvar="OPENCHAIR_MQTT_PASSWORD"),
        ] = None,
        mqtt_tls_ca: Annotated[
            str | None, typer.Option(help="CA certificate file for the broker's TLS.")
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Listen a few seconds, print the summary, exit.")
        ] = False,
        seconds: Annotated[
            float, typer.Option(help="With --json: how long to listen first.", min=0.5)
        ] = 3.0,
        host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option(help="The dashboard's port.")] = 8765,
        stale_after: Annotated[
            float, typer.Option(help="Seconds of silence after which a chair is offline.")
        ] = STALE_AFTER_S,
    ) -> None:
        """Every chair seen on the broker: state, seated yes/no, program, faults, sessions
        today, last seen. A chair that goes silent shows offline within seconds."""
        try:
            settings = BrokerSettings.from_url(
                mqtt, username=mqtt_user, password=mqtt_password, tls_ca=mqtt_tls_ca
            )
        except BrokerSettingsError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        watcher = FleetWatcher(FleetView(stale_after_s=stale_after), settings, _now)
        if as_json:
            summary = asyncio.run(_collect(watcher, seconds))
            typer.echo(json.dumps(summary, indent=2))
            broker = summary.get("broker")
            if isinstance(broker, dict) and not broker.get("connected"):
                typer.echo(f"could not reach the broker {settings.describe()}", err=True)
                raise typer.Exit(1)
            return
        try:
            asyncio.run(_dashboard(watcher, host, port, Console(stderr=True)))
        except OSError as err:
            typer.echo(f"cannot serve the dashboard on {host}:{port}: {err}", err=True)
            raise typer.Exit(2) from None
