"""NPU ISA: builder, validation, encoding, and the golden interpreter."""

import os

import numpy as np
import pytest

from npusim.isa import (BY_CODE, ENCODING_WIDTH, OPCODES, InstructionLimitExceeded, NPUConfig,
                        Opcode, PagedMemory, Program, ProgramError, collect_errors, cpp_header,
                        decode, f32_bits, opcode_table, run, validate)

CFG = NPUConfig()
RB = CFG.row_bytes  # 64
BASE = 0x1000_0000


def f32bits_reg(x):
    return int(np.float32(x).view(np.uint32))


# ---------------------------------------------------------------------------
# scalar programs with exact results and exact instruction counts
# ---------------------------------------------------------------------------

def test_loop_sum_exact_counts():
    p = Program()
    p.li(1, 0)          # i
    p.li(2, 10)         # n
    p.li(3, 0)          # sum
    p.label("loop")
    p.addi(1, 1, 1)
    p.add(3, 3, 1)
    p.blt(1, 2, "loop")
    p.halt()
    r = run(p)
    assert r.regs[1] == 10 and r.regs[3] == 55
    assert r.counts == {"li": 3, "addi": 10, "add": 10, "blt": 10, "halt": 1}
    assert r.instructions == 34
    assert r.counts_by_group == {"alu": 23, "branch": 10, "control": 1}
    assert r.halt_pc == p.pc(6) == 0x1000 + 24


def test_alu_semantics_wrap_shift_compare():
    p = Program()
    p.li(1, -5)
    p.li(2, 3)
    p.sub(3, 1, 2)              # -8
    p.mul(4, 1, 2)              # -15
    p.shri(5, 1, 60)            # logical: 0xF
    p.shli(6, 2, 62)            # 3 << 62 wraps to -(1<<62)
    p.slt(7, 1, 2)              # -5 < 3 signed -> 1
    p.sltu(8, 1, 2)             # 2**64-5 < 3 unsigned -> 0
    p.and_(9, 1, 2)             # -5 & 3 = 3
    p.or_(10, 1, 2)             # -5 | 3 = -5
    p.xor(11, 1, 2)             # -5 ^ 3 = -8
    p.li(12, (1 << 63) - 1)
    p.addi(13, 12, 1)           # wraps to INT64_MIN
    p.li(14, 2)
    p.shl(15, 2, 14)            # 12
    p.shr(16, 1, 14)            # logical shift of -5 by 2
    p.andi(17, 1, 0xFF)         # 0xFB
    p.mov(18, 4)
    p.li(0, 99)                 # r0 stays 0
    p.addi(19, 0, 7)
    p.halt()
    r = run(p)
    x = r.regs
    assert x[3] == -8 and x[4] == -15 and x[5] == 0xF and x[6] == -(1 << 62)
    assert (x[7], x[8], x[9], x[10], x[11]) == (1, 0, 3, -5, -8)
    assert x[13] == -(1 << 63)
    assert x[15] == 12 and x[16] == ((2 ** 64 - 5) >> 2) and x[17] == 0xFB and x[18] == -15
    assert x[0] == 0 and x[19] == 7


def test_branches_and_calls():
    p = Program()
    p.li(1, 4)
    p.li(2, 4)
    p.li(10, 0)
    p.beq(1, 2, "eq")
    p.li(10, 111)               # skipped
    p.label("eq")
    p.bne(1, 2, "bad")          # not taken
    p.li(3, -1)
    p.bge(3, 1, "bad")          # -1 >= 4 is false
    p.blt(3, 1, "call")         # taken
    p.label("bad")
    p.li(10, 999)
    p.halt()
    p.label("call")
    p.jal(31, "func")           # call
    p.addi(10, 10, 1)           # after return
    p.halt()
    p.label("func")
    p.addi(10, 10, 100)
    p.jalr(0, 31, 0)            # return
    r = run(p)
    assert r.regs[10] == 101
    assert r.regs[31] == p.pc(p.labels["call"] + 1)
    assert r.counts["halt"] == 1 and "li" in r.counts
    assert r.halt_pc == p.pc(p.labels["call"] + 2)


