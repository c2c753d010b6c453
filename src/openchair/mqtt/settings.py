"""Where the broker is and how to log in: parsed from ``--mqtt URL`` and its options."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_PORT = {"mqtt": 1883, "mqtts": 8883}


class BrokerSettingsError(ValueError):
    """A broker URL or TLS file openchair cannot use; the message says what to give instead."""


@dataclass(frozen=True)
class BrokerSettings:
    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    tls_ca: str | None = None
    """A CA certificate file for a broker with its own CA (implies TLS)."""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
    ) -> BrokerSettings:
        """``mqtt://[user[:password]@]host[:port]`` or ``mqtts://...`` (TLS)."""
        if "://" not in url:
            url = "mqtt://" + url
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORT:
            raise BrokerSettingsError(
                f"broker URL {url!r}: use mqtt://host[:port] or mqtts://host[:port]"
            )
        if not parts.hostname:
            raise BrokerSettingsError(f"broker URL {url!r} has no host")
        try:
            port = parts.port or DEFAULT_PORT[parts.scheme]
        except ValueError:
            raise BrokerSettingsError(f"broker URL {url!r}: the port is not a number") from None
        if tls_ca is not None and not Path(tls_ca).is_file():
            raise BrokerSettingsError(f"TLS CA file {tls_ca!r} does not exist")
        return cls(
            host=parts.hostname,
            port=port,
            username=username if username is not None else _opt(parts.username),
            password=password if password is not None else _opt(parts.password),
            tls=parts.scheme == "mqtts" or tls_ca is not None,
            tls_ca=tls_ca,
        )

    def tls_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.tls_ca)
        return context

    def describe(self) -> str:
        """For logs and the console: never the password."""
        who = f"{self.username}@" if self.username else ""
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{who}{self.host}:{self.port}"


def _opt(value: str | None) -> str | None:
    return unquote(value) if value else None
