"""The NPU plugin: functional results against the golden interpreter and
numpy, program checking (Python validation and the C++ decoder), run-time
faults, the listener interface, statistics and parameters."""

import os
import subprocess
import sys

import numpy as np
import pytest

import npusim
from npusim import _core
from npusim.isa import NPUConfig, Program, ProgramError, f32_bits, run as golden_run
from npusim.isa.memory import PagedMemory
from npusim.objects import NPU, NPUProbe, Root, Scratchpad, SimpleMemory, SrcClockDomain, System
from npusim.testing import stats_dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
D = 16
RB = 64
BASE = 0x100000
OUT = 0x200000
OUT_BYTES = 0x4000


def build(program, probe=False, latency="20ns", **npu_kw):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(**npu_kw)
    system.npu.program = program
    system.mem = SimpleMemory(range="0:64MiB", latency=latency, bandwidth="0GiB/s")
    system.npu.dma_port = system.mem.port
    if probe:
        system.probe = NPUProbe(npu=system.npu, record=256)
    Root(full_system=False, system=system)
    npusim.instantiate()
    return system


def simulate(system, regions):
    for addr, data in regions:
        npusim.functional_write(system.npu, "dma_port", addr, data)
    ev = npusim.simulate()
    assert ev.getCause() == "system.npu finished", ev.getCause()
    return stats_dict(system.npu)


# ---------------------------------------------------------------------------
# the generated decoder table
# ---------------------------------------------------------------------------

def test_generated_isa_header_is_up_to_date():
    sys.path.insert(0, os.path.join(ROOT, "src_ext", "npu"))
    try:
        import gen_isa
    finally:
        sys.path.pop(0)
    with open(os.path.join(ROOT, "src_ext", "npu", "isa_gen.hh")) as f:
        assert f.read() == gen_isa.generate(), "run: .venv/bin/python src_ext/npu/gen_isa.py"


# ---------------------------------------------------------------------------
# functional results
# ---------------------------------------------------------------------------

def ints(shape, seed, lo=-4, hi=5):
    """Small integers as float32: every sum and product below is exact."""
    return np.random.default_rng(seed).integers(lo, hi, shape).astype(np.float32)


