"""Hardware prefetchers (gem5's src/mem/cache/prefetch/Prefetcher.py).

BasePrefetcher and QueuedPrefetcher carry gem5's common parameters; a
concrete prefetcher is one C++ file (a QueuedPrefetcher subclass with
calculatePrefetch(), registered with NPUSIM_REGISTER_SIMOBJECT) and one
declaration here or in its own module, like NextLinePrefetcher below.
Attach one to a cache with ``system.l2.prefetcher = NextLinePrefetcher()``.
"""

from .base import ClockedObject, Parent
from ..params import Param


class BasePrefetcher(ClockedObject):
    abstract = True

    block_size = Param.Int(Parent.cache_line_size, "Block size in bytes")
    on_miss = Param.Bool(False, "Only notify prefetcher on misses")
    on_read = Param.Bool(True, "Notify prefetcher on reads")
    on_write = Param.Bool(True, "Notify prefetcher on writes")
    on_data = Param.Bool(True, "Notify prefetcher on data accesses")
    on_inst = Param.Bool(True, "Notify prefetcher on instruction accesses")
    prefetch_on_access = Param.Bool(
        False, "Notify the hardware prefetcher on every access (not just misses)")
    prefetch_on_pf_hit = Param.Bool(True, "Notify the hardware prefetcher on hit on prefetched lines")
    use_virtual_addresses = Param.Bool(
        False, "Use virtual addresses for prefetching (npusim has no MMU: addresses are physical either way)")
    page_bytes = Param.MemorySize("4KiB", "Size of pages for virtual addresses")


class QueuedPrefetcher(BasePrefetcher):
    abstract = True

    latency = Param.Int(1, "Latency for generated prefetches")
    queue_size = Param.Int(32, "Maximum number of queued prefetches")
    max_prefetch_requests_with_pending_translation = Param.Int(
        32, "Maximum number of queued prefetches that have a missing translation (unused: no translation)")
    queue_squash = Param.Bool(True, "Squash queued prefetch on demand access")
    queue_filter = Param.Bool(True, "Don't queue redundant prefetches")
    cache_snoop = Param.Bool(False, "Snoop cache to eliminate redundant request")
    tag_prefetch = Param.Bool(True, "Tag prefetch with PC of generating access")
    prefetch_across_pages = Param.Bool(
        False, "npusim: keep candidates outside the trigger's page. gem5 keeps them only when an MMU is "
               "registered (registerMMU); npusim addresses are physical, so crossing needs no translation")
    throttle_control_percentage = Param.Percent(
        0, "Percentage of requests that can be throttled depending on the accuracy of the prefetcher.")


class NextLinePrefetcher(QueuedPrefetcher):
    """Prefetches the `degree` lines after each observed access
    (src/mem/cache/prefetch/next_line.cc)."""

    type = "NextLinePrefetcher"
    degree = Param.Unsigned(1, "Lines fetched after each trigger")