def test_extend_and_validate_chaining():
    body = Program()
    body.label("inner")
    body.addi(1, 1, 1)
    body.blt(1, 2, "inner")
    p = Program()
    p.li(2, 3)
    p.extend(body)
    p.halt()
    assert p.validate(CFG) is p
    assert p.labels["inner"] == 1
    r = run(p)
    assert r.regs[1] == 3 and r.counts["blt"] == 3
    q = Program()
    q.ld(4, 5, -8, 4)
    q.gather(1, 64, 0, 4, 2, 64, 64)
    assert str(q[0]) == "ld r4, [r5 + -8], 4"
    assert str(q[1]) == "gather r1, 64, 0, 4, r2, 64, 64"


def test_j_pseudo_instruction_and_nop():
    p = Program()
    p.j("end")
    p.li(1, 1)
    p.label("end")
    p.nop()
    p.halt()
    r = run(p)
    assert r.regs[1] == 0
    assert p[0].op == "jal" and p[0]["rd"] == 0
    assert r.counts == {"jal": 1, "nop": 1, "halt": 1}


def test_scalar_load_sign_extension():
    mem = PagedMemory([(BASE, np.array([-2, 7], dtype=np.int32).tobytes()),
                       (BASE + 8, np.array([-(1 << 40)], dtype=np.int64).tobytes()),
                       (BASE + 16, np.array([1.5], dtype=np.float32).tobytes())])
    p = Program()
    p.li(1, BASE)
    p.ld(2, 1, 0, 4)
    p.ld(3, 1, 4, 4)
    p.ld(4, 1, 8, 8)
    p.ld(5, 1, 16, 4)
    p.ld(6, 1, 0, 8)            # two int32 as one little-endian int64
    p.halt()
    r = run(p, mem)
    assert r.regs[2] == -2 and r.regs[3] == 7 and r.regs[4] == -(1 << 40)
    assert r.regs[5] == f32bits_reg(1.5)
    assert r.regs[6] == (7 << 32) | 0xFFFFFFFE
    assert r.counts["ld"] == 5


# ---------------------------------------------------------------------------
# DMA, gather / scatter
# ---------------------------------------------------------------------------

def _table(rows=32, cols=16):
    return (np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) + 1)


def test_gather_with_scratchpad_indices_exact():
    table = _table()
    idx = np.array([5, 0, 31, 5, 7], dtype=np.int32)
    TAB, IDX, OUT = BASE, BASE + 0x10000, BASE + 0x20000
    mem = PagedMemory([(TAB, table.tobytes()), (IDX, idx.tobytes())])
    p = Program()
    p.li(1, TAB)
    p.li(2, IDX)
    p.li(3, OUT)
    p.li(4, len(idx))
    p.mvin(2, 0, 0, 1, 4 * len(idx))                  # indices -> spad 0
    p.gather(1, RB, 0, 4, 4, RB, RB)                  # rows -> spad 64..
    p.mvout(3, 0, RB, len(idx), RB, RB)
    p.halt()
    r = run(p, mem)
    got = r.read_array(OUT, np.float32, (len(idx), 16))
    np.testing.assert_array_equal(got, table[idx])
    assert r.counts == {"li": 4, "mvin": 1, "gather": 1, "mvout": 1, "halt": 1}


def test_gather_int64_indices_column_slice_and_pitch():
    table = _table(rows=8, cols=16)
    idx = np.array([3, 1, 6], dtype=np.int64)
    TAB, IDX, OUT = BASE, BASE + 0x10000, BASE + 0x20000
    mem = PagedMemory([(TAB, table.tobytes()), (IDX, idx.tobytes())])
    p = Program()
    p.li(1, TAB + 8)             # start at column 2
    p.li(2, IDX)
    p.li(3, OUT)
    p.li(4, 3)
    p.mvin(2, 0, 0, 1, 24)
    p.gather(1, 2 * RB, 0, 8, 4, 12, RB)   # 3 floats of each row; pitch = one spad row
    p.mvout(3, 0, 2 * RB, 3, 12, 12)       # packed 3x3 in DRAM
    p.halt()
    r = run(p, mem)
    got = r.read_array(OUT, np.float32, (3, 3))
    np.testing.assert_array_equal(got, table[idx][:, 2:5])
    # the scratchpad holds each row at a 64-byte pitch
    spf = r.spad.view(np.float32)
    np.testing.assert_array_equal(spf[32:35], table[3, 2:5])
    np.testing.assert_array_equal(spf[48:51], table[1, 2:5])


