"""The chair service: one owner of the chair for every client (CLI, web API, MQTT).

``build_service`` wires a driver, a clock, the control loop and storage; ``ChairService`` is the
asyncio interface every client uses; the control loop (``ChairLoop``) runs on its own thread.
docs/SERVICE.md describes who owns what.
"""

from openchair.service.activities import ActivityResult
from openchair.service.answer import Answer
from openchair.service.factory import ServiceOptions, build_service, make_clock, make_driver
from openchair.service.frame import EventInfo, StateFrame
from openchair.service.hub import FrameHub, Subscription
from openchair.service.loop import ChairLoop
from openchair.service.people import MemoryPeople, PeopleDirectory, PersonInfo
from openchair.service.service import ChairService

__all__ = [
    "ActivityResult",
    "Answer",
    "ChairLoop",
    "ChairService",
    "EventInfo",
    "FrameHub",
    "MemoryPeople",
    "PeopleDirectory",
    "PersonInfo",
    "ServiceOptions",
    "StateFrame",
    "Subscription",
    "build_service",
    "make_clock",
    "make_driver",
]
