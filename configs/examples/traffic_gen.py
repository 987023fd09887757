"""A TrafficGen driving a SimpleMemory, gem5 style.

    npusim -d m5out configs/examples/traffic_gen.py --pattern random --requests 100000 --window 16

Writes m5out/stats.txt (system.cpu.* are the generator's stats, system.mem.*
the memory's, with per-requestor entries named ::cpu.data)."""

import argparse

import npusim
from npusim.objects import Root, SimpleMemory, SrcClockDomain, System, TrafficGen

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pattern", choices=["linear", "random", "strided"], default="linear")
parser.add_argument("--requests", type=int, default=10000, help="requests to issue")
parser.add_argument("--window", type=int, default=1, help="max_outstanding (1 = blocking)")
parser.add_argument("--block-size", type=int, default=64)
parser.add_argument("--stride", type=int, default=4096, help="for --pattern strided")
parser.add_argument("--read-percent", type=float, default=100)
parser.add_argument("--range", default="0:256MiB", help="address range the generator covers")
parser.add_argument("--latency", default="30ns", help="SimpleMemory latency")
parser.add_argument("--bandwidth", default="12.8GiB/s", help="SimpleMemory bandwidth")
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

start, end = args.range.split(":")
system = System(clk_domain=SrcClockDomain(clock="2GHz"))
system.mem = SimpleMemory(range=args.range, latency=args.latency, bandwidth=args.bandwidth)
system.cpu = TrafficGen(pattern=args.pattern, start_addr=start, end_addr=end, block_size=args.block_size,
                        stride=args.stride if args.pattern == "strided" else 0, read_percent=args.read_percent,
                        num_requests=args.requests, max_outstanding=args.window, seed=args.seed)
system.cpu.port = system.mem.port

root = Root(full_system=False, system=system)
npusim.instantiate()
event = npusim.simulate()
print(f"Exiting @ tick {npusim.curTick()} because {event.getCause()}")
