"""Functional golden interpreter for the NPU ISA.

It defines what every instruction means (docs/isa.md is its prose form);
the cycle-level C++ NPU must produce the same memory contents. Each
instruction is pre-compiled into a small closure that returns the index of
the next instruction, so scalar loops run at a few million instructions per
second and data movement is vectorised with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

from .config import NPUConfig
from .memory import PagedMemory
from .opcodes import OPCODES
from .program import InstructionLimitExceeded, Program, ProgramError
from .validate import SPACE_NAMES, validate

_M64 = (1 << 64) - 1
_B63 = 1 << 63
DEFAULT_MAX_INSTRUCTIONS = 20_000_000


def wrap64(v: int) -> int:
    """Two's-complement wrap of a Python int to int64."""
    return ((v + _B63) & _M64) - _B63


@dataclass
class RunResult:
    """What :func:`run` returns."""

    memory: PagedMemory
    regs: List[int]
    counts: Dict[str, int]          # executed instructions per mnemonic
    instructions: int               # total executed (halt included)
    spad: np.ndarray                # final scratchpad bytes (uint8)
    acc: np.ndarray                 # final accumulator (float32 elements)
    halt_pc: int
    counts_by_group: Dict[str, int] = field(default_factory=dict)

    def read(self, addr: int, nbytes: int) -> bytes:
        return self.memory.read_bytes(addr, nbytes)

    def read_array(self, addr: int, dtype, shape) -> np.ndarray:
        return self.memory.read_array(addr, dtype, shape)


