"""The service self-test: what a technician runs first, on the twin or on a real chair."""

from openchair.selftest.exercise import RealTicker, SimulatedTicker, Ticker
from openchair.selftest.runner import PartResult, SelfTestReport, Verdict, run_selftest

__all__ = [
    "PartResult",
    "RealTicker",
    "SelfTestReport",
    "SimulatedTicker",
    "Ticker",
    "Verdict",
    "run_selftest",
]