def test_gather_r_scatter_r_and_scatter():
    table = _table(rows=16)
    TAB, OUT, IDX = BASE, BASE + 0x10000, BASE + 0x20000
    idx = np.array([2, 9, 2], dtype=np.int32)        # duplicate: last write wins
    mem = PagedMemory([(TAB, table.tobytes()), (IDX, idx.tobytes())])
    p = Program()
    p.li(1, TAB)
    p.li(2, 11)
    p.li(3, OUT)
    p.gather_r(1, 2, 0, RB, RB)                       # row 11 -> spad 0
    p.li(4, 4)
    p.scatter_r(3, 4, 0, RB, RB)                      # -> OUT row 4
    p.li(5, IDX)
    p.mvin(5, 0, 4 * RB, 1, 12)
    p.li(6, 3)
    p.mvin(1, 0, RB, 3, RB, RB)                       # table rows 0,1,2 -> spad rows 1..3
    p.scatter(3, RB, 4 * RB, 4, 6, RB, RB)            # rows 0,1,2 -> OUT rows 2, 9, 2
    p.halt()
    r = run(p, mem)
    out = r.read_array(OUT, np.float32, (16, 16))
    np.testing.assert_array_equal(out[4], table[11])
    np.testing.assert_array_equal(out[9], table[1])
    np.testing.assert_array_equal(out[2], table[2])   # in-order: the third row wins
    assert not out[0].any() and not out[3].any()


def test_mvin_register_row_count_and_acc_roundtrip():
    data = _table(rows=8)
    SRC, OUT = BASE, BASE + 0x10000
    mem = PagedMemory([(SRC, data.tobytes()), (OUT, np.full(64, -1, np.float32).tobytes())])
    p = Program()
    p.li(1, SRC)
    p.li(2, OUT)
    p.li(3, 3)
    p.mvin_acc(1, RB, 0, 8, RB, RB, 3)                # only 3 rows (from row 1)
    p.mvout_acc(2, 0, 0, 4, 8, 16, 3)                 # 3 rows, first 2 floats, stride 16 B
    p.halt()
    r = run(p, mem)
    out = r.read_array(OUT, np.float32, (8, 4))
    np.testing.assert_array_equal(out[:3, :2], data[1:4, :2])
    assert (out[:3, 2:] == -1).all() and (out[3:] == -1).all()


# ---------------------------------------------------------------------------
# matmul and vector ops
# ---------------------------------------------------------------------------

def _mm_program(a, b, transposed=False, accumulate_twice=False):
    m, k = a.shape
    n = b.shape[0] if transposed else b.shape[1]
    A, B, C = BASE, BASE + 0x10000, BASE + 0x20000
    mem = PagedMemory([(A, a.astype(np.float32).tobytes()), (B, b.astype(np.float32).tobytes())])
    p = Program()
    p.li(1, A); p.li(2, B); p.li(3, C)
    p.mvin(1, 0, 0, m, 4 * k, 4 * k)
    brows, bcols = b.shape
    p.mvin(2, 0, 16 * RB, brows, 4 * bcols, 4 * bcols)
    flags = 2 if transposed else 0
    p.matmul(0, 16 * RB, 0, m, k, n, flags)
    if accumulate_twice:
        p.matmul(0, 16 * RB, 0, m, k, n, flags | 1)
    p.mvout_acc(3, 0, 0, m, 4 * n, 4 * n)
    p.halt()
    return p, mem, C, (m, n)


def test_matmul_exact_small_integers():
    rng = np.random.default_rng(0)
    a = rng.integers(-4, 5, (5, 7)).astype(np.float32)
    b = rng.integers(-4, 5, (7, 3)).astype(np.float32)
    p, mem, C, shape = _mm_program(a, b)
    r = run(p, mem)
    np.testing.assert_array_equal(r.read_array(C, np.float32, shape), a @ b)
    p, mem, C, shape = _mm_program(a, b, accumulate_twice=True)
    np.testing.assert_array_equal(run(p, mem).read_array(C, np.float32, shape), 2 * (a @ b))
    p, mem, C, shape = _mm_program(a, b.T.copy(), transposed=True)
    np.testing.assert_array_equal(run(p, mem).read_array(C, np.float32, shape), a @ b)