def everything_program():
    """One program that uses every instruction kind (and loops, calls,
    register-count DMA, overlapping vector operands, scatter with duplicate
    indices, and ld after scatter through memory)."""
    X, TBL, IDX, W = BASE, BASE + 0x4000, BASE + 0x8000, BASE + 0x9000
    p = Program()
    p.li(1, X)
    p.li(2, OUT)
    p.li(3, TBL)
    p.li(4, IDX)
    p.li(5, 8)
    p.mvin(1, 0, 0, 16, RB, RB)                          # spad rows 0..15 <- X[0:16]
    p.mvin_acc(1, 16 * RB, 0, 4, RB, RB)                 # acc rows 0..3  <- X[16:20]
    p.mvin(4, 0, 0x10000, 1, 32, 32)                     # 8 int32 indices -> bank 1
    p.gather(3, 0x2000, 0x10000, 4, 5, RB, RB)           # 8 table rows
    p.li(6, 3)
    p.gather_r(3, 6, 0x2400, RB, RB)                     # table row 3
    p.matmul(0, 0x2000, 0x400, 16, 8, 16, 0)             # acc[16..31] = X[0:16, :8] . G[0:8]
    p.matmul(0, 0, 0x400, 16, 16, 16, 3)                 # += X . X^T
    p.vzero(1, 0, 0x800, 32)
    p.vrelu(0, 0, 0x2000, 64)                            # relu of 4 gathered rows
    p.vscale(1, 0, 0x400, 64, 0, 0.5)
    p.li(7, f32_bits(2.0))
    p.vscale(1, 0, 0x440, 16, 7)                         # scale by a register
    p.vadd(0, 0x100, 0, 0x120, 24)                       # overlapping, dst before src
    p.vmul(0, 0x300, 0, 0x2400, 16)
    p.vmax(0, 0x40, 0, 0x2040, 32, 0)
    p.vmov(0, 0x208, 0, 0x200, 20)                       # overlapping, dst after src
    p.vadd(0, 0x80, 0, 0x0, 16, 2)                       # src in the accumulator
    # a loop of vmacc with register addressing: acc[0x800 + 64 i] += 0.25 * spad[0x2000 + 64 i]
    p.li(8, 0)
    p.li(9, 4)
    p.li(10, 0)
    p.label("loop")
    p.vmacc(10, 0x800, 10, 0x2000, 16, 0, 0.25)
    p.addi(10, 10, RB)
    p.addi(8, 8, 1)
    p.blt(8, 9, "loop")
    # a call
    p.jal(31, "sub")
    # scatter with a duplicate index (in order: the later row wins)
    p.li(11, W)
    p.mvin(11, 0, 0x10040, 1, 24, 24)                    # 6 int32 indices -> bank 1
    p.li(12, 6)
    p.scatter(2, 0x2000, 0x10040, 4, 12, RB, RB)
    p.li(13, 20)
    p.scatter_r(2, 13, 0x2400, RB, RB)
    # ld after scatter, through memory: read back a scattered word and use it
    p.ld(14, 2, 5 * RB, 4)                               # a float's bits, sign-extended
    p.andi(14, 14, 7)
    p.gather_r(3, 14, 0x2800, RB, RB)
    p.mvout(2, 0x1000, 0, 48, RB, RB)                    # spad rows 0..47
    p.mvout_acc(2, 0x2000, 0, 48, RB, RB)                # acc rows 0..47
    # register-count DMA
    p.li(15, 3)
    p.mvout(2, 0x3000, 0x2800, 8, RB, RB, 15)
    p.j("end")
    p.label("sub")
    p.vadd(0, 0x500, 0, 0x2000, 16)
    p.jalr(0, 31, 0)
    p.label("end")
    p.halt()
    rng = np.random.default_rng(3)
    idx = np.array([5, 0, 9, 3, 5, 12, 1, 7], np.int32)
    widx = np.array([2, 7, 2, 30, 11, 4], np.int32)
    regions = [(X, ints((32, D), 1).tobytes()), (TBL, ints((64, D), 2).tobytes()),
               (IDX, idx.tobytes()), (W, widx.tobytes()), (OUT, ints((OUT_BYTES // 4,), 4).tobytes())]
    del rng
    return p, regions


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
@pytest.mark.parametrize("inflight", [1, 16])
def test_every_instruction_matches_golden_interpreter(dataflow, inflight):
    p, regions = everything_program()
    ref = golden_run(p, PagedMemory(regions))
    system = build(p, dataflow=dataflow, dma_max_inflight=inflight)
    s = simulate(system, regions)
    got = npusim.functional_read(system.npu, "dma_port", OUT, OUT_BYTES)
    assert got == ref.read(OUT, OUT_BYTES)
    assert s["instructions::total"] == ref.instructions
    for op, count in ref.counts.items():
        assert s[f"instructionsByOp::{op}"] == count, op
    for group, count in ref.counts_by_group.items():
        assert s[f"instructions::{group}"] == count, group


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
@pytest.mark.parametrize("flags", [0, 1, 2, 3])
def test_matmul_float_results_match_numpy(dataflow, flags):
    rng = np.random.default_rng(flags)
    a = rng.standard_normal((D, D)).astype(np.float32)
    b = rng.standard_normal((D, D)).astype(np.float32)
    c0 = rng.standard_normal((D, D)).astype(np.float32)
    m, k, n = 13, 11, 9
    p = Program()
    p.li(1, BASE)
    p.mvin(1, 0, 0, D, RB, RB)
    p.mvin(1, D * RB, 0x10000, D, RB, RB)
    p.mvin_acc(1, 2 * D * RB, 0, D, RB, RB)
    p.matmul(0, 0x10000, 0, m, k, n, flags)
    p.li(2, OUT)
    p.mvout_acc(2, 0, 0, D, RB, RB)
    p.halt()
    system = build(p, dataflow=dataflow)
    simulate(system, [(BASE, a.tobytes() + b.tobytes() + c0.tobytes())])
    got = np.frombuffer(npusim.functional_read(system.npu, "dma_port", OUT, D * RB), np.float32).reshape(D, D)
    bb = b[:n, :k].T if flags & 2 else b[:k, :n]
    want = c0.copy()
    prod = a[:m, :k].astype(np.float64) @ bb.astype(np.float64)
    want[:m, :n] = (prod + (c0[:m, :n] if flags & 1 else 0)).astype(np.float32)
    assert np.array_equal(got, want)


def test_scalar_ld_waits_for_older_store_to_same_bytes():
    """ld right behind a scatter_r to the same word reads the new value: the
    scoreboard orders the front end's reads after older stores to the same
    DRAM bytes. The loaded value is then a DMA row count, so a stale read
    (0) would fault and a wrong one would move the wrong number of rows."""
    p = Program()
    p.li(1, BASE)
    p.mvin(1, 0, 0, 1, RB, RB)           # spad row 0 <- 16 words; word 2 is 3
    p.li(2, OUT)
    p.li(3, 0)
    p.scatter_r(2, 3, 0, RB, RB)         # OUT[0:64] <- spad row 0 (OUT was zero)
    p.ld(4, 2, 8, 4)                     # word 2 of OUT
    p.li(5, OUT + 0x100)
    p.mvout(5, 0, 0, 8, 4, 4, 4)         # x[4] rows of 4 bytes
    p.halt()
    words = np.arange(16, dtype=np.int32)
    regions = [(BASE, words.tobytes()), (OUT, bytes(0x200))]
    ref = golden_run(p, PagedMemory(regions))
    assert ref.regs[4] == 2
    system = build(p, latency="50ns")
    s = simulate(system, regions)
    assert npusim.functional_read(system.npu, "dma_port", OUT, 0x200) == ref.read(OUT, 0x200)
    assert s["scalarLoads"] == 1 and s["dmaWriteReqs"] == 1 + 2


# ---------------------------------------------------------------------------
# malformed programs
# ---------------------------------------------------------------------------

def valid_program():
    p = Program()
    p.li(1, BASE)                               # 0
    p.mvin(1, 0, 0, 4, RB, RB)                  # 1
    p.matmul(0, 0, 0, 4, 4, 4, 0)               # 2
    p.vscale(1, 0, 0, 16, 0, 2.0)               # 3
    p.blt(0, 1, "end")                          # 4
    p.label("end")
    p.halt()                                    # 5
    return p


BAD = [
    # (instruction index, column, value, operand, message fragment)
    (0, 1, 40, "rd", "bad register 40 (registers are r0..r31)"),
    (1, 3, 4, "addr", "scratchpad address 0x4 is not aligned to a scratchpad row (64 bytes)"),
    (1, 3, 0x40000, "addr", "scratchpad address 0x40000 out of range [0, 0x40000)"),
    (1, 5, 6, "row_bytes", "0x6 is not a multiple of 4 (float32 elements)"),
    (1, 4, 0, "rows", "count must be >= 1, got 0"),
    (2, 4, 17, "m", "matrix dimension must be in 1..DIM=16, got 17"),
    (2, 7, 4, "flags", "unknown flag bits 0x4"),
    (3, 1, 2, "space", "must be 0 (scratchpad) or 1 (accumulator), got 2"),
    (3, 6, 0x7FC00000, "fimm", None),
    (4, 3, 0x1002, "target", None),
]


def _cpp_decoder_error(code) -> str:
    """The error instantiate() raises for an NPU given this raw encoding (no Python check)."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU()
    system.npu.program = code
    system.mem = SimpleMemory(range="0:64MiB")
    system.npu.dma_port = system.mem.port
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError) as err:
        npusim.instantiate()
    return str(err.value)


@pytest.mark.parametrize("index,column,value,operand,fragment", BAD)
def test_malformed_program_rejected_by_python_and_cpp(index, column, value, operand, fragment):
    good = valid_program()
    code = good.encode()
    code[index, column] = value
    mnemonic = good.instrs[index].op
    pc = good.pc(index)
    where = f"instruction #{index} at pc {pc:#x} ({mnemonic}): operand '{operand}'"
    # Python: validation when the program is assigned (decode + validate)
    from npusim.isa import decode, validate
    with pytest.raises(ProgramError) as py_err:
        validate(decode(code, good.pc_base), NPUConfig())
    assert where in str(py_err.value) or (operand == "fimm" or operand == "target")
    # C++: the NPU's decoder, given the raw encoding (no Python check)
    msg = _cpp_decoder_error(code)
    assert msg.startswith("system.npu: ") and where in msg, msg
    if fragment:
        assert fragment in msg and fragment in str(py_err.value)


def test_program_assignment_validates_against_this_npu():
    p = Program()
    p.matmul(0, 0, 0, 16, 16, 16, 0)
    p.halt()
    npu = NPU(dim=8)
    with pytest.raises(ProgramError, match=r"instruction #0 at pc 0x1000 \(matmul\): operand 'm': "
                                           r"matrix dimension must be in 1..DIM=8"):
        npu.program = p
    NPU(dim=16).program = p      # fine on a 16x16 array
    q = Program()
    q.li(40, 0)
    q.halt()
    with pytest.raises(ProgramError, match=r"\(li\): operand 'rd': bad register 40"):
        NPU().program = q
    # Once the NPU has a place in the tree, the error names it.
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(dim=8)
    Root(full_system=False, system=system)
    with pytest.raises(ProgramError, match=r"^system\.npu\.program: instruction #0 at pc 0x1000 \(matmul\)"):
        system.npu.program = p


@pytest.mark.parametrize("mutate,fragment", [
    (lambda c: c.__setitem__((0, 0), 0x7F), "instruction #0 at pc 0x1000: unknown opcode 0x7f"),
    (lambda c: c.__setitem__((5, 3), 9), "(halt): unused column 3 is 9, must be 0"),
])
def test_cpp_decoder_rejects_bad_encodings(mutate, fragment):
    code = valid_program().encode()
    mutate(code)
    assert fragment in _cpp_decoder_error(code)


@pytest.mark.parametrize("blob,fragment", [(b"", "the program is empty"),
                                           (b"\0" * 70, "70 bytes is not a whole number of 64-byte instructions")])
def test_cpp_decoder_rejects_bad_blobs(blob, fragment):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(program=blob)
    system.mem = SimpleMemory(range="0:64MiB")
    system.npu.dma_port = system.mem.port
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError, match=fragment):
        npusim.instantiate()


# ---------------------------------------------------------------------------
# run-time faults: named, never a crash
# ---------------------------------------------------------------------------

def fault_cases():
    cases = []
    p = Program()                                    # count register 0
    p.li(1, BASE)
    p.mvin(1, 0, 0, 4, RB, RB, 2)
    p.halt()
    cases.append((p, "instruction #1 at pc 0x1004 (mvin): operand 'rs_rows': count from register is 0"))
    p = Program()                                    # count above the static maximum
    p.li(1, BASE)
    p.li(2, 9)
    p.mvin(1, 0, 0, 4, RB, RB, 2)
    p.halt()
    cases.append((p, "(mvin): operand 'rs_rows': count from register is 9, above the static maximum 4"))
    p = Program()                                    # gather index far outside memory
    p.li(1, BASE)
    p.li(2, 1)
    p.mvin(1, 0, 0, 1, 4, 4)
    p.gather(1, 64, 0, 4, 2, RB, RB)
    p.halt()
    cases.append((p, "instruction #3 at pc 0x100c (gather): operand 'idx_addr'"))
    p = Program()                                    # jalr to a non-instruction
    p.li(1, 0x1001)
    p.jalr(0, 1, 0)
    p.halt()
    cases.append((p, "(jalr): operand 'rs1': jump target 0x1001 is not the PC of an instruction"))
    p = Program()                                    # no halt
    p.li(1, 0)
    cases.append((p, "execution ran past the last instruction (pc 0x1004) without halt"))
    p = Program()                                    # vector address from a register, unaligned
    p.li(1, 2)
    p.vzero(0, 1, 0, 4)
    p.halt()
    cases.append((p, "(vzero): operand 'rs_addr': scratchpad address 0x2 is not 4-byte aligned"))
    p = Program()                                    # ld outside memory
    p.li(1, 1 << 40)
    p.ld(2, 1, 0)
    p.halt()
    cases.append((p, "(ld): operand 'rs1': DRAM access [0x10000000000, 0x10000000008) is not backed by memory"))
    return cases


@pytest.mark.parametrize("program,fragment", fault_cases())
def test_runtime_faults_name_the_instruction(program, fragment):
    system = build(program)
    npusim.functional_write(system.npu, "dma_port", BASE, np.array([1 << 30], np.int32).tobytes())
    with pytest.raises(npusim.SimulationError) as err:
        npusim.simulate()
    assert str(err.value).startswith("system.npu: ")
    assert fragment in str(err.value), str(err.value)


# ---------------------------------------------------------------------------
# listener interface, requestor name and PCs
# ---------------------------------------------------------------------------

def test_listener_sees_issue_stream_register_values_and_dma():
    p, regions = everything_program()
    trace = []
    golden_run(p, PagedMemory(regions), trace=lambda i, pc, regs: trace.append((pc, list(regs))))
    system = build(p, probe=True)
    s = simulate(system, regions)
    probe = stats_dict(system.probe)
    assert probe["issued"] == s["instructions::total"] == len(trace)
    for i, (pc, regs) in enumerate(trace[:256]):
        assert probe[f"issuePC::{i}"] == pc
        ins = p.instrs[p.index_of_pc(pc)]
        rs = [f.name for f in ins.spec.fields if f.kind == "rs"]
        if rs:
            assert probe[f"issueReg::{i}"] == regs[ins[rs[0]]], (i, ins)
    assert probe["dmaIssued"] == probe["dmaCompleted"] == s["dmaReadReqs"] + s["dmaWriteReqs"] + s["scalarLoads"]
    assert probe["dmaWithoutPC"] == 0 and probe["completedBeforeIssued"] == 0 and probe["outstanding"] == 0
    # issue cycles never go backwards
    cycles = [probe[f"issueCycle::{i}"] for i in range(min(256, int(probe["issued"])))]
    assert cycles == sorted(cycles)


def test_listener_does_not_change_timing():
    p, regions = everything_program()
    s1 = simulate(build(p), regions)
    npusim.reset()
    s2 = simulate(build(p, probe=True), regions)
    assert s1 == s2


def test_dma_requestor_is_registered_as_npu_dma():
    p, regions = everything_program()
    system = build(p)
    simulate(system, regions)
    assert "npu.dma" in _core.requestor_names()
    mem = stats_dict(system.mem)
    npu = stats_dict(system.npu)
    assert mem["bytesRead::npu.dma"] > 0
    assert mem["bytesWritten::npu.dma"] == npu["dmaBytesWritten"]


# ---------------------------------------------------------------------------
# statistics, determinism, parameters
# ---------------------------------------------------------------------------

def test_stats_are_consistent_and_survive_a_reset():
    p, regions = everything_program()
    system = build(p)
    for addr, data in regions:
        npusim.functional_write(system.npu, "dma_port", addr, data)
    npusim.simulate(60_000)          # stop half way (60 ns in)
    npusim.stats.reset()
    ev = npusim.simulate()
    assert ev.getCause() == "system.npu finished"
    s = stats_dict(system.npu)
    assert s["numCycles"] == s["busyCycles"] + s["stallCycles::total"]
    assert s["numCycles"] == npusim.curTick() // 1000 - 60
    assert s["dmaRequestsInFlight::samples"] == s["numCycles"]
    assert 0 < s["instructions::total"]


def test_deterministic():
    p, regions = everything_program()
    s1 = simulate(build(p), regions)
    npusim.reset()
    s2 = simulate(build(p), regions)
    assert s1 == s2


@pytest.mark.parametrize("kw,fragment", [
    (dict(dim=0), "system.npu.dim: must be in 1..1024"),
    (dict(dma_max_inflight=0), "system.npu.dma_max_inflight: must be at least 1"),
    (dict(line_size=48), "system.npu.line_size: must be a power of two"),
    (dict(scratchpad=Scratchpad(row_bytes=32)), "system.npu.scratchpad.row_bytes: 32 does not match"),
    (dict(scratchpad=Scratchpad(size="1000KiB", banks=3)), "system.npu.scratchpad.banks"),
])
def test_parameter_errors_name_the_parameter(kw, fragment):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(program=valid_program().encode(), **kw)
    system.mem = SimpleMemory(range="0:64MiB")
    system.npu.dma_port = system.mem.port
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError, match=fragment.replace("(", r"\(")):
        npusim.instantiate()


def test_dataflow_is_an_enum():
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(dataflow="RS", program=valid_program().encode())
    system.mem = SimpleMemory(range="0:64MiB")
    system.npu.dma_port = system.mem.port
    Root(full_system=False, system=system)
    with pytest.raises(npusim.ParamError, match=r"system.npu.dataflow: 'RS' is not one of WS, OS"):
        npusim.instantiate()


def test_describe_lists_npu_params():
    out = subprocess.run([sys.executable, "-m", "npusim.cli", "--describe", "NPU"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0
    for name in ("dim", "dataflow", "overlap_preload", "dma_max_inflight", "ld_queue_depth", "dma_port"):
        assert name in out.stdout


# ---------------------------------------------------------------------------
# fuzzing: the C++ decoder agrees with Python's checks and never crashes
# ---------------------------------------------------------------------------

def random_encoding(rng, n):
    from npusim.isa import OPCODES
    specs = list(OPCODES.values())
    interesting = [0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 40, 64, 100, 1024, 4096, 0x10000, 0x3FFC0, 0x40000,
                   -1, -4, -64, 1 << 40, (1 << 63) - 1, -(1 << 63), 0x1000, 0x1004, 0x3F800000, 0x7F800000]
    code = np.zeros((n, 8), np.int64)
    for i in range(n - 1):
        spec = specs[rng.integers(len(specs))]
        code[i, 0] = spec.code
        for c, f in enumerate(spec.fields, start=1):
            if f.kind in ("rd", "rs"):
                code[i, c] = rng.integers(0, 34) if rng.random() < 0.95 else rng.integers(-3, 100)
            elif f.kind == "label":
                code[i, c] = 0x1000 + 4 * rng.integers(0, n + 1) + (rng.random() < 0.05)
            else:
                code[i, c] = interesting[rng.integers(len(interesting))]
        if rng.random() < 0.02:
            code[i, 7] = 5                       # garbage in a column
        if rng.random() < 0.01:
            code[i, 0] = 0x7E                    # unknown opcode
    code[n - 1, 0] = 0x01                        # halt
    return code


@pytest.mark.parametrize("seed", range(int(os.environ.get("NPU_FUZZ_SEEDS", "40"))))
def test_fuzzed_programs_agree_with_python_and_never_crash(seed):
    from npusim.isa import decode, validate
    rng = np.random.default_rng(seed)
    for trial in range(10):
        code = random_encoding(rng, int(rng.integers(1, 12)))
        try:
            validate(decode(code, 0x1000), NPUConfig())
            py_ok = True
        except ProgramError:
            py_ok = False
        npusim.reset()
        system = System(clk_domain=SrcClockDomain(clock="1GHz"))
        system.npu = NPU(program=code)
        system.mem = SimpleMemory(range="0:64MiB", latency="10ns")
        system.npu.dma_port = system.mem.port
        Root(full_system=False, system=system)
        try:
            npusim.instantiate()
            cxx_ok = True
        except npusim.SimulationError as err:
            cxx_ok = False
            assert str(err).startswith("system.npu"), str(err)
        assert py_ok == cxx_ok, (seed, trial, code)
        if cxx_ok:
            try:
                npusim.simulate(2_000_000)
            except npusim.SimulationError as err:
                assert str(err).startswith("system.npu: instruction #"), str(err)


def random_valid_program(rng, length):
    """A random but valid program over a small data region, dense with
    hazards: every kind of DMA, matmul and vector op on overlapping
    scratchpad/accumulator windows and DRAM rows, loads of stored words,
    register-addressed vector ops. Index vectors are in DRAM at IDXV."""
    DATA, IDXV, OUTR = BASE, BASE + 0x8000, OUT
    p = Program()
    p.li(1, DATA)
    p.li(2, OUTR)
    p.li(3, IDXV)
    p.li(4, 0)
    for _ in range(length):
        kind = rng.integers(0, 12)
        spad_row = int(rng.integers(0, 12)) * RB
        if kind == 0:
            rb = int(rng.choice([4, 16, 64, 100, 128]))
            rows = int(rng.integers(1, 4))
            stride = int(rng.choice([0, 64, 128, 4 * rng.integers(0, 40)]))
            base = int(rng.choice([1, 2]))
            off = 4 * int(rng.integers(0, 64))
            op = rng.choice(["mvin", "mvout"] if base == 2 else ["mvin", "mvin_acc"])
            if op == "mvout" and rng.random() < 0.5:
                op = "mvout_acc"
            p.emit(op, base, off, spad_row, rows, rb, stride)
        elif kind == 1:
            p.li(5, int(rng.integers(1, 5)))
            p.mvin(3, 4 * int(rng.integers(0, 8)), 0x10000, 1, 64, 64)     # 16 indices -> bank 1
            if rng.random() < 0.5:
                p.gather(1, spad_row, 0x10000, 4, 5, int(rng.choice([16, 64])), 64)
            else:
                p.scatter(2, spad_row, 0x10000, 4, 5, int(rng.choice([16, 64])), 64)
        elif kind == 2:
            p.li(6, int(rng.integers(0, 40)))
            getattr(p, rng.choice(["gather_r", "scatter_r"]))(int(rng.choice([1, 2]) if rng.random() < 0.5 else 2),
                                                              6, spad_row, 64, 64)
        elif kind == 3:
            m, k, n = (int(rng.integers(1, D + 1)) for _ in range(3))
            a = int(rng.integers(0, 8)) * RB
            b = int(rng.integers(0, 8)) * RB + int(rng.choice([0, 0x10000]))
            c = int(rng.integers(0, 8)) * RB
            p.matmul(a, b, c, m, k, n, int(rng.integers(0, 4)))
        elif kind in (4, 5):
            op = rng.choice(["vadd", "vmul", "vmax", "vmov"])
            n = int(rng.integers(1, 40))
            getattr(p, op)(0, 4 * int(rng.integers(0, 200)), 0, 4 * int(rng.integers(0, 200)), n,
                           int(rng.integers(0, 4)))
        elif kind == 6:
            op = rng.choice(["vzero", "vrelu", "vscale"])
            args = [int(rng.integers(0, 2)), 0, 4 * int(rng.integers(0, 200)), int(rng.integers(1, 40))]
            if op == "vscale":
                args += [0, float(rng.choice([0.5, 2.0, -1.0]))]
            getattr(p, op)(*args)
        elif kind == 7:
            p.li(7, 4 * int(rng.integers(0, 100)))
            p.vmacc(7, 0, 7, 4 * int(rng.integers(0, 50)), int(rng.integers(1, 33)), 0, float(rng.choice([0.25, 3.0])))
        elif kind == 8:
            p.ld(8, int(rng.choice([1, 2])), 8 * int(rng.integers(0, 64)), 8)
            p.andi(8, 8, 0xFF)
            p.add(4, 4, 8)
        elif kind == 9:
            p.ld(9, 2, 4 * int(rng.integers(0, 64)), 4)
            p.andi(9, 9, 3)
            p.addi(9, 9, 1)
            p.mvout(2, 0x800, spad_row, 4, 16, 16, 9)            # count from a loaded word
        elif kind == 10:
            p.li(10, 4 * int(rng.integers(0, 64)))
            p.vadd(10, 0, 10, 0x1000, int(rng.integers(1, 20)), 0)
        else:
            p.addi(4, 4, int(rng.integers(-5, 5)))
    p.li(11, OUTR + 0x1000)
    p.mvout(11, 0, 0, 16, RB, RB)                                 # dump some state
    p.mvout_acc(11, 16 * RB, 0, 16, RB, RB)
    p.halt()
    data = ints((0x8000 // 4,), int(rng.integers(1 << 30)), -3, 4)
    idx = np.random.default_rng(int(rng.integers(1 << 30))).integers(0, 40, 64).astype(np.int32)
    regions = [(DATA, data.tobytes()), (IDXV, idx.tobytes()), (OUTR, bytes(0x2000))]
    return p, regions


@pytest.mark.parametrize("seed", range(int(os.environ.get("NPU_FUZZ_SEEDS", "40"))))
def test_random_valid_programs_match_golden_interpreter(seed):
    """Differential fuzzing: whatever the timing (dataflow, in-flight limit,
    memory latency), the NPU's memory equals the golden interpreter's."""
    rng = np.random.default_rng(1000 + seed)
    p, regions = random_valid_program(rng, int(rng.integers(5, 40)))
    try:
        ref = golden_run(p, PagedMemory(regions))
        want = ref.read(OUT, 0x2000)
    except ProgramError as err:
        ref, want = None, err
    for dataflow, inflight, latency in (("WS", 32, "30ns"), ("OS", 1, "7ns")):
        npusim.reset()
        system = build(p, latency=latency, dataflow=dataflow, dma_max_inflight=inflight)
        for addr, data in regions:
            npusim.functional_write(system.npu, "dma_port", addr, data)
        if ref is None:
            with pytest.raises(npusim.SimulationError):
                npusim.simulate()
            continue
        ev = npusim.simulate()
        assert ev.getCause() == "system.npu finished"
        got = npusim.functional_read(system.npu, "dma_port", OUT, 0x2000)
        if got != want:
            g, w_ = np.frombuffer(got, np.uint8), np.frombuffer(want, np.uint8)
            first = int(np.argmax(g != w_))
            pytest.fail(f"seed {seed} ({dataflow}): first difference at OUT+{first:#x}\n{p.disassemble()}")


def test_max_insts_any_thread_stops_a_program_that_never_halts():
    # `beq r0, r0, top` forever: gem5's CPU parameter ends the simulate()
    # call at the count, with gem5's cause, instead of running for ever.
    p = Program()
    top = p.new_label("top")
    p.label(top)
    p.emit("beq", 0, 0, top)
    p.halt()
    system = build(p, max_insts_any_thread=1000)
    ev = npusim.simulate()
    assert ev.getCause() == "a thread reached the max instruction count"
    # the front end finishes the batch of scalar instructions it was running
    # (at most 4,096 per event)
    assert 1000 <= stats_dict(system.npu)["instructions::total"] <= 1000 + 4096


def test_max_insts_any_thread_leaves_results_unchanged():
    # the limit ends a simulate() call; resuming gives the run without it
    p, regions = everything_program()
    s1 = simulate(build(p), regions)
    npusim.reset()
    system = build(p, max_insts_any_thread=7)
    for addr, data in regions:
        npusim.functional_write(system.npu, "dma_port", addr, data)
    assert npusim.simulate().getCause() == "a thread reached the max instruction count"
    assert npusim.simulate().getCause() == "system.npu finished"
    assert stats_dict(system.npu) == s1


def test_root_instruction_counts_are_the_npus_as_gem5s_are_its_cpus():
    # gem5's simInsts / simOps sum the processors' instructions since the
    # last reset: here the NPU's five (li, li, add, ..., halt included)
    p = Program()
    p.li(1, 7)
    p.li(2, 5)
    p.add(3, 1, 2)
    p.li(4, 1)
    p.halt()
    system = build(p)
    s = simulate(system, [])
    values = npusim.stats.dump()
    assert s["instructions::total"] == 5
    assert values["simInsts"] == values["simOps"] == 5 and values["hostInstRate"] > 0
    npusim.stats.reset()
    assert npusim.stats.dump()["simInsts"] == 0


def test_root_instruction_counts_are_zero_without_a_processor():
    from npusim.objects import TrafficGen
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = TrafficGen(num_requests=4)
    system.mem = SimpleMemory(range="0:64MiB")
    system.cpu.port = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    npusim.simulate()
    values = npusim.stats.dump()
    assert (values["simInsts"], values["simOps"], values["hostInstRate"], values["simRequests"]) == (0, 0, 0, 4)
