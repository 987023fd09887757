"""Memories: SimpleMemory, the DRAM memory controller (MemCtrl) with its
DRAMInterface and gem5's DRAM presets, and a scripted requestor for tests.

Names, parameters and defaults are gem5's (src/mem/AbstractMemory.py,
SimpleMemory.py, MemCtrl.py, MemInterface.py, DRAMInterface.py)."""

from .base import Self, SimObject
from ..params import Param, VectorParam
from ..ports import RequestPort, ResponsePort


class AbstractMemory(SimObject):
    abstract = True
    range = Param.AddrRange("0:128MiB", "Address range of this memory")


class SimpleMemory(AbstractMemory):
    """Fixed latency, bandwidth-limited memory holding real data."""

    type = "SimpleMemory"
    port = ResponsePort("This port sends responses and receives requests")
    latency = Param.Latency("30ns", "Request to response latency")
    latency_var = Param.Latency("0ns", "Request to response latency variance (uniform, added)")
    # The memory is busy size/bandwidth per request and refuses others meanwhile.
    bandwidth = Param.MemoryBandwidth("12.8GiB/s", "Combined read and write bandwidth")


class ScriptedRequestor(SimObject):
    """Test driver: issues the listed requests (at most max_outstanding at a
    time) and records issue/response ticks and the first word of read data.
    Writes carry byte(a) = (a * 131 + 7) & 0xff for each byte address a."""

    type = "ScriptedRequestor"
    port = RequestPort("Port to the memory system")
    cmds = VectorParam.Int([1], "gem5 MemCmd number of each request (1 ReadReq, 4 WriteReq, 7 WritebackDirty, ...)")
    addrs = VectorParam.Addr([0], "Address of each request")
    sizes = VectorParam.Unsigned([64], "Size of each request in bytes (or one size for all)")
    ticks = VectorParam.Tick([], "Earliest issue tick of each request (empty: as soon as possible)")
    max_outstanding = Param.Unsigned(1, "Requests in flight at most")
    record = Param.Bool(True, "Record per-request ticks and data as stats (off for long streams)")

    READ = 1
    WRITE = 4

    @staticmethod
    def pattern(addr: int, size: int) -> bytes:
        """The bytes a ScriptedRequestor writes at [addr, addr + size)."""
        return bytes(((a * 131 + 7) & 0xFF) for a in range(addr, addr + size))


# --------------------------------------------------------------------------
# DRAM: MemCtrl + DRAMInterface (gem5's MemCtrl.py, MemInterface.py,
# DRAMInterface.py). Presets are subclasses that only change defaults.


ADDR_MAPS = ("RoRaBaChCo", "RoRaBaCoCh", "RoCoRaBaCh")
PAGE_POLICIES = ("open", "open_adaptive", "close", "close_adaptive")


class MemInterface(AbstractMemory):
    abstract = True
    # Controller buffer depths, in bursts of this interface.
    write_buffer_size = Param.Unsigned(64, "Number of write queue entries")
    read_buffer_size = Param.Unsigned(32, "Number of read queue entries")
    addr_mapping = Param.Enum(ADDR_MAPS, "RoRaBaCoCh", "Address mapping policy (MSB to LSB)")
    device_size = Param.MemorySize("Size of memory device")
    device_bus_width = Param.Unsigned("data bus width in bits for each memory device/chip")
    burst_length = Param.Unsigned("Burst lenght (BL) in beats")
    device_rowbuffer_size = Param.MemorySize("Page (row buffer) size per device/chip")
    devices_per_rank = Param.Unsigned("Number of devices/chips per rank")
    ranks_per_channel = Param.Unsigned("Number of ranks per channel")
    banks_per_rank = Param.Unsigned("Number of banks per rank")
    tCK = Param.Latency("Clock period")
    tBURST = Param.Latency("Burst duration (typically burst length / 2 cycles)")
    tWTR = Param.Latency("Write to read, same rank switching time")
    tRTW = Param.Latency("Read to write, same rank switching time")
    tCS = Param.Latency("Rank to rank switching time")


