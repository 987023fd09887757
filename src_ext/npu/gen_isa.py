"""Writes src_ext/npu/isa_gen.hh from the opcode table (npusim/isa/opcodes.py).

The table is the single source of truth for the NPU ISA; the C++ decoder
includes the generated header and tests/test_npu.py checks that the
committed file is up to date. Regenerate after changing the table:

    .venv/bin/python src_ext/npu/gen_isa.py
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "isa_gen.hh")
NAMESPACE = "npusim::npu::isa"


def generate() -> str:
    from npusim.isa.opcodes import ENCODING_WIDTH, cpp_header, opcode_table

    table = opcode_table()
    units = ["scalar", "load", "exec", "store"]
    groups = []
    for op in table:
        if op["group"] not in groups:
            groups.append(op["group"])
    kinds = ["none", "rd", "rs", "imm", "fimm", "label"]
    lines = [cpp_header(NAMESPACE).rstrip("\n"), ""]
    lines += [
        "// ---- decoder tables (appended by src_ext/npu/gen_isa.py) ----",
        "#include <cstddef>",
        "",
        f"namespace {NAMESPACE} {{",
        "",
        "enum class Unit : std::uint8_t { " + ", ".join(u.capitalize() for u in units) + " };",
        "enum class Kind : std::uint8_t { " + ", ".join(k.capitalize() for k in kinds) + " };",
        f"constexpr int kNumGroups = {len(groups)};",
        "inline constexpr const char *kGroupNames[kNumGroups] = {"
        + ", ".join(f'"{g}"' for g in groups) + "};",
        "",
        "struct OpInfo {",
        "    std::int64_t code;",
        "    const char *mnemonic;",
        "    Unit unit;",
        "    std::uint8_t group;  // index into kGroupNames",
        "    std::uint8_t numFields;",
        f"    Kind kinds[{ENCODING_WIDTH - 1}];",
        f"    const char *fieldNames[{ENCODING_WIDTH - 1}];",
        "};",
        "",
        "inline constexpr OpInfo kOps[] = {",
    ]
    for op in table:
        fk = [f["kind"] for f in op["fields"]] + ["none"] * (ENCODING_WIDTH - 1 - len(op["fields"]))
        fn = [f'"{f["name"]}"' for f in op["fields"]] + ["nullptr"] * (ENCODING_WIDTH - 1 - len(op["fields"]))
        lines.append(
            f'    {{{op["opcode"]:#04x}, "{op["mnemonic"]}", Unit::{op["unit"].capitalize()}, '
            f'{groups.index(op["group"])}, {len(op["fields"])}, '
            "{" + ", ".join(f"Kind::{k.capitalize()}" for k in fk) + "}, "
            "{" + ", ".join(fn) + "}},")
    lines += [
        "};",
        "constexpr std::size_t kNumOps = sizeof(kOps) / sizeof(kOps[0]);",
        "",
        f"}}  // namespace {NAMESPACE}",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    text = generate()
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
