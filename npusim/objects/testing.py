"""Objects that exist to test the kernel."""

from .base import ClockedObject
from ..params import Param, VectorParam


class KernelProbe(ClockedObject):
    """Schedules events at given ticks/priorities and records the order they ran in."""

    type = "KernelProbe"
    event_ticks = VectorParam.Tick([], "Ticks at which to schedule one event each")
    event_priorities = VectorParam.Int([], "Priority of each event (lower runs first); empty = default")
    exit_tick = Param.Tick(0, "Request an exit at this tick (0 = never)")
    exit_cause = Param.String("probe exit", "Cause string of the requested exit")
    samples = VectorParam.Float([], "Values fed to the probe's distribution at startup")
