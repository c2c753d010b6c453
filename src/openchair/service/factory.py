"""Building the chair service: the one place where driver, clock, loop, storage and people
are wired together. ``openchair serve``, ``run``, ``scan`` and ``demo`` all come through here;
the web API and MQTT add themselves to the service it returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from openchair.body.model import BodyParams
from openchair.control.clock import Clock, RealClock, SimulatedClock
from openchair.hardware.contract import ChairDriver
from openchair.hardware.open import DriverSpecError, open_driver
from openchair.programs.loader import ProgramLibrary
from openchair.service.gate import StartGate
from openchair.service.hub import FrameHub
from openchair.service.loop import ChairLoop, OnTick
from openchair.service.people import PeopleDirectory
from openchair.service.records import Recorder
from openchair.service.service import ChairService

DRIVERS = ("twin", "serial:PORT")


class UnknownDriverError(ValueError):
    """A driver name openchair does not have; the message lists the ones it has."""


def make_driver(name: str, body: BodyParams | None = None, seed: int = 0) -> ChairDriver:
    """The chair driver named ``name`` (``twin``, or ``serial:PORT[@BAUD]`` for a control board),
    open; the twin seats ``body`` (default: an average man). A board that cannot be reached is an
    ``UnknownDriverError`` too: both are a wrong ``--driver`` value to the person typing it."""
    from openchair.hardware.serial import LinkError

    try:
        return open_driver(name, body=body, seed=seed)
    except (DriverSpecError, LinkError) as err:
        raise UnknownDriverError(str(err)) from None


def make_clock(speed: float | None) -> Clock:
    """``1.0``: real time (deadlines count); ``None``: simulated, as fast as possible; another
    number: simulated time held to that many times real time."""
    if speed == 1.0:
        return RealClock()
    return SimulatedClock(pace=speed)


@dataclass
class ServiceOptions:
    driver: str = "twin"
    body: BodyParams | None = None
    seed: int = 0
    speed: float | None = 1.0
    db_url: str | None = None
    """Any SQLAlchemy URL; None: SQLite in the data directory (when ``store`` is on)."""
    data_dir: str | None = None
    store: bool = True
    """Keep people, sessions and events (off for benchmarks and some tests)."""
    publish_every: int = 5
    chair_id: str = "local"
    """This chair's id in the store (an operator's database holds many chairs)."""


def build_service(
    options: ServiceOptions,
    *,
    driver: ChairDriver | None = None,
    clock: Clock | None = None,
    recorder: Recorder | None = None,
    people: PeopleDirectory | None = None,
    programs: ProgramLibrary | None = None,
    on_tick: OnTick | None = None,
    gates: list[StartGate] | None = None,
) -> ChairService:
    """A ready, not yet opened, service. Pass ``driver``/``clock`` to inject your own."""
    drv = driver or make_driver(options.driver, options.body, options.seed)
    clk = clock or make_clock(options.speed)
    closers: list[Callable[[], None]] = []
    start_gates: list[StartGate] = list(gates or [])
    if options.store and recorder is None:
        from openchair.store.database import open_store
        from openchair.store.people import StorePeople
        from openchair.store.writer import StoreWriter

        store = open_store(options.db_url, options.data_dir)
        d = drv.description
        store.ensure_chair(options.chair_id, d.model, dataclasses.asdict(d))
        writer = StoreWriter(store, options.chair_id)
        recorder = writer
        people = people or StorePeople(store)
        if gates is None:  # the health check and the diary's red flags (docs/CARE.md)
            from openchair.care.health_gate import HealthGate

            start_gates.append(HealthGate(store))
        closers.append(writer.close)
        closers.append(store.close)
    loop = ChairLoop(
        drv,
        clk,
        FrameHub(),
        recorder=recorder,
        publish_every=options.publish_every,
        hold_time_when_idle=isinstance(clk, SimulatedClock) and clk.pace is None,
        on_tick=on_tick,
    )
    service = ChairService(loop, programs=programs, people=people, gates=start_gates)
    service.closers.extend(closers)
    return service