def test_matmul_full_tile_matches_float64_rounded_once():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((16, 16)).astype(np.float32)
    b = rng.standard_normal((16, 16)).astype(np.float32)
    p, mem, C, shape = _mm_program(a, b)
    got = run(p, mem).read_array(C, np.float32, shape)
    np.testing.assert_array_equal(got, (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32))


def test_vector_ops_exact():
    v = np.array([1.0, -2.0, 3.0, -4.0, 0.5, 6.0, -7.0, 8.0], dtype=np.float32)
    w = np.array([2.0, 2.0, -1.0, 1.0, 4.0, 0.0, 1.0, -1.0], dtype=np.float32)
    SRC, OUT = BASE, BASE + 0x10000
    mem = PagedMemory([(SRC, np.concatenate([v, w]).tobytes())])
    p = Program()
    p.li(1, SRC); p.li(2, OUT)
    p.mvin(1, 0, 0, 1, 32)          # spad row 0: v
    p.mvin(1, 32, RB, 1, 32)        # spad row 1: w
    p.vmov(0, 0, 0, 0, 8, 1)        # acc row 0 = v (dst acc, src spad)
    p.vadd(0, 0, 0, RB, 8, 1)       # acc0 = v + w
    p.vmov(0, RB, 0, 0, 8, 1)       # acc1 = v
    p.vmul(0, RB, 0, RB, 8, 1)      # acc1 = v * w
    p.vmov(0, 2 * RB, 0, 0, 8, 1)   # acc2 = v
    p.vmax(0, 2 * RB, 0, RB, 8, 1)  # acc2 = max(v, w)
    p.vmov(0, 3 * RB, 0, 0, 8, 1)
    p.vrelu(1, 0, 3 * RB, 8)        # acc3 = relu(v)
    p.vmov(0, 4 * RB, 0, 0, 8, 1)
    p.vscale(1, 0, 4 * RB, 8, 0, 0.5)                 # acc4 = v * 0.5
    p.li(5, f32bits_reg(-3.0))
    p.vmov(0, 5 * RB, 0, 0, 8, 1)
    p.vscale(1, 0, 5 * RB, 8, 5)                      # acc5 = v * -3 (register bits)
    p.vzero(1, 0, 6 * RB, 8)
    p.vmacc(0, 6 * RB, 0, 0, 8, 0, 2.0)               # acc6 = 2 v
    p.vmacc(0, 6 * RB, 0, RB, 8, 5)                   # acc6 += -3 w
    p.vmov(0, 2 * RB, 0, 6 * RB, 8, 2)                # spad row 2 = acc6 (src acc)
    p.li(6, RB)
    p.vzero(0, 6, 4, 2)                               # spad row 1 (w), elements 1..2
    p.mvout_acc(2, 0, 0, 7, 32, 32)
    p.mvout(2, 7 * 32, 2 * RB, 1, 32)
    p.halt()
    r = run(p, mem)
    out = r.read_array(OUT, np.float32, (8, 8))
    np.testing.assert_array_equal(out[0], v + w)
    np.testing.assert_array_equal(out[1], v * w)
    np.testing.assert_array_equal(out[2], np.maximum(v, w))
    np.testing.assert_array_equal(out[3], np.maximum(v, 0))
    np.testing.assert_array_equal(out[4], v * np.float32(0.5))
    np.testing.assert_array_equal(out[5], v * np.float32(-3))
    np.testing.assert_array_equal(out[6], 2 * v - 3 * w)
    np.testing.assert_array_equal(out[7], 2 * v - 3 * w)
    spf = r.spad.view(np.float32)
    np.testing.assert_array_equal(spf[16:24], [w[0], 0, 0, *w[3:]])
    assert r.counts_by_group["vector"] == 17 and r.counts["vmov"] == 7