class DRAMInterface(MemInterface):
    """DRAM timing (ranks, banks, rows, bank groups) and refresh (tREFI/tRFC),
    and each rank's energy as gem5 reports it from DRAMPower (the IDD
    currents and VDD voltages; all 0 gives 0 pJ). Power-down states are not
    modelled."""

    type = "DRAMInterface"
    page_policy = Param.Enum(PAGE_POLICIES, "open_adaptive", "Page management policy")
    max_accesses_per_row = Param.Unsigned(16, "Max accesses per row before closing")
    bank_groups_per_rank = Param.Unsigned(0, "Number of bank groups per rank")
    enable_dram_powerdown = Param.Bool(False, "Enable powerdown states (not modelled: True is refused)")
    dll = Param.Bool(True, "DRAM has DLL or not (power-down exit energy only; ignored)")
    tRCD = Param.Latency("RAS to Read CAS delay")
    tRCD_WR = Param.Latency(Self.tRCD, "RAS to Write CAS delay")
    tCL = Param.Latency("Read CAS latency")
    tCWL = Param.Latency(Self.tCL, "Write CAS latency")
    tRP = Param.Latency("Row precharge time")
    tRAS = Param.Latency("ACT to PRE delay")
    tWR = Param.Latency("Write recovery time")
    tRTP = Param.Latency("Read to precharge")
    tBURST_MAX = Param.Latency(Self.tBURST, "Column access delay")
    tBURST_MIN = Param.Latency(Self.tBURST, "Minimim delay between bursts")
    tCCD_L = Param.Latency("0ns", "Same bank group CAS to CAS delay")
    tCCD_L_WR = Param.Latency(Self.tCCD_L, "Same bank group Write to Write delay")
    tRFC = Param.Latency("Refresh cycle time")
    tREFI = Param.Latency("Refresh command interval")
    tWTR_L = Param.Latency(Self.tWTR, "Write to read, same rank switching time, same bank group")
    tPPD = Param.Latency("0ns", "PRE to PRE delay")
    tAAD = Param.Latency(Self.tCK, "Maximum delay between two-cycle ACT commands")
    two_cycle_activate = Param.Bool(False, "Two cycles required to send activate")
    tRRD = Param.Latency("ACT to ACT delay")
    tRRD_L = Param.Latency("0ns", "Same bank group ACT to ACT delay")
    tXAW = Param.Latency("X activation window")
    activation_limit = Param.Unsigned("Max number of activates in window")
    tXP = Param.Latency("0ns", "Power-up Delay (not modelled)")
    tXS = Param.Latency("0ns", "Self-refresh exit latency (not modelled)")
    beats_per_clock = Param.Unsigned(2, "Data beats per clock")
    data_clock_sync = Param.Bool(False, "Synchronization commands required")

    # Currents and voltages for the energy model (DRAMPower's): VDD and,
    # for parts with a second supply, VDD2. The power-down and self-refresh
    # currents are gem5's parameters too, unused without power-down states.
    IDD0 = Param.Current("0mA", "Active precharge current")
    IDD02 = Param.Current("0mA", "Active precharge current VDD2")
    IDD2P0 = Param.Current("0mA", "Precharge Powerdown slow (unused: no power-down)")
    IDD2P02 = Param.Current("0mA", "Precharge Powerdown slow VDD2 (unused: no power-down)")
    IDD2P1 = Param.Current("0mA", "Precharge Powerdown fast (unused: no power-down)")
    IDD2P12 = Param.Current("0mA", "Precharge Powerdown fast VDD2 (unused: no power-down)")
    IDD2N = Param.Current("0mA", "Precharge Standby current")
    IDD2N2 = Param.Current("0mA", "Precharge Standby current VDD2")
    IDD3P0 = Param.Current("0mA", "Active Powerdown slow (unused: no power-down)")
    IDD3P02 = Param.Current("0mA", "Active Powerdown slow VDD2 (unused: no power-down)")
    IDD3P1 = Param.Current("0mA", "Active Powerdown fast (unused: no power-down)")
    IDD3P12 = Param.Current("0mA", "Active Powerdown fast VDD2 (unused: no power-down)")
    IDD3N = Param.Current("0mA", "Active Standby current")
    IDD3N2 = Param.Current("0mA", "Active Standby current VDD2")
    IDD4R = Param.Current("0mA", "READ current")
    IDD4R2 = Param.Current("0mA", "READ current VDD2")
    IDD4W = Param.Current("0mA", "WRITE current")
    IDD4W2 = Param.Current("0mA", "WRITE current VDD2")
    IDD5 = Param.Current("0mA", "Refresh current")
    IDD52 = Param.Current("0mA", "Refresh current VDD2")
    IDD6 = Param.Current("0mA", "Self-refresh Current (unused: no self-refresh)")
    IDD62 = Param.Current("0mA", "Self-refresh Current VDD2 (unused: no self-refresh)")
    VDD = Param.Voltage("0V", "Main Voltage Range")
    VDD2 = Param.Voltage("0V", "2nd Voltage Range")

    def controller(self):
        """A MemCtrl bound to this interface (gem5's helper)."""
        ctrl = MemCtrl()
        ctrl.dram = self
        return ctrl


