"""What every route needs: the service, the paired devices, the pairing desk, the store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from openchair.programs.loader import ProgramLibrary
from openchair.service.frame import StateFrame
from openchair.service.service import ChairService
from openchair.store.database import Store
from openchair.web.devices import DeviceRegistry
from openchair.web.pairing import PairingDesk


@dataclass
class FrameText:
    """The latest frame as JSON text, encoded once however many sockets send it."""

    seq: int = -1
    chair_time_s: float = -1.0
    text: str = ""

    def of(self, frame: StateFrame) -> str:
        if frame.seq != self.seq or frame.chair_time_s != self.chair_time_s:
            self.text = json.dumps(frame.to_dict(), separators=(",", ":"))
            self.seq, self.chair_time_s = frame.seq, frame.chair_time_s
        return self.text


@dataclass
class WebContext:
    service: ChairService
    store: Store
    devices: DeviceRegistry
    pairing: PairingDesk
    frame_text: FrameText = field(default_factory=FrameText)

    @property
    def library(self) -> ProgramLibrary:
        return self.service.library