def test_vmacc_rounds_product_then_sum():
    # w*s rounded to float32 first, then added: not a fused multiply-add
    s = np.float32(1 + 2 ** -12)
    acc0 = np.float32(-1 - 2 ** -11)
    SRC = BASE
    mem = PagedMemory([(SRC, np.array([s, acc0], dtype=np.float32).tobytes())])
    p = Program()
    p.li(1, SRC)
    p.mvin(1, 0, 0, 1, 4)
    p.mvin_acc(1, 4, 0, 1, 4)
    p.vmacc(0, 0, 0, 0, 1, 0, float(s))
    p.halt()
    r = run(p, mem)
    expected = np.float32(np.float32(s * s) + acc0)
    fused = np.float32(np.float64(s) * np.float64(s) + np.float64(acc0))
    assert expected != fused  # the case distinguishes the two
    assert r.acc[0] == expected


# ---------------------------------------------------------------------------
# validation: malformed programs are rejected, naming instruction and operand
# ---------------------------------------------------------------------------

BAD = [
    # (builder, expected mnemonic, operand, text in message)
    (lambda p: p.addi(32, 1, 1), "addi", "rd", "bad register 32"),
    (lambda p: p.add(1, "q3", 2), "add", "rs1", "bad register"),
    (lambda p: p.add(1, -1, 2), "add", "rs1", "bad register -1"),
    (lambda p: p.bne(1, 2, "nowhere"), "bne", "target", "undefined label 'nowhere'"),
    (lambda p: p.mvin(1, 0, 256 * 1024, 1, 64), "mvin", "addr", "out of range"),
    (lambda p: p.mvin(1, 0, 256 * 1024 - 64, 2, 64, 64), "mvin", "addr", "runs past the end"),
    (lambda p: p.mvout_acc(1, 0, 64 * 1024 - 128, 3, 64, 64), "mvout_acc", "addr", "runs past the end"),
    (lambda p: p.mvin(1, 0, 32, 1, 64), "mvin", "addr", "not aligned to a scratchpad row"),
    (lambda p: p.mvin(1, 0, 0, 1, 6), "mvin", "row_bytes", "multiple of 4"),
    (lambda p: p.mvin(1, 0, 0, 0, 64), "mvin", "rows", "count must be >= 1"),
    (lambda p: p.mvin(1, 0, 0, 2, 64, -64), "mvin", "dram_stride", "must be >= 0"),
    (lambda p: p.mvin(1, 2, 0, 1, 64), "mvin", "dram_off", "multiple of 4"),
    (lambda p: p.gather(1, 0, 4, 8, 2, 64, 64), "gather", "idx_addr", "aligned to the index size"),
    (lambda p: p.gather(1, 0, 0, 2, 2, 64, 64), "gather", "idx_size", "must be 4 or 8"),
    (lambda p: p.gather(1, 0, 0, 4, 0, 64, 64), "gather", "rs_n", "counts must be >= 1"),
    (lambda p: p.gather(1, 16, 0, 4, 2, 64, 64), "gather", "addr", "not aligned"),
    (lambda p: p.gather(1, 0, 256 * 1024, 4, 2, 64, 64), "gather", "idx_addr", "out of range"),
    (lambda p: p.scatter_r(1, 2, 256 * 1024, 64, 64), "scatter_r", "addr", "out of range"),
    (lambda p: p.matmul(0, 1024, 0, 17, 16, 16), "matmul", "m", "1..DIM=16"),
    (lambda p: p.matmul(0, 1024, 0, 16, 0, 16), "matmul", "k", "1..DIM=16"),
    (lambda p: p.matmul(0, 1024, 64 * 1024 - 64, 2, 16, 16), "matmul", "c", "runs past the end"),
    (lambda p: p.matmul(0, 100, 0, 2, 2, 2), "matmul", "b", "not aligned"),
    (lambda p: p.matmul(0, 1024, 0, 2, 2, 2, 8), "matmul", "flags", "unknown flag bits"),
    (lambda p: p.vzero(1, 0, 0, -3), "vzero", "n", "count must be >= 1"),
    (lambda p: p.vzero(2, 0, 0, 4), "vzero", "space", "must be 0"),
    (lambda p: p.vrelu(0, 0, 2, 4), "vrelu", "addr_off", "not 4-byte aligned"),
    (lambda p: p.vadd(0, 64 * 1024 - 8, 0, 0, 4, 1), "vadd", "dst_off", "runs past the end"),
    (lambda p: p.vadd(0, 0, 0, 0, 4, 4), "vadd", "spaces", "unknown bits"),
    (lambda p: p.vscale(1, 0, 0, 4, 0, float("inf")), "vscale", "fimm", "not a finite float32"),
    (lambda p: p.vmacc(0, 0, 0, 0, 4, 40), "vmacc", "rs_w", "bad register 40"),
    (lambda p: p.ld(1, 2, 0, 3), "ld", "size", "must be 4 or 8"),
    (lambda p: p.shli(1, 2, 64), "shli", "imm", "0..63"),
    (lambda p: p.li(1, 1 << 63), "li", "imm", "does not fit in int64"),
    (lambda p: p.li(1, 2.5), "li", "imm", "integer immediate expected"),
]


