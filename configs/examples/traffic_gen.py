"""A TrafficGen driving a SimpleMemory, gem5 style.

    npusim -d m5out configs/examples/traffic_gen.py --pattern random --requests 100000 --window 16

Writes m5out/stats.txt (system.cpu.* are the generator's stats, system.mem.*
the memory's, with per-requestor entries named ::cpu.data)."""

import argparse

import npusim
from npusim.argtypes import whole_number
from npusim.objects import AddrRange, Root, SimpleMemory, SrcClockDomain, System, TrafficGen
from npusim.units import UnitError


def percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage in [0, 100]")
    return value


def address_range(text: str) -> AddrRange:
    """START:END (or a size, from address 0), as SimpleMemory's range reads it."""
    try:
        return AddrRange(text)
    except UnitError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err} (write START:END, e.g. 0:256MiB)") from None


parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pattern", choices=["linear", "random", "strided"], default="linear")
parser.add_argument("--requests", type=whole_number(0), default=10000, help="requests to issue")
parser.add_argument("--window", type=whole_number(1), default=1, help="max_outstanding (1 = blocking)")
parser.add_argument("--block-size", type=whole_number(1), default=64)
parser.add_argument("--stride", type=whole_number(1), default=4096, help="for --pattern strided")
parser.add_argument("--read-percent", type=percent, default=100)
parser.add_argument("--range", type=address_range, default="0:256MiB", help="address range the generator covers")
parser.add_argument("--latency", default="30ns", help="SimpleMemory latency")
parser.add_argument("--bandwidth", default="12.8GiB/s",
                    help="SimpleMemory bandwidth (0 = no limit)")
parser.add_argument("--seed", type=whole_number(0), default=1)
args = parser.parse_args()

system = System(clk_domain=SrcClockDomain(clock="2GHz"))
system.mem = SimpleMemory(range=args.range, latency=args.latency, bandwidth=args.bandwidth)
system.cpu = TrafficGen(pattern=args.pattern, start_addr=args.range.start, end_addr=args.range.end,
                        block_size=args.block_size,
                        stride=args.stride if args.pattern == "strided" else 0, read_percent=args.read_percent,
                        num_requests=args.requests, max_outstanding=args.window, seed=args.seed)
system.cpu.port = system.mem.port

root = Root(full_system=False, system=system)
npusim.instantiate()
event = npusim.simulate()
print(f"Exiting @ tick {npusim.curTick()} because {event.getCause()}")
