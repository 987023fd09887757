"""NPU programs: instructions, the builder, encoding and decoding."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

from .opcodes import (BY_CODE, ENCODING_WIDTH, INSTR_BYTES, OPCODES, OpSpec)

DEFAULT_PC_BASE = 0x1000
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


class ProgramError(ValueError):
    """A malformed instruction (static validation) or a fault while running.

    The message always names the instruction (index, PC and mnemonic) and,
    when one is at fault, the operand. ``errors`` lists every problem found
    (the message shows the first).
    """

    def __init__(self, detail: str, index: Optional[int] = None, pc: Optional[int] = None,
                 mnemonic: Optional[str] = None, operand: Optional[str] = None,
                 errors: Optional[list] = None):
        self.detail = detail
        self.index = index
        self.pc = pc
        self.mnemonic = mnemonic
        self.operand = operand
        self.errors = errors if errors is not None else [self]
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.index is not None:
            where = f"instruction #{self.index}"
            if self.pc is not None:
                where += f" at pc {self.pc:#x}"
            if self.mnemonic:
                where += f" ({self.mnemonic})"
            parts.append(where)
        if self.operand:
            parts.append(f"operand '{self.operand}'")
        msg = ": ".join(parts + [self.detail]) if parts else self.detail
        if len(self.errors) > 1:
            msg += f" (and {len(self.errors) - 1} more error(s))"
        return msg


class InstructionLimitExceeded(ProgramError):
    """The interpreter executed more instructions than allowed (likely an infinite loop)."""


_REG_RE = re.compile(r"^[rx](\d+)$")


def parse_reg(value):
    """Register operand -> int. Accepts ints and 'r5' / 'x5' / 'zero'.

    Anything unparseable is returned unchanged, for the validator to report.
    """
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v == "zero":
            return 0
        m = _REG_RE.match(v)
        if m:
            return int(m.group(1))
    return value


def f32(value) -> float:
    """Round a Python number to the nearest float32, returned as a float."""
    return float(np.float32(value))


def f32_bits(value: float) -> int:
    return int(np.array([value], dtype=np.float32).view(np.uint32)[0])


def bits_f32(bits: int) -> float:
    return float(np.array([bits & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0])


@dataclass(frozen=True)
class Instr:
    """One instruction: mnemonic and operand values in the table's field order.

    Label fields hold a label name (str) as written, or an int instruction
    index (after decoding / when given directly).
    """

    op: str
    args: Tuple

    @property
    def spec(self) -> OpSpec:
        return OPCODES[self.op]

    def __getitem__(self, field_name: str):
        return self.args[self.spec.field_names.index(field_name)]

    def operands(self) -> Dict[str, object]:
        return dict(zip(self.spec.field_names, self.args))

    def __str__(self) -> str:
        spec = OPCODES.get(self.op)
        if spec is None:
            return f"{self.op} {self.args}"
        if self.op == "ld" and all(isinstance(a, int) for a in self.args):
            rd, rs1, imm, size = self.args
            return f"ld r{rd}, [r{rs1} + {imm}], {size}"
        parts = []
        for f, v in zip(spec.fields, self.args):
            if f.kind in ("rd", "rs") and isinstance(v, int):
                parts.append(f"r{v}")
            elif f.kind == "imm" and isinstance(v, int) and abs(v) >= 4096:
                parts.append(hex(v))
            else:
                parts.append(str(v))
        return f"{self.op} " + ", ".join(parts) if parts else self.op


class Program:
    """An NPU program and its builder.

    Build with one method per mnemonic (``p.addi(1, 1, 4)``; ``and``/``or``
    are ``and_``/``or_``), labels with ``p.label("loop")`` and branch
    targets by label name. Operands may be positional (table order) or
    keywords; trailing operands with defaults may be omitted. Nothing is
    checked while building: :func:`npusim.isa.validate` reports malformed
    instructions, naming them.
    """

    def __init__(self, pc_base: int = DEFAULT_PC_BASE, name: str = ""):
        if pc_base % INSTR_BYTES:
            raise ValueError(f"pc_base {pc_base:#x} must be a multiple of {INSTR_BYTES}")
        self.pc_base = int(pc_base)
        self.name = name
        self.instrs: List[Instr] = []
        self.labels: Dict[str, int] = {}

    # ---- building ---------------------------------------------------------
    def label(self, name: str) -> str:
        """Define ``name`` at the next instruction; returns the name."""
        if not isinstance(name, str) or not name:
            raise ProgramError(f"label name must be a non-empty string, got {name!r}")
        if name in self.labels:
            raise ProgramError(f"label {name!r} defined twice (at #{self.labels[name]} and #{len(self.instrs)})",
                               index=len(self.instrs), pc=self.pc(len(self.instrs)), operand="label")
        self.labels[name] = len(self.instrs)
        return name

    def new_label(self, stem: str = "L") -> str:
        """A fresh label name, unused so far (define it later with :meth:`label`)."""
        self._next_label = getattr(self, "_next_label", 0)
        while True:
            name = f".{stem}{self._next_label}"
            self._next_label += 1
            if name not in self.labels:
                return name

    def emit(self, op: str, *args, **kwargs) -> int:
        """Append an instruction; returns its index."""
        spec = OPCODES.get(op)
        if spec is None:
            raise ProgramError(f"unknown mnemonic {op!r}", index=len(self.instrs),
                               pc=self.pc(len(self.instrs)), mnemonic=str(op))
        fields = spec.fields
        if len(args) > len(fields):
            raise ProgramError(f"takes {len(fields)} operands, got {len(args)}",
                               index=len(self.instrs), pc=self.pc(len(self.instrs)), mnemonic=op)
        values = list(args) + [None] * (len(fields) - len(args))
        for k, v in kwargs.items():
            if k not in spec.field_names:
                raise ProgramError(f"unknown operand; operands are {', '.join(spec.field_names)}",
                                   index=len(self.instrs), pc=self.pc(len(self.instrs)),
                                   mnemonic=op, operand=k)
            i = spec.field_names.index(k)
            if i < len(args):
                raise ProgramError("operand given twice", index=len(self.instrs),
                                   pc=self.pc(len(self.instrs)), mnemonic=op, operand=k)
            values[i] = v
        for i, f in enumerate(fields):
            v = values[i]
            if v is None:
                if f.default is None:
                    raise ProgramError("missing operand", index=len(self.instrs),
                                       pc=self.pc(len(self.instrs)), mnemonic=op, operand=f.name)
                v = f.default
            if f.kind in ("rd", "rs"):
                v = parse_reg(v)
            elif f.kind == "fimm":
                try:
                    v = f32(v)
                except (TypeError, ValueError):
                    pass
            elif f.kind == "imm" and isinstance(v, np.integer):
                v = int(v)
            values[i] = v
        self.instrs.append(Instr(op, tuple(values)))
        return len(self.instrs) - 1

    def j(self, target) -> int:
        """Pseudo-instruction: unconditional jump (``jal r0, target``)."""
        return self.emit("jal", 0, target)

    def extend(self, other: "Program") -> None:
        """Append another program's instructions (its labels are kept, shifted)."""
        off = len(self.instrs)
        for name, idx in other.labels.items():
            if name in self.labels:
                raise ProgramError(f"label {name!r} defined in both programs")
            self.labels[name] = idx + off
        for ins in other.instrs:
            args = tuple(a + off if (f.kind == "label" and isinstance(a, int)) else a
                         for f, a in zip(ins.spec.fields, ins.args))
            self.instrs.append(Instr(ins.op, args))

    def validate(self, config=None) -> "Program":
        """Check the program against an NPU geometry (see
        :func:`npusim.isa.validate`); returns ``self`` for chaining."""
        from .validate import validate
        validate(self, config)
        return self

    # ---- inspection -------------------------------------------------------
    def pc(self, index: int) -> int:
        return self.pc_base + INSTR_BYTES * index

    def index_of_pc(self, pc: int) -> int:
        off = pc - self.pc_base
        if off % INSTR_BYTES:
            raise ValueError(f"pc {pc:#x} is not instruction-aligned")
        return off // INSTR_BYTES

    def __len__(self) -> int:
        return len(self.instrs)

    def __iter__(self) -> Iterator[Instr]:
        return iter(self.instrs)

    def __getitem__(self, i) -> Instr:
        return self.instrs[i]

    def target_index(self, index: int, value) -> int:
        """Resolve a label operand of instruction ``index`` to an instruction index."""
        ins = self.instrs[index]
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value in self.labels:
            return self.labels[value]
        raise ProgramError(f"undefined label {value!r}", index=index, pc=self.pc(index),
                           mnemonic=ins.op, operand="target")

    def resolved(self) -> List[Tuple[str, Tuple]]:
        """Instructions with every label replaced by its instruction index."""
        out = []
        for i, ins in enumerate(self.instrs):
            spec = OPCODES[ins.op]
            args = tuple(self.target_index(i, a) if f.kind == "label" else a
                         for f, a in zip(spec.fields, ins.args))
            out.append((ins.op, args))
        return out

    def __eq__(self, other) -> bool:
        if not isinstance(other, Program):
            return NotImplemented
        return self.pc_base == other.pc_base and self.resolved() == other.resolved()

    def __repr__(self) -> str:
        return f"<Program {self.name!r}: {len(self)} instructions at {self.pc_base:#x}>"

    def disassemble(self) -> str:
        """Human-readable listing: PC, labels, instructions."""
        at: Dict[int, List[str]] = {}
        for name, idx in self.labels.items():
            at.setdefault(idx, []).append(name)
        lines = []
        for i, ins in enumerate(self.instrs):
            for name in sorted(at.get(i, [])):
                lines.append(f"{name}:")
            lines.append(f"  {self.pc(i):#010x}  {ins}")
        for name in sorted(at.get(len(self.instrs), [])):
            lines.append(f"{name}:")
        return "\n".join(lines)

    # ---- encoding ---------------------------------------------------------
    def encode(self) -> np.ndarray:
        """Encode to an int64 array of shape (n, 8); see docs/isa.md.

        Raises :class:`ProgramError` for an operand that cannot be encoded
        (undefined label, non-integer register, immediate out of int64, ...);
        run :func:`validate` for the full set of checks.
        """
        out = np.zeros((len(self.instrs), ENCODING_WIDTH), dtype=np.int64)
        for i, ins in enumerate(self.instrs):
            spec = OPCODES[ins.op]
            out[i, 0] = spec.code
            for c, (f, v) in enumerate(zip(spec.fields, ins.args), start=1):
                if f.kind == "label":
                    out[i, c] = self.pc(self.target_index(i, v))
                    continue
                if f.kind == "fimm":
                    try:
                        out[i, c] = f32_bits(v)
                    except (TypeError, ValueError):
                        raise ProgramError(f"float immediate expected, got {v!r}", index=i,
                                           pc=self.pc(i), mnemonic=ins.op, operand=f.name) from None
                    continue
                if not isinstance(v, (int, np.integer)) or isinstance(v, bool) \
                        or not _INT64_MIN <= int(v) <= _INT64_MAX:
                    raise ProgramError(f"integer operand expected within int64, got {v!r}", index=i,
                                       pc=self.pc(i), mnemonic=ins.op, operand=f.name)
                out[i, c] = int(v)
        return out

    @classmethod
    def decode(cls, code, pc_base: int = DEFAULT_PC_BASE, name: str = "") -> "Program":
        """Inverse of :meth:`encode`. Branch targets get labels ``L<index>``."""
        arr = np.asarray(code)
        if arr.ndim != 2 or arr.shape[1] != ENCODING_WIDTH:
            raise ProgramError(f"encoded program must have shape (n, {ENCODING_WIDTH}), got {arr.shape}")
        if arr.dtype.kind not in "iu":
            # a float or string column would be truncated or parsed without a word
            raise ProgramError(f"encoded program must be an integer array, got dtype {arr.dtype}")
        arr = arr.astype(np.int64, copy=False)
        prog = cls(pc_base=pc_base, name=name)
        pending = []
        for i, row in enumerate(arr.tolist()):
            spec = BY_CODE.get(row[0])
            if spec is None:
                raise ProgramError(f"unknown opcode {row[0]:#x}", index=i, pc=prog.pc(i))
            for c in range(1 + len(spec.fields), ENCODING_WIDTH):
                if row[c] != 0:
                    raise ProgramError(f"unused column {c} is {row[c]}, must be 0", index=i,
                                       pc=prog.pc(i), mnemonic=spec.name)
            args = []
            for c, f in enumerate(spec.fields, start=1):
                v = row[c]
                if f.kind == "label":
                    off = v - pc_base
                    if off % INSTR_BYTES or not 0 <= off // INSTR_BYTES < len(arr):
                        raise ProgramError(f"branch target {v:#x} is not an instruction of the program",
                                           index=i, pc=prog.pc(i), mnemonic=spec.name, operand=f.name)
                    t = off // INSTR_BYTES
                    pending.append(t)
                    v = f"L{t}"
                elif f.kind == "fimm":
                    if not 0 <= v <= 0xFFFFFFFF:
                        raise ProgramError(f"float32 bits out of range: {v:#x}", index=i, pc=prog.pc(i),
                                           mnemonic=spec.name, operand=f.name)
                    v = bits_f32(v)
                args.append(v)
            prog.instrs.append(Instr(spec.name, tuple(args)))
        for t in sorted(set(pending)):
            prog.labels[f"L{t}"] = t
        return prog


def _make_method(spec: OpSpec):
    def method(self, *args, **kwargs):
        return self.emit(spec.name, *args, **kwargs)
    sig = ", ".join(f.name if f.default is None else f"{f.name}={f.default!r}" for f in spec.fields)
    method.__name__ = spec.name
    method.__doc__ = f"``{spec.name} {sig}``: {spec.doc}"
    return method


for _spec in OPCODES.values():
    _mname = _spec.name + "_" if _spec.name in ("and", "or") else _spec.name
    setattr(Program, _mname, _make_method(_spec))

decode = Program.decode
