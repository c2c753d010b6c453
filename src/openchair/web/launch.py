"""Starting the web remote from ``openchair serve``: the address, the pairing line, the codes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape

from openchair.service.service import ChairService
from openchair.web.pairing import CODE_LIFETIME_S
from openchair.web.server import WebServer


@dataclass(frozen=True)
class WebOptions:
    host: str = "127.0.0.1"
    port: int = 8580
    db_url: str | None = None
    data_dir: str | None = None


async def start_web(
    service: ChairService, options: WebOptions, console: Console | None
) -> WebServer | None:
    """Serve the remote; pairing codes are shown on ``console`` (the chair's own screen)."""
    out = console or Console(stderr=True)

    def show_code(device: str, code: str) -> None:
        out.print(
            f"[bold]pairing:[/] {escape(device)} asks to pair; code [bold]{code}[/] "
            f"(valid {CODE_LIFETIME_S / 60:.0f} min)",
            highlight=False,
        )

    server = WebServer(
        service,
        host=options.host,
        port=options.port,
        show_code=show_code,
        db_url=options.db_url,
        data_dir=options.data_dir,
    )
    try:
        await server.start()
    except OSError as err:
        server.store.close()
        out.print(f"web remote not started: {escape(str(err))}", highlight=False)
        return None
    where = f"http://{options.host}:{server.port}/"
    out.print(f"web remote and API: {where} (OpenAPI at {where}docs)", highlight=False)
    if options.host not in ("127.0.0.1", "localhost", "::1"):
        out.print(
            "open this chair's address on port "
            f"{server.port} from a phone on the home network and choose 'Pair': the code "
            "to type appears here",
            highlight=False,
        )
    return server


def web_companion(
    options: WebOptions, console: Console | None
) -> Callable[[ChairService], Coroutine[Any, Any, None]]:
    """The web server as a task beside the service (``serve_until_signal``'s companions): it
    serves until cancelled, then closes its connections and its store."""

    async def run(service: ChairService) -> None:
        server = await start_web(service, options, console)
        if server is None:
            return
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    return run