class MemCtrl(SimObject):
    """Single-channel memory controller (FR-FCFS or FCFS, read/write queues
    with gem5's write-drain thresholds) in front of a DRAMInterface."""

    type = "MemCtrl"
    port = ResponsePort("This port responds to memory requests")
    dram = Param.DRAMInterface("DRAM interface")
    write_high_thresh_perc = Param.Percent(85, "Threshold to force writes")
    write_low_thresh_perc = Param.Percent(50, "Threshold to start writes")
    min_writes_per_switch = Param.Unsigned(16, "Minimum write bursts before switching to reads")
    min_reads_per_switch = Param.Unsigned(16, "Minimum read bursts before switching to writes")
    mem_sched_policy = Param.Enum(("fcfs", "frfcfs"), "frfcfs", "Memory scheduling policy")
    static_frontend_latency = Param.Latency("10ns", "Static frontend latency")
    static_backend_latency = Param.Latency("10ns", "Static backend latency")
    command_window = Param.Latency("10ns", "Static backend latency")


# --- presets: gem5's values, from src/mem/DRAMInterface.py (classes of the
# same names): timing, geometry and the datasheet currents (gem5 gives none
# for its LPDDR5 and HBM2 presets, whose energy is therefore 0 there too).

class DDR3_1600_8x8(DRAMInterface):
    device_size = "512MiB"
    device_bus_width = 8
    burst_length = 8
    device_rowbuffer_size = "1KiB"
    devices_per_rank = 8
    ranks_per_channel = 2
    banks_per_rank = 8
    tCK = "1.25ns"
    tBURST = "5ns"
    tRCD = "13.75ns"
    tCL = "13.75ns"
    tRP = "13.75ns"
    tRAS = "35ns"
    tRRD = "6ns"
    tXAW = "30ns"
    activation_limit = 4
    tRFC = "260ns"
    tWR = "15ns"
    tWTR = "7.5ns"
    tRTP = "7.5ns"
    tRTW = "2.5ns"
    tCS = "2.5ns"
    tREFI = "7.8us"
    tXP = "6ns"
    tXS = "270ns"
    IDD0 = "55mA"
    IDD2N = "32mA"
    IDD3N = "38mA"
    IDD4W = "125mA"
    IDD4R = "157mA"
    IDD5 = "235mA"
    IDD3P1 = "38mA"
    IDD2P1 = "32mA"
    IDD6 = "20mA"
    VDD = "1.5V"


class DDR4_2400_16x4(DRAMInterface):
    device_size = "1GiB"
    device_bus_width = 4
    burst_length = 8
    device_rowbuffer_size = "512B"
    devices_per_rank = 16
    ranks_per_channel = 2
    bank_groups_per_rank = 4
    banks_per_rank = 16
    write_buffer_size = 128
    read_buffer_size = 64
    tCK = "0.833ns"
    tBURST = "3.332ns"
    tCCD_L = "5ns"
    tRCD = "14.16ns"
    tCL = "14.16ns"
    tRP = "14.16ns"
    tRAS = "32ns"
    tRRD = "3.332ns"
    tRRD_L = "4.9ns"
    tXAW = "13.328ns"
    activation_limit = 4
    tRFC = "350ns"
    tWR = "15ns"
    tWTR = "5ns"
    tRTP = "7.5ns"
    tRTW = "1.666ns"
    tCS = "1.666ns"
    tREFI = "7.8us"
    tXP = "6ns"
    tXS = "340ns"
    IDD0 = "43mA"
    IDD02 = "3mA"
    IDD2N = "34mA"
    IDD3N = "38mA"
    IDD3N2 = "3mA"
    IDD4W = "103mA"
    IDD4R = "110mA"
    IDD5 = "250mA"
    IDD3P1 = "32mA"
    IDD2P1 = "25mA"
    IDD6 = "30mA"
    VDD = "1.2V"
    VDD2 = "2.5V"


