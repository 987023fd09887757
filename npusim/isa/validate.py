"""Static validation of NPU programs.

:func:`validate` is the one place that decides whether a program is well
formed for a given NPU geometry; the interpreter calls it before running and
the C++-side wrapper calls it before handing a program to the timing model.
Checks that depend on register values (addresses and counts taken from
registers) can only be done while running; the interpreter does them and
reports them in the same format.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List

import numpy as np

from .config import NPUConfig
from .opcodes import OPCODES
from .program import Program, ProgramError

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
SPACE_NAMES = ("scratchpad", "accumulator")


class _Checker:
    def __init__(self, program: Program, cfg: NPUConfig):
        self.p = program
        self.cfg = cfg
        self.errors: List[ProgramError] = []
        self.i = 0
        self.ins = None

    def err(self, operand, detail):
        self.errors.append(ProgramError(detail, index=self.i, pc=self.p.pc(self.i),
                                        mnemonic=self.ins.op, operand=operand))

    # -- helpers over the current instruction's operands -----------------
    def v(self, name):
        return self.ins[name]

    def positive(self, name) -> bool:
        if self.v(name) <= 0:
            self.err(name, f"count must be >= 1, got {self.v(name)}")
            return False
        return True

    def multiple(self, name, m, what="") -> bool:
        val = self.v(name)
        if val % m:
            self.err(name, f"{val:#x} is not {what or f'a multiple of {m}'}")
            return False
        return True

    def nonneg(self, name) -> bool:
        if self.v(name) < 0:
            self.err(name, f"must be >= 0, got {self.v(name)}")
            return False
        return True

    def row_bytes(self, name="row_bytes") -> bool:
        ok = self.positive(name)
        return ok and self.multiple(name, 4, "a multiple of 4 (float32 elements)")

    def span(self, name, space, addr, nbytes, row_aligned) -> bool:
        """Static address `addr` .. addr+nbytes inside `space`, aligned."""
        size = self.cfg.space_bytes(space)
        sname = SPACE_NAMES[space]
        align = self.cfg.row_bytes if row_aligned else 4
        if addr % align:
            what = f"aligned to a {sname} row ({align} bytes)" if row_aligned else "4-byte aligned"
            self.err(name, f"{sname} address {addr:#x} is not {what}")
            return False
        if addr < 0 or addr >= size:
            self.err(name, f"{sname} address {addr:#x} out of range [0, {size:#x})")
            return False
        if addr + nbytes > size:
            self.err(name, f"transfer [{addr:#x}, {addr + nbytes:#x}) runs past the end of the "
                           f"{sname} ({size:#x} bytes)")
            return False
        return True


def _check_mv(c: _Checker, space: int):
    ok = c.positive("rows") & c.row_bytes() & c.nonneg("dram_stride")
    ok &= c.multiple("dram_stride", 4, "a multiple of 4") & c.multiple("dram_off", 4, "a multiple of 4")
    if ok:
        c.span("addr", space, c.v("addr"), c.v("rows") * c.cfg.pitch(c.v("row_bytes")), True)


def _check_gather(c: _Checker):
    ok = c.row_bytes() & c.nonneg("row_stride")
    ok &= c.multiple("row_stride", 4, "a multiple of 4")
    size = c.v("idx_size")
    if size not in (4, 8):
        c.err("idx_size", f"index size must be 4 or 8 bytes, got {size}")
    else:
        c.span("idx_addr", 0, c.v("idx_addr"), size, False) and c.multiple(
            "idx_addr", size, f"aligned to the index size ({size} bytes)")
    if c.v("rs_n") == 0:
        c.err("rs_n", "count register is r0, so the count would be 0 (counts must be >= 1)")
    if ok:
        c.span("addr", 0, c.v("addr"), c.cfg.pitch(c.v("row_bytes")), True)


def _check_gather_r(c: _Checker):
    ok = c.row_bytes() & c.nonneg("row_stride") & c.multiple("row_stride", 4, "a multiple of 4")
    if ok:
        c.span("addr", 0, c.v("addr"), c.cfg.pitch(c.v("row_bytes")), True)


def _check_matmul(c: _Checker):
    d = c.cfg.dim
    ok = True
    for name in ("m", "k", "n"):
        val = c.v(name)
        if not 1 <= val <= d:
            c.err(name, f"matrix dimension must be in 1..DIM={d}, got {val}")
            ok = False
    flags = c.v("flags")
    if flags & ~3:
        c.err("flags", f"unknown flag bits {flags:#x} (bit0 accumulate, bit1 transpose B)")
    if not ok:
        return
    rb = c.cfg.row_bytes
    m, k, n = c.v("m"), c.v("k"), c.v("n")
    c.span("a", 0, c.v("a"), m * rb, True)
    c.span("b", 0, c.v("b"), (n if flags & 2 else k) * rb, True)
    c.span("c", 1, c.v("c"), m * rb, True)


def _check_v1(c: _Checker):
    space = c.v("space")
    if space not in (0, 1):
        c.err("space", f"must be 0 (scratchpad) or 1 (accumulator), got {space}")
        return
    if not c.positive("n"):
        return
    _vaddr(c, "rs_addr", "addr_off", space)


def _vaddr(c: _Checker, rs_name, off_name, space):
    nbytes = 4 * c.v("n")
    if c.v(rs_name) == 0:
        c.span(off_name, space, c.v(off_name), nbytes, False)
    else:
        c.multiple(off_name, 4, "4-byte aligned")
        size = c.cfg.space_bytes(space)
        if nbytes > size:
            c.err("n", f"{c.v('n')} elements do not fit in the {SPACE_NAMES[space]}")


def _check_v2(c: _Checker):
    spaces = c.v("spaces")
    if spaces & ~3:
        c.err("spaces", f"unknown bits {spaces:#x} (bit0 dst in accumulator, bit1 src in accumulator)")
        return
    if not c.positive("n"):
        return
    _vaddr(c, "rs_dst", "dst_off", spaces & 1)
    _vaddr(c, "rs_src", "src_off", (spaces >> 1) & 1)


def _check_vmacc(c: _Checker):
    if not c.positive("n"):
        return
    _vaddr(c, "rs_dst", "dst_off", 1)
    _vaddr(c, "rs_src", "src_off", 0)


def _check_shift_imm(c: _Checker):
    if not 0 <= c.v("imm") <= 63:
        c.err("imm", f"shift amount must be in 0..63, got {c.v('imm')}")


def _check_ld(c: _Checker):
    if c.v("size") not in (4, 8):
        c.err("size", f"load size must be 4 or 8 bytes, got {c.v('size')}")


_SEMANTIC: Dict[str, Callable[[_Checker], None]] = {
    "shli": _check_shift_imm,
    "shri": _check_shift_imm,
    "ld": _check_ld,
    "mvin": lambda c: _check_mv(c, 0),
    "mvout": lambda c: _check_mv(c, 0),
    "mvin_acc": lambda c: _check_mv(c, 1),
    "mvout_acc": lambda c: _check_mv(c, 1),
    "gather": _check_gather,
    "scatter": _check_gather,
    "gather_r": _check_gather_r,
    "scatter_r": _check_gather_r,
    "matmul": _check_matmul,
    "vzero": _check_v1,
    "vrelu": _check_v1,
    "vscale": _check_v1,
    "vadd": _check_v2,
    "vmul": _check_v2,
    "vmax": _check_v2,
    "vmov": _check_v2,
    "vmacc": _check_vmacc,
}


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def collect_errors(program: Program, config=None) -> List[ProgramError]:
    """Every static problem of ``program`` (empty list if it is well formed)."""
    cfg = NPUConfig.coerce(config)
    c = _Checker(program, cfg)
    n = len(program)
    if n == 0:
        c.errors.append(ProgramError("program is empty"))
    for i, ins in enumerate(program.instrs):
        c.i, c.ins = i, ins
        spec = OPCODES.get(ins.op)
        if spec is None:
            c.err(None, f"unknown mnemonic {ins.op!r}")
            continue
        if len(ins.args) != len(spec.fields):
            c.err(None, f"has {len(ins.args)} operands, expected {len(spec.fields)}")
            continue
        before = len(c.errors)
        for f, v in zip(spec.fields, ins.args):
            if f.kind in ("rd", "rs"):
                if not _is_int(v) or not 0 <= v < cfg.num_regs:
                    c.err(f.name, f"bad register {v!r} (registers are r0..r{cfg.num_regs - 1})")
            elif f.kind == "imm":
                if not _is_int(v):
                    c.err(f.name, f"integer immediate expected, got {v!r}")
                elif not _INT64_MIN <= v <= _INT64_MAX:
                    c.err(f.name, f"immediate {v} does not fit in int64")
            elif f.kind == "fimm":
                if not isinstance(v, (float, int, np.floating, np.integer)) or isinstance(v, bool):
                    c.err(f.name, f"float immediate expected, got {v!r}")
                elif not math.isfinite(float(v)) or abs(float(v)) > float(np.finfo(np.float32).max):
                    c.err(f.name, f"float immediate {v!r} is not a finite float32")
            elif f.kind == "label":
                if isinstance(v, str):
                    if v not in program.labels:
                        c.err(f.name, f"undefined label {v!r}")
                        continue
                    t = program.labels[v]
                    if t >= n:
                        c.err(f.name, f"label {v!r} points past the last instruction")
                elif _is_int(v):
                    if not 0 <= v < n:
                        c.err(f.name, f"branch target index {v} outside the program (0..{n - 1})")
                else:
                    c.err(f.name, f"label expected, got {v!r}")
        if len(c.errors) == before and ins.op in _SEMANTIC:
            _SEMANTIC[ins.op](c)
    return c.errors


def validate(program: Program, config=None) -> None:
    """Raise :class:`ProgramError` if ``program`` is malformed for ``config``.

    ``config`` is an :class:`NPUConfig`, None (the defaults), a dict or an
    object with ``dim``/``spad_bytes``/``acc_bytes``/``num_regs``
    attributes. The error names the first bad instruction (index, PC,
    mnemonic) and operand; ``err.errors`` holds all of them.
    """
    errors = collect_errors(program, config)
    if errors:
        first = errors[0]
        raise ProgramError(first.detail, first.index, first.pc, first.mnemonic, first.operand,
                           errors=errors)
