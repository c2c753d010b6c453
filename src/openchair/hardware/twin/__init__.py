"""The digital twin: the default driver, a physics model of chairs with people seated in them."""

from openchair.hardware.twin.chair import TwinChair, TwinPhysics, TwinTruth
from openchair.hardware.twin.faults import TwinFault, UnknownFaultError

__all__ = ["TwinChair", "TwinFault", "TwinPhysics", "TwinTruth", "UnknownFaultError"]