class DDR4_2400_8x8(DDR4_2400_16x4):
    """x64 channel of 8 x8 devices, 2 ranks: 64 B bursts, 19.2 GB/s peak."""
    device_bus_width = 8
    device_rowbuffer_size = "1KiB"
    devices_per_rank = 8
    tRRD_L = "4.9ns"
    tXAW = "21ns"
    IDD0 = "48mA"
    IDD3N = "43mA"
    IDD4W = "123mA"
    IDD4R = "135mA"
    IDD3P1 = "37mA"


class DDR4_2400_4x16(DDR4_2400_16x4):
    device_bus_width = 16
    device_rowbuffer_size = "2KiB"
    devices_per_rank = 4
    ranks_per_channel = 1
    bank_groups_per_rank = 2
    banks_per_rank = 8
    tRRD = "5.3ns"
    tRRD_L = "6.4ns"
    tXAW = "30ns"
    IDD0 = "80mA"
    IDD02 = "4mA"
    IDD2N = "34mA"
    IDD3N = "47mA"
    IDD4W = "228mA"
    IDD4R = "243mA"
    IDD5 = "280mA"
    IDD3P1 = "41mA"


class LPDDR5_5500_1x16_BG_BL32(DRAMInterface):
    read_buffer_size = 64
    page_policy = "close_adaptive"
    device_bus_width = 16
    burst_length = 32
    device_size = "1GiB"
    device_rowbuffer_size = "2KiB"
    devices_per_rank = 1
    ranks_per_channel = 1
    banks_per_rank = 16
    bank_groups_per_rank = 4
    tCK = "1.455ns"
    tRCD = "18ns"
    tCL = "23.280ns"
    tRP = "18ns"
    tRAS = "42ns"
    tWR = "34ns"
    tXP = "7ns"
    tXS = "217.5ns"
    tRTP = "4.59ns"
    tBURST = "8.73ns"
    tBURST_MIN = "2.91ns"
    tBURST_MAX = "11.64ns"
    tCCD_L = "11.64ns"
    tRFC = "210ns"
    tREFI = "3.9us"
    tWTR = "6.25ns"
    tWTR_L = "12ns"
    tRTW = "1.455ns"
    tCS = "2.91ns"
    tPPD = "2.91ns"
    tRRD = "5ns"
    tRRD_L = "5ns"
    tXAW = "20ns"
    activation_limit = 4
    beats_per_clock = 8
    two_cycle_activate = True
    tAAD = "11.640ns"
    data_clock_sync = True


class LPDDR5_6400_1x16_BG_BL32(LPDDR5_5500_1x16_BG_BL32):
    """One x16 LPDDR5-6400 channel, BL32 with bank groups: 64 B bursts, 12.8 GB/s peak."""
    tCK = "1.25ns"
    tCL = "21.25ns"
    tBURST = "7.5ns"
    tBURST_MIN = "2.5ns"
    tBURST_MAX = "10ns"
    tCCD_L = "10ns"
    tRTW = "1.25ns"
    tCS = "2.5ns"
    tPPD = "2.5ns"
    tAAD = "10ns"


class HBM_2000_4H_1x64(DRAMInterface):
    """One HBM2 pseudo channel (x64, BL4): 32 B bursts, 16 GB/s peak."""
    device_bus_width = 64
    burst_length = 4
    device_size = "256MiB"
    device_rowbuffer_size = "1KiB"
    devices_per_rank = 1
    ranks_per_channel = 1
    banks_per_rank = 16
    bank_groups_per_rank = 4
    tCK = "1ns"
    tRP = "14ns"
    tCCD_L = "3ns"
    tRCD = "12ns"
    tRCD_WR = "6ns"
    tCL = "18ns"
    tCWL = "7ns"
    tRAS = "28ns"
    tBURST = "2ns"
    tRFC = "220ns"
    tREFI = "3.9us"
    tWR = "14ns"
    tRTP = "5ns"
    tWTR = "4ns"
    tWTR_L = "9ns"
    tRTW = "18ns"
    tAAD = "1ns"
    tCS = "0ns"
    tRRD = "4ns"
    tRRD_L = "6ns"
    tXAW = "16ns"
    activation_limit = 4
    tXP = "8ns"
    tXS = "216ns"
    page_policy = "close_adaptive"
    read_buffer_size = 64
    write_buffer_size = 64
    two_cycle_activate = True
