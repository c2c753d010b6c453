"""``openchair devices list|revoke``: the devices paired with the web remote and the API."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from openchair.store.database import open_store
from openchair.store.devices import list_devices, revoke_device
from openchair.store.errors import StoreError

devices_app = typer.Typer(
    help="Devices paired with the web remote and the API.", no_args_is_help=True
)

DbOpt = Annotated[str | None, typer.Option("--db", help="SQLAlchemy database URL.")]
DirOpt = Annotated[str | None, typer.Option("--data-dir", help="Where the default database lives.")]


@devices_app.command("list")
def list_command(
    db: DbOpt = None,
    data_dir: DirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The paired devices (their tokens are never shown: only their hashes are kept)."""
    try:
        store = open_store(db, data_dir)
    except StoreError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    try:
        found = list_devices(store)
    finally:
        store.close()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": d.id,
                        "name": d.name,
                        "paired_at": d.created_at.isoformat(timespec="seconds"),
                        "last_seen_at": d.last_seen_at.isoformat(timespec="seconds")
                        if d.last_seen_at
                        else None,
                    }
                    for d in found
                ],
                indent=2,
            )
        )
        return
    if not found:
        typer.echo("no paired devices")
        return
    table = Table("id", "name", "paired", "last seen")
    for d in found:
        table.add_row(
            str(d.id),
            escape(d.name),
            d.created_at.strftime("%Y-%m-%d %H:%M"),
            d.last_seen_at.strftime("%Y-%m-%d %H:%M") if d.last_seen_at else "-",
        )
    Console(width=80).print(table)


@devices_app.command("revoke")
def revoke_command(
    device_id: Annotated[int, typer.Argument(help="The device's id (devices list).")],
    db: DbOpt = None,
    data_dir: DirOpt = None,
) -> None:
    """Revoke a device: its token stops working at once (a running serve notices within 1 s
    on open connections)."""
    try:
        store = open_store(db, data_dir)
    except StoreError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    try:
        d = revoke_device(store, device_id)
    finally:
        store.close()
    if d is None:
        typer.echo(f"no paired device with id {device_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked device {d.id} ({d.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(devices_app, name="devices")