class _Machine:
    def __init__(self, program: Program, cfg: NPUConfig, memory: PagedMemory):
        self.p = program
        self.cfg = cfg
        self.mem = memory
        self.x = [0] * cfg.num_regs
        self.spad = np.zeros(cfg.spad_bytes, dtype=np.uint8)
        self.spf = self.spad.view(np.float32)
        self.acc = np.zeros(cfg.acc_bytes // 4, dtype=np.float32)
        self.accb = self.acc.view(np.uint8)
        self.spaces_f = (self.spf, self.acc)
        self.spaces_b = (self.spad, self.accb)

    # ---- faults -------------------------------------------------------------
    def fault(self, i: int, operand: Optional[str], detail: str):
        raise ProgramError(detail, index=i, pc=self.p.pc(i), mnemonic=self.p.instrs[i].op,
                           operand=operand)

    def check_count(self, i, operand, n, maximum=None):
        if n < 1:
            self.fault(i, operand, f"count from register is {n}; counts must be >= 1")
        if maximum is not None and n > maximum:
            self.fault(i, operand, f"count from register is {n}, above the static maximum {maximum}")
        return n

    def check_dram(self, i, operand, lo, hi, align=4):
        """Bytes [lo, hi) of DRAM are accessed; lo must be `align`-aligned."""
        if lo < 0 or hi > self.cfg.mem_bytes:
            self.fault(i, operand, f"DRAM access [{lo:#x}, {hi:#x}) outside memory [0, {self.cfg.mem_bytes:#x})")
        if lo % align:
            self.fault(i, operand, f"DRAM address {lo:#x} is not {align}-byte aligned")

    def check_local(self, i, operand, space, addr, nbytes, align=4):
        size = self.cfg.space_bytes(space)
        if addr % align:
            self.fault(i, operand, f"{SPACE_NAMES[space]} address {addr:#x} is not {align}-byte aligned")
        if addr < 0 or addr + nbytes > size:
            self.fault(i, operand, f"{SPACE_NAMES[space]} access [{addr:#x}, {addr + nbytes:#x}) outside "
                                   f"[0, {size:#x})")

    # ---- compilation ----------------------------------------------------------
    def compile(self) -> List[Callable[[], int]]:
        ops = []
        resolved = self.p.resolved()
        for i, (op, args) in enumerate(resolved):
            ops.append(getattr(self, "_c_" + op)(i, i + 1, *args))
        n = len(ops)

        def fell_off():
            raise ProgramError(f"execution ran past the last instruction (pc {self.p.pc(n):#x}) "
                               f"without halt", index=n - 1, pc=self.p.pc(n - 1),
                               mnemonic=self.p.instrs[n - 1].op)
        ops.append(fell_off)
        return ops

    # control
    def _c_halt(self, i, nxt):
        def op():
            self.halt_index = i
            return -1
        return op

    def _c_nop(self, i, nxt):
        return lambda: nxt

    # scalar ALU ------------------------------------------------------------
    def _alu(self, i, nxt, d, fn):
        x = self.x
        if d == 0:
            return lambda: nxt

        def op():
            x[d] = fn()
            return nxt
        return op

    def _c_li(self, i, nxt, d, imm):
        x = self.x
        if d == 0:
            return lambda: nxt

        def op():
            x[d] = imm
            return nxt
        return op

    def _c_mov(self, i, nxt, d, s):
        x = self.x
        return self._alu(i, nxt, d, lambda: x[s])

    def _c_add(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64(x[a] + x[b]))

    def _c_addi(self, i, nxt, d, a, imm):
        x = self.x
        if d == 0:
            return lambda: nxt
        if d == a and -(1 << 31) <= imm < (1 << 31):
            # common loop-counter case: only wrap when leaving the int64 range
            def op():
                v = x[d] + imm
                x[d] = v if -_B63 <= v < _B63 else wrap64(v)
                return nxt
            return op
        return self._alu(i, nxt, d, lambda: wrap64(x[a] + imm))

    def _c_sub(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64(x[a] - x[b]))

    def _c_mul(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64(x[a] * x[b]))

    def _c_shl(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64(x[a] << (x[b] & 63)))

    def _c_shli(self, i, nxt, d, a, imm):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64(x[a] << imm))

    def _c_shr(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64((x[a] & _M64) >> (x[b] & 63)))

    def _c_shri(self, i, nxt, d, a, imm):
        x = self.x
        return self._alu(i, nxt, d, lambda: wrap64((x[a] & _M64) >> imm))

    def _c_and(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: x[a] & x[b])

    def _c_andi(self, i, nxt, d, a, imm):
        x = self.x
        return self._alu(i, nxt, d, lambda: x[a] & imm)

    def _c_or(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: x[a] | x[b])

    def _c_xor(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: x[a] ^ x[b])

    def _c_slt(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: 1 if x[a] < x[b] else 0)

    def _c_sltu(self, i, nxt, d, a, b):
        x = self.x
        return self._alu(i, nxt, d, lambda: 1 if (x[a] & _M64) < (x[b] & _M64) else 0)

    # branches ------------------------------------------------------------
    def _c_beq(self, i, nxt, a, b, t):
        x = self.x
        return lambda: t if x[a] == x[b] else nxt

    def _c_bne(self, i, nxt, a, b, t):
        x = self.x
        return lambda: t if x[a] != x[b] else nxt

    def _c_blt(self, i, nxt, a, b, t):
        x = self.x
        return lambda: t if x[a] < x[b] else nxt

    def _c_bge(self, i, nxt, a, b, t):
        x = self.x
        return lambda: t if x[a] >= x[b] else nxt

    def _c_jal(self, i, nxt, d, t):
        x = self.x
        link = self.p.pc(nxt)
        if d == 0:
            return lambda: t

        def op():
            x[d] = link
            return t
        return op

    def _c_jalr(self, i, nxt, d, a, imm):
        x, p = self.x, self.p
        link = p.pc(nxt)
        n = len(p)

        def op():
            tgt = wrap64(x[a] + imm)
            off = tgt - p.pc_base
            if off % 4 or not 0 <= off // 4 < n:
                self.fault(i, "rs1", f"jump target {tgt:#x} is not the PC of an instruction")
            if d:
                x[d] = link
            return off // 4
        return op

    # scalar load -----------------------------------------------------------
    def _c_ld(self, i, nxt, d, a, imm, size):
        x, mem = self.x, self.mem

        def op():
            addr = x[a] + imm
            if addr < 0 or addr + size > self.cfg.mem_bytes or addr % size:
                self.check_dram(i, "rs1", addr, addr + size, size)
            v = int.from_bytes(mem.read(addr, size).tobytes(), "little", signed=True)
            if d:
                x[d] = v
            return nxt
        return op

    # DMA ----------------------------------------------------------------------
    def _mv(self, i, nxt, rs, off, addr, rows, rb, stride, rsr, space, to_local):
        x, mem, cfg = self.x, self.mem, self.cfg
        local = self.spaces_b[space]
        pitch = cfg.pitch(rb)

        def op():
            n = rows if rsr == 0 else self.check_count(i, "rs_rows", x[rsr], rows)
            base = x[rs] + off
            self.check_dram(i, "rs_dram", base, base + (n - 1) * stride + rb)
            if to_local:
                if n == 1 or (stride == rb):
                    data = mem.read(base, n * rb)
                else:
                    data = mem.read_rows(base + np.arange(n, dtype=np.int64) * stride, rb)
                if pitch == rb:
                    local[addr:addr + n * rb] = data.reshape(-1)
                else:
                    local[addr:addr + n * pitch].reshape(n, pitch)[:, :rb] = data.reshape(n, rb)
            else:
                if pitch == rb:
                    data = local[addr:addr + n * rb]
                else:
                    data = local[addr:addr + n * pitch].reshape(n, pitch)[:, :rb]
                if n == 1 or stride == rb:
                    mem.write(base, np.ascontiguousarray(data).reshape(-1))
                else:
                    mem.write_rows(base + np.arange(n, dtype=np.int64) * stride, data.reshape(n, rb))
            return nxt
        return op

    def _c_mvin(self, i, nxt, *a):
        return self._mv(i, nxt, *a, space=0, to_local=True)

    def _c_mvin_acc(self, i, nxt, *a):
        return self._mv(i, nxt, *a, space=1, to_local=True)

    def _c_mvout(self, i, nxt, *a):
        return self._mv(i, nxt, *a, space=0, to_local=False)

    def _c_mvout_acc(self, i, nxt, *a):
        return self._mv(i, nxt, *a, space=1, to_local=False)

    def _indexed(self, i, nxt, rs_base, addr, idx_addr, idx_size, rs_n, rb, stride, gather):
        x, mem, cfg, spad = self.x, self.mem, self.cfg, self.spad
        pitch = cfg.pitch(rb)
        idx_dtype = np.dtype("<i4") if idx_size == 4 else np.dtype("<i8")

        def op():
            n = self.check_count(i, "rs_n", x[rs_n])
            self.check_local(i, "rs_n", 0, addr, n * pitch)
            self.check_local(i, "rs_n", 0, idx_addr, n * idx_size, idx_size)
            idx = spad[idx_addr:idx_addr + n * idx_size].view(idx_dtype).astype(np.int64)
            base = x[rs_base]
            lo = int(idx.min()) * stride + base
            hi = int(idx.max()) * stride + base + rb
            if stride == 0:
                lo, hi = base, base + rb
            self.check_dram(i, "idx_addr", lo, hi)
            starts = base + idx * stride
            if gather:
                data = mem.read_rows(starts, rb)
                if pitch == rb:
                    spad[addr:addr + n * rb] = data.reshape(-1)
                else:
                    spad[addr:addr + n * pitch].reshape(n, pitch)[:, :rb] = data
            else:
                data = spad[addr:addr + n * pitch].reshape(n, pitch)[:, :rb]
                mem.write_rows(starts, data)
            return nxt
        return op

    def _c_gather(self, i, nxt, *a):
        return self._indexed(i, nxt, *a, gather=True)

    def _c_scatter(self, i, nxt, *a):
        return self._indexed(i, nxt, *a, gather=False)

    def _indexed_r(self, i, nxt, rs_base, rs_idx, addr, rb, stride, gather):
        x, mem, spad = self.x, self.mem, self.spad

        def op():
            start = x[rs_base] + x[rs_idx] * stride
            self.check_dram(i, "rs_idx", start, start + rb)
            if gather:
                spad[addr:addr + rb] = mem.read(start, rb)
            else:
                mem.write(start, spad[addr:addr + rb])
            return nxt
        return op

    def _c_gather_r(self, i, nxt, *a):
        return self._indexed_r(i, nxt, *a, gather=True)

    def _c_scatter_r(self, i, nxt, *a):
        return self._indexed_r(i, nxt, *a, gather=False)

    # matmul ---------------------------------------------------------------
    def _c_matmul(self, i, nxt, a, b, c, m, k, n, flags):
        D = self.cfg.dim
        A = self.spf[a // 4:a // 4 + m * D].reshape(m, D)[:, :k]
        if flags & 2:
            B = self.spf[b // 4:b // 4 + n * D].reshape(n, D)[:, :k].T
        else:
            B = self.spf[b // 4:b // 4 + k * D].reshape(k, D)[:, :n]
        C = self.acc[c // 4:c // 4 + m * D].reshape(m, D)[:, :n]
        accumulate = bool(flags & 1)
        f64 = np.float64

        def op():
            prod = A.astype(f64) @ B.astype(f64)
            if accumulate:
                prod += C
            C[...] = prod
            return nxt
        return op

    # vector unit -------------------------------------------------------------
    def _vview(self, i, operand, space, rs, off, n):
        """Returns a function giving the float32 view at x[rs] + off."""
        arr = self.spaces_f[space]
        if rs == 0:
            view = arr[off // 4:off // 4 + n]
            return lambda: view
        x = self.x

        def get():
            addr = x[rs] + off
            if addr % 4 or addr < 0 or addr + 4 * n > arr.size * 4:
                self.check_local(i, operand, space, addr, 4 * n)
            return arr[addr // 4:addr // 4 + n]
        return get

    def _c_vzero(self, i, nxt, space, rs, off, n):
        v = self._vview(i, "rs_addr", space, rs, off, n)

        def op():
            v()[...] = 0
            return nxt
        return op

    def _c_vrelu(self, i, nxt, space, rs, off, n):
        v = self._vview(i, "rs_addr", space, rs, off, n)

        def op():
            t = v()
            np.maximum(t, 0, out=t)
            return nxt
        return op

    def _scalar_f32(self, rs, fimm):
        if rs == 0:
            s = np.float32(fimm)
            return lambda: s
        x = self.x
        return lambda: np.uint32(x[rs] & 0xFFFFFFFF).view(np.float32)

    def _c_vscale(self, i, nxt, space, rs, off, n, rs_s, fimm):
        v = self._vview(i, "rs_addr", space, rs, off, n)
        s = self._scalar_f32(rs_s, fimm)

        def op():
            t = v()
            np.multiply(t, s(), out=t)
            return nxt
        return op

    def _v2(self, i, nxt, rd, doff, rs, soff, n, spaces, fn):
        dst = self._vview(i, "rs_dst", spaces & 1, rd, doff, n)
        src = self._vview(i, "rs_src", (spaces >> 1) & 1, rs, soff, n)

        def op():
            fn(dst(), src())
            return nxt
        return op

    def _c_vadd(self, i, nxt, *a):
        return self._v2(i, nxt, *a, fn=lambda d, s: np.add(d, s, out=d))

    def _c_vmul(self, i, nxt, *a):
        return self._v2(i, nxt, *a, fn=lambda d, s: np.multiply(d, s, out=d))

    def _c_vmax(self, i, nxt, *a):
        return self._v2(i, nxt, *a, fn=lambda d, s: np.maximum(d, s, out=d))

    def _c_vmov(self, i, nxt, *a):
        def mov(d, s):
            d[...] = s
        return self._v2(i, nxt, *a, fn=mov)

    def _c_vmacc(self, i, nxt, rd, doff, rs, soff, n, rs_w, fimm):
        dst = self._vview(i, "rs_dst", 1, rd, doff, n)
        src = self._vview(i, "rs_src", 0, rs, soff, n)
        w = self._scalar_f32(rs_w, fimm)
        tmp = np.empty(n, dtype=np.float32)

        def op():
            d = dst()
            np.multiply(src(), w(), out=tmp)   # rounded to float32 ...
            np.add(d, tmp, out=d)              # ... then added (no fused multiply-add)
            return nxt
        return op


def run(program: Program, memory=None, config=None, *,
        max_instructions: int = DEFAULT_MAX_INSTRUCTIONS,
        regs: Optional[Dict[int, int]] = None,
        trace: Optional[Callable[[int, int, List[int]], None]] = None,
        check: bool = True) -> RunResult:
    """Execute ``program`` functionally.

    ``memory``: a :class:`PagedMemory` (used and modified in place), or an
    iterable of ``(address, bytes)`` regions, or None (empty memory).
    ``regs``: initial register values {number: value}.
    ``trace``: if given, called before every instruction as
    ``trace(index, pc, regs)`` (slow; for debugging and stream dumps).
    Raises :class:`ProgramError` for malformed programs and run-time faults,
    and :class:`InstructionLimitExceeded` after ``max_instructions``.
    """
    cfg = NPUConfig.coerce(config)
    if check:
        validate(program, cfg)
    if memory is None:
        mem = PagedMemory()
    elif isinstance(memory, PagedMemory):
        mem = memory
    else:
        mem = PagedMemory(memory)
    m = _Machine(program, cfg, mem)
    for r, v in (regs or {}).items():
        if r:
            m.x[r] = wrap64(int(v))
    ops = m.compile()
    n = len(program)
    hits = [0] * (n + 1)
    limit = int(max_instructions)
    executed = 0
    i = 0
    with np.errstate(all="ignore"):
        if trace is None:
            while i >= 0:
                executed += 1
                if executed > limit:
                    break
                hits[i] += 1
                i = ops[i]()
        else:
            x = m.x
            while i >= 0:
                executed += 1
                if executed > limit:
                    break
                hits[i] += 1
                trace(i, program.pc(i), x)
                i = ops[i]()
    if i >= 0:
        raise InstructionLimitExceeded(
            f"instruction limit of {limit} exceeded (still running at this instruction); "
            f"infinite loop? raise max_instructions if the program is just long",
            index=i, pc=program.pc(i), mnemonic=program.instrs[i].op)
    counts: Dict[str, int] = {}
    groups: Dict[str, int] = {}
    for idx, h in enumerate(hits[:n]):
        if h:
            op = program.instrs[idx].op
            counts[op] = counts.get(op, 0) + h
            g = OPCODES[op].group
            groups[g] = groups.get(g, 0) + h
    return RunResult(memory=mem, regs=list(m.x), counts=counts, instructions=sum(hits),
                     spad=m.spad, acc=m.acc, halt_pc=program.pc(m.halt_index),
                     counts_by_group=groups)