@pytest.mark.parametrize("build,mnemonic,operand,text", BAD,
                         ids=[f"{b[1]}-{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_malformed_rejected_with_instruction_and_operand(build, mnemonic, operand, text):
    p = Program()
    p.li(1, BASE)
    p.nop()
    build(p)
    p.halt()
    with pytest.raises(ProgramError) as ei:
        validate(p, CFG)
    err = ei.value
    msg = str(err)
    assert f"instruction #2 at pc {p.pc(2):#x} ({mnemonic})" in msg
    assert f"operand '{operand}'" in msg
    assert text in msg
    assert (err.index, err.pc, err.mnemonic, err.operand) == (2, 0x1008, mnemonic, operand)
    # the interpreter refuses to run it
    with pytest.raises(ProgramError):
        run(p)


def test_label_past_end_and_all_errors_collected():
    p = Program()
    p.j("end")
    p.addi(40, 0, 1)
    p.matmul(0, 1024, 0, 99, 1, 1)
    p.label("end")
    errs = collect_errors(p, CFG)
    assert [(e.index, e.operand) for e in errs] == [(0, "target"), (1, "rd"), (2, "m")]
    assert "points past the last instruction" in errs[0].detail
    with pytest.raises(ProgramError, match=r"and 2 more error"):
        validate(p)


def test_validation_depends_on_npu_config():
    p = Program()
    p.matmul(0, 512, 0, 16, 16, 16)
    p.mvin(0, 0, 1024, 1, 32)
    p.halt()
    validate(p, NPUConfig())
    small = NPUConfig(dim=8, spad_bytes=1024, acc_bytes=1024)
    errs = collect_errors(p, small)
    assert {(e.mnemonic, e.operand) for e in errs} == {("matmul", "m"), ("matmul", "k"),
                                                       ("matmul", "n"), ("mvin", "addr")}
    # configs given as dicts / objects with SimObject-like names
    assert collect_errors(p, {"dim": 8, "spad_size": 1024, "acc_size": 1024})
    assert not collect_errors(p, {"dim": 16})


def test_builder_time_errors():
    p = Program()
    with pytest.raises(ProgramError, match="unknown mnemonic 'fma'"):
        p.emit("fma", 1, 2, 3)
    with pytest.raises(ProgramError, match=r"\(mvin\): operand 'rowz': unknown operand"):
        p.mvin(1, 0, 0, 1, 64, rowz=3)
    with pytest.raises(ProgramError, match=r"\(gather\): operand 'row_stride': missing operand"):
        p.gather(1, 0, 0, 4, 2, 64)
    p.label("x")
    with pytest.raises(ProgramError, match="label 'x' defined twice"):
        p.label("x")
    with pytest.raises(ProgramError, match="program is empty"):
        validate(Program())


# ---------------------------------------------------------------------------
# run-time faults (register-dependent checks) name the instruction too
# ---------------------------------------------------------------------------

def _fault(build, mem=None, **kw):
    p = Program()
    build(p)
    p.halt()
    with pytest.raises(ProgramError) as ei:
        run(p, mem, **kw)
    return p, ei.value


def test_runtime_fault_gather_index_out_of_memory():
    idx = np.array([0, -1000], dtype=np.int32)
    mem = PagedMemory([(BASE, idx.tobytes())])

    def b(p):
        p.li(1, BASE); p.li(2, 2)
        p.mvin(1, 0, 0, 1, 8)
        p.gather(1, 64, 0, 4, 2, 64, 1 << 20)
    p, err = _fault(b, mem)
    assert err.mnemonic == "gather" and err.index == 3 and err.operand == "idx_addr"
    assert "outside memory" in str(err)


def test_runtime_fault_counts_and_addresses():
    def gather_zero(p):
        p.li(1, BASE)
        p.gather(1, 0, 0, 4, 2, 64, 64)          # r2 == 0 at run time
    _, err = _fault(gather_zero)
    assert (err.mnemonic, err.operand) == ("gather", "rs_n") and "counts must be >= 1" in str(err)

    def gather_too_many(p):
        p.li(1, BASE); p.li(2, 5000)
        p.gather(1, 0, 0, 4, 2, 64, 64)
    _, err = _fault(gather_too_many)
    assert err.mnemonic == "gather" and "outside" in str(err)

    def rows_over_max(p):
        p.li(1, BASE); p.li(2, 9)
        p.mvin(1, 0, 0, 8, 64, 64, 2)
    _, err = _fault(rows_over_max)
    assert (err.mnemonic, err.operand) == ("mvin", "rs_rows") and "static maximum 8" in str(err)

    def vec_reg_addr(p):
        p.li(1, 64 * 1024)
        p.vzero(1, 1, 0, 4)
    _, err = _fault(vec_reg_addr)
    assert (err.mnemonic, err.operand) == ("vzero", "rs_addr") and "accumulator access" in str(err)

    def ld_unaligned(p):
        p.li(1, BASE + 2)
        p.ld(2, 1, 0, 4)
    _, err = _fault(ld_unaligned)
    assert (err.mnemonic, err.operand) == ("ld", "rs1") and "aligned" in str(err)

    def negative_dram(p):
        p.li(1, -64)
        p.mvin(1, 0, 0, 1, 64)
    _, err = _fault(negative_dram)
    assert (err.mnemonic, err.operand) == ("mvin", "rs_dram")

    def bad_jalr(p):
        p.li(1, 0x1002)
        p.jalr(0, 1, 0)
    _, err = _fault(bad_jalr)
    assert err.mnemonic == "jalr" and "not the PC of an instruction" in str(err)


def test_fall_off_end_and_instruction_limit():
    p = Program()
    p.li(1, 1)
    with pytest.raises(ProgramError, match="ran past the last instruction"):
        run(p)
    p = Program()
    p.li(1, 0)
    p.label("spin")
    p.addi(1, 1, 1)
    p.j("spin")
    p.halt()
    with pytest.raises(InstructionLimitExceeded) as ei:
        run(p, max_instructions=10_001)
    assert "instruction limit of 10001 exceeded" in str(ei.value)
    assert ei.value.mnemonic in ("addi", "jal")


# ---------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------

def _every_opcode_program():
    p = Program(pc_base=0x8000)
    p.label("top")
    args = {
        "rd": 3, "rs": 4, "rs1": 5, "rs2": 6, "imm": -12345, "target": "top", "size": 4,
    }
    for name, spec in OPCODES.items():
        vals = []
        for i, f in enumerate(spec.fields):
            if f.kind == "label":
                vals.append("top")
            elif f.kind in ("rd", "rs"):
                vals.append((i * 3 + spec.code) % 32)
            elif f.kind == "fimm":
                vals.append(-0.1)
            else:
                vals.append(args.get(f.name, spec.code * 100 + i))
        p.emit(name, *vals)
    p.halt()
    return p


def test_encoding_round_trip_all_opcodes():
    p = _every_opcode_program()
    code = p.encode()
    assert code.shape == (len(OPCODES) + 1, ENCODING_WIDTH) and code.dtype == np.int64
    q = decode(code, pc_base=0x8000)
    assert q == p
    np.testing.assert_array_equal(q.encode(), code)
    assert [i.op for i in q] == [i.op for i in p]
    # a program with labels, loops and float operands
    from npusim import workloads
    w = workloads.get("spmm", size="small")
    q = decode(w.program.encode(), pc_base=w.program.pc_base)
    assert q == w.program
    assert run(q, w.memory_image()).instructions == w.run()[0].instructions


def test_encoding_columns():
    p = Program(pc_base=0x2000)
    p.label("a")
    p.vscale(1, 7, 64, 16, 0, 1.5)
    p.blt(1, 2, "a")
    p.gather(1, 128, 64, 8, 2, 64, 256)
    code = p.encode()
    assert list(code[0]) == [Opcode.VSCALE, 1, 7, 64, 16, 0, f32_bits(1.5), 0]
    assert f32_bits(1.5) == 0x3FC00000
    assert list(code[1]) == [0x22, 1, 2, 0x2000, 0, 0, 0, 0]   # target = absolute PC
    assert list(code[2]) == [0x34, 1, 128, 64, 8, 2, 64, 256]


def test_decode_rejects_garbage():
    with pytest.raises(ProgramError, match="unknown opcode"):
        decode(np.array([[0x7F, 0, 0, 0, 0, 0, 0, 0]]))
    with pytest.raises(ProgramError, match="unused column 3 is 5"):
        decode(np.array([[Opcode.MOV, 1, 2, 5, 0, 0, 0, 0]]))
    with pytest.raises(ProgramError, match="branch target"):
        decode(np.array([[Opcode.BEQ, 1, 2, 0x1002, 0, 0, 0, 0]]))
    with pytest.raises(ProgramError, match="shape"):
        decode(np.zeros((2, 5), dtype=np.int64))
    p = Program()
    p.bne(1, 2, "missing")
    with pytest.raises(ProgramError, match="undefined label 'missing'"):
        p.encode()


def test_opcode_table_consistent():
    codes = [s.code for s in OPCODES.values()]
    assert len(set(codes)) == len(codes) and 0 not in codes
    for name, spec in OPCODES.items():
        assert Opcode[name.upper()] == spec.code
        assert BY_CODE[spec.code] is spec
        assert len(spec.fields) <= ENCODING_WIDTH - 1
        assert spec.unit in ("scalar", "load", "exec", "store")
    table = opcode_table()
    assert {t["mnemonic"] for t in table} == set(OPCODES)
    hdr = cpp_header()
    for name, spec in OPCODES.items():
        assert f"{name.upper()} = {spec.code:#04x}," in hdr
    assert "constexpr int kGather_rs_n = 5;" in hdr
    required = {"li", "add", "addi", "sub", "mul", "shl", "shr", "and", "or", "slt", "sltu", "mov",
                "beq", "bne", "blt", "bge", "jal", "halt", "ld", "mvin", "mvout", "gather",
                "scatter", "matmul", "vscale", "vadd", "vmacc", "vrelu", "vzero"}
    assert required <= set(OPCODES)


def test_docs_table_lists_every_opcode():
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "isa.md")
    text = open(path).read()
    for name, spec in OPCODES.items():
        assert f"`{name}`" in text, name
        assert f"0x{spec.code:02x}" in text, name


# ---------------------------------------------------------------------------
# paged memory
# ---------------------------------------------------------------------------

def test_paged_memory_cross_page_rows():
    mem = PagedMemory()
    data = np.arange(10000, dtype=np.uint8)
    mem.write(4090, data)
    np.testing.assert_array_equal(mem.read(4090, 10000), data)
    assert mem.read(0, 16).sum() == 0           # unwritten reads as zero
    rows = mem.read_rows(np.array([4090, 4095, 20000]), 8)
    np.testing.assert_array_equal(rows[0], data[:8])
    np.testing.assert_array_equal(rows[1], data[5:13])
    assert rows[2].sum() == 0
    mem.write_rows(np.array([8190, 8192]), np.array([[1, 2, 3, 4], [9, 9, 9, 9]], np.uint8))
    np.testing.assert_array_equal(mem.read(8190, 6), [1, 2, 9, 9, 9, 9])
    regions = mem.regions()
    assert regions[0][0] == 0 and len(regions[0][1]) == 4 * 4096
