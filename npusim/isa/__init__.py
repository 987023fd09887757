"""The NPU instruction set: opcode table, program builder, encoding,
validation and the functional golden interpreter.

Quick tour::

    from npusim.isa import Program, NPUConfig, validate, run
    p = Program()
    p.li(1, 0); p.li(2, 10)
    p.label("loop")
    p.addi(1, 1, 1)
    p.blt(1, 2, "loop")
    p.halt()
    validate(p, NPUConfig())
    result = run(p)            # result.regs[1] == 10

See docs/isa.md for the exact semantics and encoding of every instruction.
"""

from .config import NPUConfig
from .interpreter import DEFAULT_MAX_INSTRUCTIONS, RunResult, run, wrap64
from .memory import PAGE_SIZE, PagedMemory
from .opcodes import (BRANCHES, BY_CODE, ENCODING_WIDTH, INSTR_BYTES, OPCODES, Field, Opcode,
                      OpSpec, cpp_header, opcode_table)
from .program import (DEFAULT_PC_BASE, InstructionLimitExceeded, Instr, Program, ProgramError,
                      bits_f32, decode, f32, f32_bits)
from .validate import collect_errors, validate

__all__ = [
    "NPUConfig", "run", "RunResult", "wrap64", "DEFAULT_MAX_INSTRUCTIONS",
    "PagedMemory", "PAGE_SIZE",
    "OPCODES", "BY_CODE", "Opcode", "OpSpec", "Field", "BRANCHES", "ENCODING_WIDTH",
    "INSTR_BYTES", "opcode_table", "cpp_header",
    "Program", "Instr", "ProgramError", "InstructionLimitExceeded", "decode",
    "DEFAULT_PC_BASE", "f32", "f32_bits", "bits_f32",
    "validate", "collect_errors",
]
