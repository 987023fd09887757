"""The NPU opcode table: the single source of truth for mnemonics, opcode
numbers, operand fields and their encoding columns.

Every instruction encodes to one row of 8 int64 values: column 0 is the
opcode number, columns 1..7 are the operand fields listed in ``fields`` in
order (unused trailing columns are zero). The C++ decoder is generated from /
checked against this table (see :func:`opcode_table` and :func:`cpp_header`).

Field kinds
-----------
``rd``     destination scalar register number (0..31; writes to r0 are discarded)
``rs``     source scalar register number (0..31; r0 reads as 0)
``imm``    signed 64-bit integer immediate
``fimm``   float32 immediate, encoded as its IEEE-754 bit pattern (uint32,
           zero-extended into the int64 column)
``label``  branch/jump target; a label name in the builder, encoded as the
           absolute target PC (``pc_base + 4 * index``)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

#: Number of int64 columns of one encoded instruction (opcode + 7 operands).
ENCODING_WIDTH = 8
#: Bytes per instruction: PC of instruction i is ``pc_base + INSTR_BYTES * i``.
INSTR_BYTES = 4

FIELD_KINDS = ("rd", "rs", "imm", "fimm", "label")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    default: Optional[object] = None  # None: operand is required
    doc: str = ""


@dataclass(frozen=True)
class OpSpec:
    name: str                 # mnemonic (also the builder method name)
    code: int                 # opcode number (column 0)
    fields: Tuple[Field, ...]
    unit: str                 # "scalar" | "load" | "exec" | "store": issuing queue
    group: str                # coarse kind for statistics
    doc: str

    @property
    def field_names(self) -> Tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def column(self, field_name: str) -> int:
        """Encoding column (1-based) of a field."""
        return 1 + self.field_names.index(field_name)


def _f(name, kind, default=None, doc=""):
    return Field(name, kind, default, doc)


_RD = _f("rd", "rd")
_RS1 = _f("rs1", "rs")
_RS2 = _f("rs2", "rs")
_IMM = _f("imm", "imm")
_TARGET = _f("target", "label")

# Shared operand lists of the DMA instructions.
_MV_FIELDS_IN = (
    _f("rs_dram", "rs", doc="register holding the DRAM base address"),
    _f("dram_off", "imm", 0, "byte offset added to the DRAM base"),
    _f("addr", "imm", doc="scratchpad/accumulator byte address (row-aligned)"),
    _f("rows", "imm", doc="number of rows (static maximum if rs_rows != 0)"),
    _f("row_bytes", "imm", doc="bytes per row (multiple of 4)"),
    _f("dram_stride", "imm", 0, "bytes between consecutive rows in DRAM"),
    _f("rs_rows", "rs", 0, "if not r0: row count taken from this register, 1 <= x[rs_rows] <= rows"),
)

_GATHER_FIELDS = (
    _f("rs_base", "rs", doc="register holding the DRAM table base address"),
    _f("addr", "imm", doc="scratchpad address of the first row (row-aligned)"),
    _f("idx_addr", "imm", doc="scratchpad address of the index vector (aligned to idx_size)"),
    _f("idx_size", "imm", 4, "bytes per index: 4 (int32) or 8 (int64), signed"),
    _f("rs_n", "rs", doc="register holding the number of rows n (>= 1)"),
    _f("row_bytes", "imm", doc="bytes per row (multiple of 4)"),
    _f("row_stride", "imm", doc="DRAM bytes between table rows: row i at base + idx*row_stride"),
)

_GATHER_R_FIELDS = (
    _f("rs_base", "rs", doc="register holding the DRAM table base address"),
    _f("rs_idx", "rs", doc="register holding the (signed) row index"),
    _f("addr", "imm", doc="scratchpad address of the row (row-aligned)"),
    _f("row_bytes", "imm", doc="bytes in the row (multiple of 4)"),
    _f("row_stride", "imm", doc="DRAM bytes between table rows"),
)

_V1_FIELDS = (
    _f("space", "imm", doc="0: scratchpad, 1: accumulator"),
    _f("rs_addr", "rs", doc="register added to addr_off (r0: static address)"),
    _f("addr_off", "imm", doc="byte offset; address = x[rs_addr] + addr_off (4-aligned)"),
    _f("n", "imm", doc="number of float32 elements (>= 1)"),
)

_V2_FIELDS = (
    _f("rs_dst", "rs", doc="register added to dst_off"),
    _f("dst_off", "imm", doc="destination byte offset; dst = x[rs_dst] + dst_off"),
    _f("rs_src", "rs", doc="register added to src_off"),
    _f("src_off", "imm", doc="source byte offset; src = x[rs_src] + src_off"),
    _f("n", "imm", doc="number of float32 elements (>= 1)"),
    _f("spaces", "imm", 0, "bit0: dst in accumulator, bit1: src in accumulator (else scratchpad)"),
)

_SPECS = [
    # ---- control ------------------------------------------------------
    OpSpec("halt", 0x01, (), "scalar", "control", "stop execution"),
    OpSpec("nop", 0x02, (), "scalar", "control", "do nothing"),
    # ---- scalar ALU ---------------------------------------------------
    OpSpec("li", 0x10, (_RD, _IMM), "scalar", "alu", "x[rd] = imm"),
    OpSpec("mov", 0x11, (_RD, _f("rs", "rs")), "scalar", "alu", "x[rd] = x[rs]"),
    OpSpec("add", 0x12, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] + x[rs2] (wraps)"),
    OpSpec("addi", 0x13, (_RD, _RS1, _IMM), "scalar", "alu", "x[rd] = x[rs1] + imm (wraps)"),
    OpSpec("sub", 0x14, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] - x[rs2] (wraps)"),
    OpSpec("mul", 0x15, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = low 64 bits of x[rs1] * x[rs2]"),
    OpSpec("shl", 0x16, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] << (x[rs2] & 63)"),
    OpSpec("shli", 0x17, (_RD, _RS1, _IMM), "scalar", "alu", "x[rd] = x[rs1] << imm, 0 <= imm <= 63"),
    OpSpec("shr", 0x18, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] >>> (x[rs2] & 63) (logical)"),
    OpSpec("shri", 0x19, (_RD, _RS1, _IMM), "scalar", "alu", "x[rd] = x[rs1] >>> imm (logical), 0 <= imm <= 63"),
    OpSpec("and", 0x1A, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] & x[rs2]"),
    OpSpec("andi", 0x1B, (_RD, _RS1, _IMM), "scalar", "alu", "x[rd] = x[rs1] & imm"),
    OpSpec("or", 0x1C, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] | x[rs2]"),
    OpSpec("xor", 0x1D, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = x[rs1] ^ x[rs2]"),
    OpSpec("slt", 0x1E, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = 1 if x[rs1] < x[rs2] (signed) else 0"),
    OpSpec("sltu", 0x1F, (_RD, _RS1, _RS2), "scalar", "alu", "x[rd] = 1 if x[rs1] < x[rs2] (unsigned) else 0"),
    # ---- branches -----------------------------------------------------
    OpSpec("beq", 0x20, (_RS1, _RS2, _TARGET), "scalar", "branch", "if x[rs1] == x[rs2]: pc = target"),
    OpSpec("bne", 0x21, (_RS1, _RS2, _TARGET), "scalar", "branch", "if x[rs1] != x[rs2]: pc = target"),
    OpSpec("blt", 0x22, (_RS1, _RS2, _TARGET), "scalar", "branch", "if x[rs1] < x[rs2] (signed): pc = target"),
    OpSpec("bge", 0x23, (_RS1, _RS2, _TARGET), "scalar", "branch", "if x[rs1] >= x[rs2] (signed): pc = target"),
    OpSpec("jal", 0x24, (_RD, _TARGET), "scalar", "branch", "x[rd] = pc + 4; pc = target"),
    OpSpec("jalr", 0x25, (_RD, _RS1, _IMM), "scalar", "branch",
           "t = x[rs1] + imm; x[rd] = pc + 4; pc = t (t must be the PC of an instruction)"),
    # ---- scalar load --------------------------------------------------
    OpSpec("ld", 0x28, (_RD, _RS1, _IMM, _f("size", "imm", 8, "4 (sign-extended) or 8 bytes")),
           "load", "load", "x[rd] = mem[x[rs1] + imm], size bytes little-endian, size-aligned"),
    # ---- DMA ----------------------------------------------------------
    OpSpec("mvin", 0x30, _MV_FIELDS_IN, "load", "dma",
           "DRAM -> scratchpad, rows at dram + r*dram_stride to addr + r*pitch(row_bytes)"),
    OpSpec("mvin_acc", 0x31, _MV_FIELDS_IN, "load", "dma",
           "DRAM -> accumulator, as mvin"),
    OpSpec("mvout", 0x32, _MV_FIELDS_IN, "store", "dma",
           "scratchpad -> DRAM, rows from addr + r*pitch(row_bytes) to dram + r*dram_stride"),
    OpSpec("mvout_acc", 0x33, _MV_FIELDS_IN, "store", "dma",
           "accumulator -> DRAM, as mvout"),
    OpSpec("gather", 0x34, _GATHER_FIELDS, "load", "gather",
           "for i < n: spad[addr + i*pitch] = mem[x[rs_base] + idx[i]*row_stride], idx[i] read from spad idx_addr"),
    OpSpec("gather_r", 0x35, _GATHER_R_FIELDS, "load", "gather",
           "spad[addr] = mem[x[rs_base] + x[rs_idx]*row_stride] (one row)"),
    OpSpec("scatter", 0x36, tuple(
        Field("addr", "imm", None, "scratchpad address of the first source row (row-aligned)")
        if f.name == "addr" else f for f in _GATHER_FIELDS), "store", "scatter",
        "for i < n: mem[x[rs_base] + idx[i]*row_stride] = spad[addr + i*pitch] (in order i = 0..n-1)"),
    OpSpec("scatter_r", 0x37, _GATHER_R_FIELDS, "store", "scatter",
           "mem[x[rs_base] + x[rs_idx]*row_stride] = spad[addr] (one row)"),
    # ---- systolic array -----------------------------------------------
    OpSpec("matmul", 0x40, (
        _f("a", "imm", doc="scratchpad address of A (M rows x K, one row per scratchpad row)"),
        _f("b", "imm", doc="scratchpad address of B (K rows x N, or N rows x K if transposed)"),
        _f("c", "imm", doc="accumulator address of C (M rows x N)"),
        _f("m", "imm", doc="rows of A and C, 1..DIM"),
        _f("k", "imm", doc="inner dimension, 1..DIM"),
        _f("n", "imm", doc="columns of C, 1..DIM"),
        _f("flags", "imm", 0, "bit0: accumulate (C += A.B) else overwrite; bit1: B stored transposed (N x K)"),
    ), "exec", "matmul", "C (+)= A . B for one DIM x DIM tile"),
    # ---- vector unit ----------------------------------------------------
    OpSpec("vzero", 0x50, _V1_FIELDS, "exec", "vector", "v[0:n] = 0"),
    OpSpec("vrelu", 0x51, _V1_FIELDS, "exec", "vector", "v[0:n] = max(v[0:n], 0)"),
    OpSpec("vscale", 0x52, _V1_FIELDS + (
        _f("rs_s", "rs", 0, "if not r0: scale = float32 with the bits x[rs_s] & 0xffffffff"),
        _f("fimm", "fimm", 0.0, "scale used when rs_s is r0"),
    ), "exec", "vector", "v[0:n] = v[0:n] * s"),
    OpSpec("vadd", 0x53, _V2_FIELDS, "exec", "vector", "dst[0:n] = dst[0:n] + src[0:n]"),
    OpSpec("vmul", 0x54, _V2_FIELDS, "exec", "vector", "dst[0:n] = dst[0:n] * src[0:n]"),
    OpSpec("vmax", 0x55, _V2_FIELDS, "exec", "vector", "dst[0:n] = max(dst[0:n], src[0:n])"),
    OpSpec("vmov", 0x56, _V2_FIELDS, "exec", "vector", "dst[0:n] = src[0:n]"),
    OpSpec("vmacc", 0x57, (
        _f("rs_dst", "rs", doc="register added to dst_off"),
        _f("dst_off", "imm", doc="accumulator byte offset; dst = x[rs_dst] + dst_off"),
        _f("rs_src", "rs", doc="register added to src_off"),
        _f("src_off", "imm", doc="scratchpad byte offset; src = x[rs_src] + src_off"),
        _f("n", "imm", doc="number of float32 elements (>= 1)"),
        _f("rs_w", "rs", 0, "if not r0: w = float32 with the bits x[rs_w] & 0xffffffff"),
        _f("fimm", "fimm", 0.0, "w used when rs_w is r0"),
    ), "exec", "vector", "acc[dst:dst+n] += w * spad[src:src+n]"),
]

#: mnemonic -> OpSpec
OPCODES: Dict[str, OpSpec] = {s.name: s for s in _SPECS}
#: opcode number -> OpSpec
BY_CODE: Dict[int, OpSpec] = {s.code: s for s in _SPECS}

assert len(BY_CODE) == len(OPCODES), "duplicate opcode number"
assert all(len(s.fields) <= ENCODING_WIDTH - 1 for s in _SPECS)
assert all(f.kind in FIELD_KINDS for s in _SPECS for f in s.fields)

#: IntEnum of all opcodes, e.g. ``Opcode.GATHER == 0x34``.
Opcode = enum.IntEnum("Opcode", {s.name.upper(): s.code for s in _SPECS})

#: Mnemonics whose target field is a label (control-flow instructions).
BRANCHES = frozenset(s.name for s in _SPECS if any(f.kind == "label" for f in s.fields))


def opcode_table() -> list:
    """The table as plain data (JSON-serialisable), for binding generators."""
    return [
        {
            "mnemonic": s.name,
            "opcode": s.code,
            "unit": s.unit,
            "group": s.group,
            "doc": s.doc,
            "fields": [
                {"name": f.name, "kind": f.kind, "column": i + 1,
                 "default": f.default, "doc": f.doc}
                for i, f in enumerate(s.fields)
            ],
        }
        for s in _SPECS
    ]


def cpp_header(namespace: str = "npusim::isa") -> str:
    """A C++ header with the opcode enum and field-column constants.

    Generated from this table so that the C++ decoder cannot drift from it.
    """
    lines = [
        "// Generated by npusim.isa.opcodes.cpp_header(); do not edit.",
        "#pragma once",
        "#include <cstdint>",
        "",
        f"namespace {namespace} {{",
        "",
        f"constexpr int kEncodingWidth = {ENCODING_WIDTH};",
        f"constexpr int kInstrBytes = {INSTR_BYTES};",
        "",
        "enum class Op : int64_t {",
    ]
    for s in _SPECS:
        lines.append(f"    {s.name.upper()} = {s.code:#04x},")
    lines += ["};", ""]
    for s in _SPECS:
        for i, f in enumerate(s.fields):
            lines.append(f"constexpr int k{_camel(s.name)}_{f.name} = {i + 1};  // {f.kind}")
    lines += ["", f"}}  // namespace {namespace}", ""]
    return "\n".join(lines)


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))
