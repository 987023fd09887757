"""gem5 packet traces, CSV traces, think times, memory images, reference runs."""

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from npusim.analysis.reference import (ENV_VAR, ReferenceDataError, cache_hierarchy,
                                       list_kernels, load_reference, reference_root)
from npusim.traces import (MAGIC, PACKET_DTYPE, MemoryImageError, TraceError,
                           TraceHeader, build_memory_image, load_memory_image, load_trace,
                           make_packets, read_csv_trace, read_gem5_trace, save_trace,
                           think_times, write_csv_trace, write_gem5_trace)
from npusim.traces.gem5_trace import PacketHeaderMsg, PacketMsg, _varint_bytes

REF = reference_root()
needs_ref = pytest.mark.skipif(not (REF / "stream_sum").is_dir(),
                               reason=f"reference data not found at {REF}")
CSV_FIELDS = ("tick", "cmd", "addr", "size", "pc")


def assert_packets_equal(a, b, fields=PACKET_DTYPE.names):
    assert len(a) == len(b)
    for f in fields:
        bad = np.flatnonzero(a[f] != b[f])
        assert len(bad) == 0, f"field {f} differs first at packet {bad[0] if len(bad) else None}"


def random_packets(n, seed=1):
    rng = np.random.default_rng(seed)
    p = np.zeros(n, dtype=PACKET_DTYPE)
    p["tick"] = np.sort(rng.integers(0, 2**40, n, dtype=np.uint64))
    p["cmd"] = rng.choice([1, 4], n)
    p["addr"] = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    p["size"] = rng.choice([1, 2, 4, 8, 64], n)
    p["flags"] = rng.integers(0, 2**32, n, dtype=np.uint64)
    p["pc"] = np.where(rng.random(n) < 0.2, 0, rng.integers(0, 2**48, n, dtype=np.uint64))
    p["pkt_id"] = rng.integers(0, 8, n)
    # extremes
    p["tick"][-1] = 2**64 - 1
    p["cmd"][0] = 2**32 - 1
    p["size"][1] = 8          # values equal to tags make the boundary guess fail
    p["flags"][2] = 8
    p["pkt_id"][3] = 16
    return p


def packet_bytes(**fields) -> bytes:
    """One length-prefixed Packet message built by protobuf."""
    body = PacketMsg(**fields).SerializeToString()
    return _varint_bytes(len(body)) + body


def trace_bytes(messages, header=None) -> bytes:
    h = (header or PacketHeaderMsg(obj_id="test", tick_freq=10**12)).SerializeToString()
    return MAGIC + _varint_bytes(len(h)) + h + b"".join(messages)


def good_messages(n=5):
    return [packet_bytes(tick=1000 * i, cmd=1, addr=0x1000 + 4 * i, size=4, flags=2,
                         pkt_id=6, pc=0x10000 + i) for i in range(n)]


# --------------------------------------------------------------------------
# reference traces
# --------------------------------------------------------------------------


@needs_ref
def test_pb_matches_csv_stream_sum():
    pb = read_gem5_trace(REF / "stream_sum" / "trace.l1d.pb.gz")
    cv = read_csv_trace(REF / "stream_sum" / "trace.l1d.csv.gz")
    assert len(pb) == 262144
    assert pb.header.obj_id == "system.monitor.tracer"
    assert pb.header.tick_freq == 10**12
    assert pb.header.id_strings[6] == "cpu.data"
    assert_packets_equal(pb.packets, cv.packets, CSV_FIELDS)
    first = pb.packets[0]
    assert (first["tick"], first["cmd"], first["addr"], first["size"], first["pc"]) == \
        (3485647500, 1, 0x71000, 4, 0x105F8)
    assert set(np.unique(pb.packets["flags"])) == {2} and set(np.unique(pb.packets["pkt_id"])) == {6}


@needs_ref
def test_fast_decoder_equals_protobuf_field_by_field():
    path = REF / "stream_sum" / "trace.l1d.pb.gz"
    fast = read_gem5_trace(path)
    slow = read_gem5_trace(path, fast=False)
    assert_packets_equal(fast.packets, slow.packets)
    assert fast.header == slow.header


@needs_ref
def test_slices_of_spmv_and_embedding_bag():
    spmv = REF / "spmv_csr"
    full = read_gem5_trace(spmv / "trace.l1d.pb.gz")
    assert len(full) == 884737
    n = 30000
    head_csv = read_csv_trace(spmv / "trace.l1d.csv.gz", max_packets=n)
    head_slow = read_gem5_trace(spmv / "trace.l1d.pb.gz", fast=False, max_packets=n)
    assert len(head_csv) == len(head_slow) == n
    assert_packets_equal(full.packets[:n], head_csv.packets, CSV_FIELDS)
    assert_packets_equal(full.packets[:n], head_slow.packets)
    # the size-8 packet (a field value equal to the tick tag) is the first one
    assert full.packets["size"][0] == 8
    emb = REF / "embedding_bag"
    head = load_trace(emb / "trace.l1d.pb.gz", max_packets=n)
    assert_packets_equal(head.packets, read_csv_trace(emb / "trace.l1d.csv.gz",
                                                      max_packets=n).packets, CSV_FIELDS)


@needs_ref
def test_rewriting_a_gem5_trace_is_byte_identical(tmp_path):
    src = REF / "stream_sum" / "trace.l1d.pb.gz"
    tr = read_gem5_trace(src)
    out = tmp_path / "copy.pb"
    write_gem5_trace(out, tr)
    assert out.read_bytes() == gzip.decompress(src.read_bytes())


@needs_ref
def test_csv_writer_reproduces_reference_csv(tmp_path):
    tr = read_gem5_trace(REF / "stream_sum" / "trace.l1d.pb.gz")
    out = tmp_path / "t.csv.gz"
    write_csv_trace(out, tr)
    assert gzip.decompress(out.read_bytes()) == \
        gzip.decompress((REF / "stream_sum" / "trace.l1d.csv.gz").read_bytes())


# --------------------------------------------------------------------------
# round trips and format detection
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.pb", "t.pb.gz"])
def test_gem5_round_trip(tmp_path, name):
    p = random_packets(5000)
    hdr = TraceHeader(obj_id="system.x", tick_freq=10**9, ver=3, id_strings={0: "a", 7: "b"})
    write_gem5_trace(tmp_path / name, p, hdr)
    back = read_gem5_trace(tmp_path / name)
    assert back.header == hdr
    assert_packets_equal(back.packets, p)
    assert_packets_equal(read_gem5_trace(tmp_path / name, fast=False).packets, p)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"ge")


@pytest.mark.parametrize("name,hex_addr", [("t.csv", True), ("t.csv.gz", True),
                                           ("t.csv", False)])
def test_csv_round_trip(tmp_path, name, hex_addr):
    p = random_packets(3000)
    write_csv_trace(tmp_path / name, p, hex_addr=hex_addr,
                    columns=("tick", "cmd", "addr", "size", "pc", "flags", "pkt_id"))
    back = read_csv_trace(tmp_path / name)
    assert_packets_equal(back.packets, p)


def test_load_trace_detects_format_by_content(tmp_path):
    p = random_packets(100)
    write_gem5_trace(tmp_path / "a.bin", p, compress=True)     # gzip'd pb, odd name
    write_csv_trace(tmp_path / "b.dat", p)                      # csv, odd name
    save_trace(tmp_path / "c.csv.gz", p)
    save_trace(tmp_path / "d.pb", p)
    for name in ["a.bin", "b.dat", "c.csv.gz", "d.pb"]:
        assert_packets_equal(load_trace(tmp_path / name).packets, p, CSV_FIELDS)
    (tmp_path / "e.xyz").write_bytes(b"\x00\x01garbage")
    with pytest.raises(TraceError, match="e.xyz"):
        load_trace(tmp_path / "e.xyz")


def test_empty_trace_and_make_packets(tmp_path):
    write_gem5_trace(tmp_path / "e.pb", make_packets(0))
    assert len(read_gem5_trace(tmp_path / "e.pb")) == 0
    p = make_packets(tick=[1, 2], cmd=1, addr=[64, 128], size=4)
    assert p.dtype == PACKET_DTYPE and list(p["addr"]) == [64, 128] and list(p["cmd"]) == [1, 1]
    write_csv_trace(tmp_path / "e.csv", make_packets(0))
    assert len(read_csv_trace(tmp_path / "e.csv")) == 0


def _unordered_messages():
    msgs = good_messages(4)
    # fields out of order (pc first) and an unknown varint field 9
    body = (PacketMsg(pc=0x55).SerializePartialToString()
            + PacketMsg(tick=7, cmd=4, addr=9, size=8).SerializeToString() + b"\x48\x05")
    msgs.append(_varint_bytes(len(body)) + body)
    return msgs + good_messages(2)


def test_unordered_fields_take_the_token_decoder(tmp_path, monkeypatch):
    import npusim.traces.gem5_trace as g
    path = tmp_path / "u.pb"
    path.write_bytes(trace_bytes(_unordered_messages()))
    slow = read_gem5_trace(path, fast=False).packets

    def no_slow(*a, **k):
        raise AssertionError("the vectorised decoders should handle this stream")

    monkeypatch.setattr(g, "_decode_slow", no_slow)
    fast = read_gem5_trace(path).packets
    assert_packets_equal(fast, slow)
    assert (fast["pc"][4], fast["tick"][4], fast["addr"][4], fast["size"][4]) == (0x55, 7, 9, 8)


def test_unusual_but_valid_streams_decode_like_protobuf(tmp_path):
    """Repeated fields and length-delimited unknown fields (with a two-byte
    length prefix) fall back to protobuf; every path must agree with it."""
    msgs = _unordered_messages()
    # a repeated field: the last occurrence wins
    body = (PacketMsg(tick=8, cmd=1, addr=11, size=4).SerializeToString()
            + PacketMsg(addr=10).SerializePartialToString())
    msgs.append(_varint_bytes(len(body)) + body)
    # an unknown length-delimited field 12 of 200 bytes: two-byte length prefix
    body = (PacketMsg(tick=9, cmd=1, addr=12, size=4).SerializeToString()
            + b"\x62" + _varint_bytes(200) + b"\x08" * 200)
    msgs.append(_varint_bytes(len(body)) + body)
    msgs += good_messages(3)
    path = tmp_path / "u.pb"
    path.write_bytes(trace_bytes(msgs))
    fast = read_gem5_trace(path).packets
    slow = read_gem5_trace(path, fast=False).packets
    assert_packets_equal(fast, slow)
    assert fast["addr"][7] == 10 and fast["addr"][8] == 12 and len(fast) == 12


def test_boundary_guess_fixups(tmp_path):
    """Field values that look like a message start (tick 8 then cmd 16) and a
    first message with a multi-byte length must not confuse the fast path."""
    p = random_packets(3000)
    p["tick"][:3] = [8, 8, 9]
    p["cmd"][:3] = [16, 16, 16]
    p["size"][:3] = 16
    write_gem5_trace(tmp_path / "f.pb", p)
    assert_packets_equal(read_gem5_trace(tmp_path / "f.pb").packets, p)
    body = (PacketMsg(tick=1, cmd=1, addr=2, size=4).SerializeToString()
            + b"\x62" + _varint_bytes(150) + bytes(150))
    msgs = [_varint_bytes(len(body)) + body] + good_messages(3)
    (tmp_path / "g.pb").write_bytes(trace_bytes(msgs))
    fast = read_gem5_trace(tmp_path / "g.pb").packets
    assert_packets_equal(fast, read_gem5_trace(tmp_path / "g.pb", fast=False).packets)
    assert len(fast) == 4 and fast["addr"][0] == 2


# --------------------------------------------------------------------------
# malformed gem5 traces
# --------------------------------------------------------------------------


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("fast", [True, False])
def test_bad_magic(tmp_path, fast):
    p = _write(tmp_path, "bad.pb", b"gem6" + trace_bytes(good_messages())[4:])
    with pytest.raises(TraceError, match=r"bad\.pb.*magic"):
        read_gem5_trace(p, fast=fast)


@pytest.mark.parametrize("fast", [True, False])
def test_truncated_message_names_packet(tmp_path, fast):
    p = _write(tmp_path, "trunc.pb", trace_bytes(good_messages(5))[:-3])
    with pytest.raises(TraceError, match=r"trunc\.pb: packet 4: truncated message"):
        read_gem5_trace(p, fast=fast)


@pytest.mark.parametrize("fast", [True, False])
def test_truncated_length_varint_names_packet(tmp_path, fast):
    p = _write(tmp_path, "tv.pb", trace_bytes(good_messages(5)) + b"\x81")
    with pytest.raises(TraceError, match=r"tv\.pb: packet 5: truncated or invalid length"):
        read_gem5_trace(p, fast=fast)


@pytest.mark.parametrize("fast", [True, False])
def test_wrong_wire_type_names_packet_and_field(tmp_path, fast):
    msgs = good_messages(5)
    # packet 2: pc (field 7) encoded as length-delimited
    body = PacketMsg(tick=1, cmd=1, addr=2, size=4).SerializeToString() + b"\x3a\x01\x00"
    msgs[2] = _varint_bytes(len(body)) + body
    p = _write(tmp_path, "wt.pb", trace_bytes(msgs))
    with pytest.raises(TraceError, match=r"wt\.pb: packet 2: field pc .*wire type 2"):
        read_gem5_trace(p, fast=fast)
    # packet 3: tick as fixed64
    msgs = good_messages(5)
    body = b"\x09" + bytes(8) + PacketMsg(cmd=1, addr=2, size=4).SerializePartialToString()
    msgs[3] = _varint_bytes(len(body)) + body
    p = _write(tmp_path, "wt2.pb", trace_bytes(msgs))
    with pytest.raises(TraceError, match=r"wt2\.pb: packet 3: field tick .*wire type 1"):
        read_gem5_trace(p, fast=fast)


@pytest.mark.parametrize("fast", [True, False])
def test_missing_required_field_names_packet(tmp_path, fast):
    msgs = good_messages(5)
    body = PacketMsg(tick=5, cmd=1, size=4).SerializePartialToString()
    msgs[1] = _varint_bytes(len(body)) + body
    p = _write(tmp_path, "mr.pb", trace_bytes(msgs))
    with pytest.raises(TraceError, match=r"mr\.pb: packet 1: missing required field\(s\): addr"):
        read_gem5_trace(p, fast=fast)


def test_bad_header_and_bad_gzip(tmp_path):
    p = _write(tmp_path, "nohdr.pb", MAGIC)
    with pytest.raises(TraceError, match=r"nohdr\.pb: .*PacketHeader"):
        read_gem5_trace(p)
    hdr = PacketHeaderMsg(obj_id="x").SerializePartialToString()   # no tick_freq
    p = _write(tmp_path, "hdr.pb", MAGIC + _varint_bytes(len(hdr)) + hdr)
    with pytest.raises(TraceError, match=r"hdr\.pb: invalid PacketHeader"):
        read_gem5_trace(p)
    good = gzip.compress(trace_bytes(good_messages(50)))
    p = _write(tmp_path, "cut.pb.gz", good[:len(good) // 2])
    with pytest.raises(TraceError, match=r"cut\.pb\.gz: corrupt or truncated gzip"):
        read_gem5_trace(p)


# --------------------------------------------------------------------------
# malformed CSV
# --------------------------------------------------------------------------

def _csv(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_tolerates_blank_lines_spaces_crlf(tmp_path):
    p = _csv(tmp_path, "tick, cmd ,addr,size,pc\r\n1,1,0x40,4,0x10\r\n\r\n 2 , 4 , 128 , 8 , 0X1F \r\n\n")
    t = read_csv_trace(p)
    assert list(t.packets["tick"]) == [1, 2] and list(t.packets["addr"]) == [0x40, 128]
    assert list(t.packets["pc"]) == [0x10, 0x1F] and list(t.packets["cmd"]) == [1, 4]
    # pc is optional; big values exact
    p = _csv(tmp_path, "tick,cmd,addr,size\n18446744073709551615,1,0xffffffffffffffff,4\n", "b.csv")
    t = read_csv_trace(p)
    assert int(t.packets["tick"][0]) == 2**64 - 1 and int(t.packets["addr"][0]) == 2**64 - 1


@pytest.mark.parametrize("text,line,what", [
    ("tick,cmd,size,pc\n1,1,4,0\n", 1, "missing column.*addr"),
    ("tick,cmd,addr,size,pc,color\n1,1,4,4,0,3\n", 1, "unknown column.*color"),
    ("tick,cmd,addr,size,pc\n1,1,0x40,4,0\n2,1,0x44,4\n", 3, "expected 5 fields"),
    ("tick,cmd,addr,size,pc\n1,1,0x40,4,0\n2,1,0x44,4,0\n\n3,1,0x4g,4,0\n", 5,
     "non-numeric value '0x4g' for column 'addr'"),
    ("tick,cmd,addr,size,pc\n1,1,0x40,4,0\n2,read,0x44,4,0\n", 3, "non-numeric.*'cmd'"),
    ("tick,cmd,addr,size,pc\n1,1,0x40,4,0\n-2,1,0x44,4,0\n", 3, "non-numeric.*'tick'"),
    ("tick,cmd,addr,size,pc\n1,1,0x40,4,0\n2,1,,4,0\n", 3, "empty value for column 'addr'"),
    ("tick,cmd,addr,size,pc\n1,1,0x40,4294967296,0\n", 2, "exceeds 32 bits"),
    ("tick,cmd,addr,size,pc\n1,1,0x10000000000000000,4,0\n", 2, "exceeds 64 bits"),
    ("tick,cmd,addr,size,pc\n1,1,1.5,4,0\n", 2, "non-numeric"),
])
def test_csv_errors_name_file_and_line(tmp_path, text, line, what):
    p = _csv(tmp_path, text, "bad.csv")
    with pytest.raises(TraceError, match=rf"bad\.csv: line {line}: .*{what}"):
        read_csv_trace(p)


def test_csv_error_line_numbers_across_chunks(tmp_path):
    rows = [f"{i},1,0x{64 * i:x},4,0x100" for i in range(200000)]
    rows[150001] = "150001,1,0xZZ,4,0x100"
    p = tmp_path / "big.csv.gz"
    p.write_bytes(gzip.compress(("tick,cmd,addr,size,pc\n" + "\n".join(rows) + "\n").encode()))
    with pytest.raises(TraceError, match=r"big\.csv\.gz: line 150003: "):
        read_csv_trace(p)


# --------------------------------------------------------------------------
# think times
# --------------------------------------------------------------------------


@needs_ref
def test_think_times_of_reference():
    ref = REF / "stream_sum"
    req = read_gem5_trace(ref / "trace.l1d.pb.gz")
    resp = read_gem5_trace(ref / "trace.l1d.resp.pb.gz")
    think = think_times(req, resp)
    assert think.dtype == np.int64 and len(think) == len(req) - 1
    assert think.min() >= 0
    i = 1000
    assert think[i] == int(req.packets["tick"][i + 1]) - int(resp.packets["tick"][i])
    assert np.all(resp.packets["cmd"][req.packets["cmd"] == 1] == 2)


def test_think_times_checks():
    req = make_packets(tick=[0, 100, 200], cmd=1, addr=[0, 64, 128], size=4)
    resp = make_packets(tick=[10, 150, 220], cmd=2, addr=[0, 64, 128], size=4)
    assert list(think_times(req, resp)) == [90, 50]
    with pytest.raises(TraceError, match="2 responses for 3 requests"):
        think_times(req, resp[:2])
    bad = resp.copy()
    bad["tick"][0] = 120      # response 0 after request 1: not blocking
    with pytest.raises(TraceError, match="request 1 .* before response 0"):
        think_times(req, bad)
    bad = resp.copy()
    bad["addr"][2] = 4
    with pytest.raises(TraceError, match="response 2 is for address 0x4"):
        think_times(req, bad)
    bad = resp.copy()
    bad["cmd"][1] = 5
    with pytest.raises(TraceError, match="response 1 has cmd 5, expected 2"):
        think_times(req, bad)


# --------------------------------------------------------------------------
# memory images
# --------------------------------------------------------------------------


def _pages_by_hand(kdir):
    with open(kdir / "pages.csv") as f:
        rows = list(csv.DictReader(f))
    return {(r["region"], int(r["page"])): int(r["physical"], 16) for r in rows}


def _regions_by_hand(kdir):
    out = {}
    for line in (kdir / "regions.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, base, esize, count = line.split()
            out[name] = (int(base, 16), int(esize), int(count))
    return out


@needs_ref
@pytest.mark.parametrize("kernel,region,indices", [
    ("spmv_csr", "col_idx", [0, 1, 1023, 1024, 1025, 200000, 262143]),
    ("spmv_csr", "row_ptr", [0, 1, 32767, 32768]),   # last one is on the lone page 0x70000
    ("embedding_bag", "indices", [0, 5, 4096, 32767]),
])
def test_memory_image_holds_bin_values_at_physical_addresses(kernel, region, indices):
    kdir = REF / kernel
    pages = _pages_by_hand(kdir)
    base, esize, count = _regions_by_hand(kdir)[region]
    values = np.frombuffer(gzip.decompress((kdir / f"{region}.bin.gz").read_bytes()), "<u4")
    assert len(values) == count
    chunks = build_memory_image(kdir)
    image = load_memory_image(kdir)
    for i in indices:
        va = base + i * esize
        pa = pages[(region, (va >> 12) - (base >> 12))] + (va & 0xFFF)
        hits = [bytes(d[pa - a:pa - a + 4]) for a, d in chunks if a <= pa and pa + 4 <= a + len(d)]
        assert len(hits) == 1
        assert int.from_bytes(hits[0], "little") == values[i]
        assert image.element_address(region, i) == pa
        assert image.read(pa, 4) == hits[0]


@needs_ref
def test_memory_image_matches_the_trace_gathers():
    """spmv: the n-th load of x (pc 0x10732) is at x[col_idx[n]]'s physical address."""
    kdir = REF / "spmv_csr"
    image = load_memory_image(kdir)
    trace = read_csv_trace(kdir / "trace.l1d.csv.gz", max_packets=20000)
    x_loads = trace.packets["addr"][trace.packets["pc"] == 0x10732][:2000]
    col = image.array("col_idx", "<u4")
    expect = [image.element_address("x", int(c)) for c in col[:len(x_loads)]]
    assert list(x_loads) == expect
    assert sum(len(d) for _, d in image.chunks) == sum(r.nbytes for r in image.regions)


@needs_ref
def test_memory_image_of_kernel_without_regions():
    assert build_memory_image(REF / "stream_sum") == []


def _kernel_dir(tmp_path, regions, pages, bins):
    k = tmp_path / "k"
    k.mkdir(exist_ok=True)
    (k / "regions.txt").write_text("# name virtual_base element_size count\n" + "".join(
        f"{n} {b:#x} {e} {c}\n" for n, b, e, c in regions))
    (k / "pages.csv").write_text("region,page,virtual,physical\n" + "".join(
        f"{n},{p},{v:#x},{ph:#x}\n" for n, p, v, ph in pages))
    for name, data in bins.items():
        (k / f"{name}.bin.gz").write_bytes(gzip.compress(data))
    return k


def test_memory_image_unaligned_region(tmp_path):
    data = np.arange(1000, dtype="<u4").tobytes()          # 4000 bytes
    base = 0x4000_0F00                                        # 256 bytes left in page 0
    k = _kernel_dir(tmp_path, [("a", base, 4, 1000)],
                    [("a", 0, 0x4000_0000, 0x5000), ("a", 1, 0x4000_1000, 0x9000)],
                    {"a": data})
    chunks = build_memory_image(k)
    assert [(a, len(d)) for a, d in chunks] == [(0x5F00, 256), (0x9000, 3744)]
    assert chunks[0].data + chunks[1].data == data
    image = load_memory_image(k)
    assert image.element_address("a", 64) == 0x9000 and image.read(0x9000, 4) == (64).to_bytes(4, "little")
    # physically contiguous pages merge into one chunk
    k = _kernel_dir(tmp_path, [("a", base, 4, 1000)],
                    [("a", 0, 0x4000_0000, 0x5000), ("a", 1, 0x4000_1000, 0x6000)],
                    {"a": data})
    assert [(a, len(d)) for a, d in build_memory_image(k)] == [(0x5F00, 4000)]


def test_memory_image_errors(tmp_path):
    data = bytes(8192)
    with pytest.raises(MemoryImageError, match=r"pages\.csv: region 'a': no mapping for page 1"):
        build_memory_image(_kernel_dir(tmp_path, [("a", 0x10000, 4, 2048)],
                                       [("a", 0, 0x10000, 0x2000)], {"a": data}))
    with pytest.raises(MemoryImageError, match=r"a\.bin\.gz: region 'a': holds 8192 bytes.*4 x 2000"):
        build_memory_image(_kernel_dir(tmp_path, [("a", 0x10000, 4, 2000)],
                                       [("a", 0, 0x10000, 0x2000), ("a", 1, 0x11000, 0x3000)],
                                       {"a": data}))
    k = _kernel_dir(tmp_path, [("b", 0x10000, 4, 4)], [("b", 0, 0x10000, 0x2000)], {})
    (k / "a.bin.gz").unlink()
    with pytest.raises(MemoryImageError, match=r"b\.bin\.gz: region 'b': data file missing"):
        build_memory_image(k)
    with pytest.raises(MemoryImageError, match=r"page 0: virtual 0x20000, expected 0x10000"):
        build_memory_image(_kernel_dir(tmp_path, [("c", 0x10000, 4, 4)],
                                       [("c", 0, 0x20000, 0x2000)], {"c": bytes(16)}))
    k = _kernel_dir(tmp_path, [("c", 0x10000, 4, 4)], [], {"c": bytes(16)})
    (k / "regions.txt").write_text("c 0x10000 four 4\n")
    with pytest.raises(MemoryImageError, match=r"regions\.txt: line 1: region 'c'"):
        build_memory_image(k)


# --------------------------------------------------------------------------
# reference runs
# --------------------------------------------------------------------------


@needs_ref
def test_load_reference_spmv():
    r = load_reference("spmv_csr")
    assert r.roi == (13598110500, 35884338500)
    assert r.args == ["spmv_csr", "32768", "8", "262144"]
    assert len(r.stats_files) == 21 and r.stats_path("none", "l2").name == "none-l2.txt"
    assert ("stride", "l1d") in r.runs
    assert r.stats("none", "l2")["system.cpu.dcache.demandMisses::total"][0] == 292017
    s = r.summary
    assert len(s) == 21 and set(s.columns) >= {"prefetcher", "level", "sim_ticks"}
    h = r.hierarchy
    assert h["clock"] == 500 and h["cache_line_size"] == 64
    assert h["mem_ranges"] == [(0, 2 << 30)] and h["frequency_hz"] == 2e9
    l1d, l2 = h["l1d"], h["l2"]
    assert (l1d["size"], l1d["assoc"], l1d["tag_latency"], l1d["data_latency"],
            l1d["response_latency"], l1d["mshrs"], l1d["tgts_per_mshr"],
            l1d["write_buffers"], l1d["clock"]) == (32768, 8, 2, 2, 2, 16, 20, 8, 500)
    assert (l2["size"], l2["assoc"], l2["tag_latency"], l2["mshrs"], l2["tgts_per_mshr"]) == \
        (262144, 16, 12, 32, 12)
    assert l1d["replacement_policy"] == "LRURP" and l1d["prefetcher"] is None
    assert h["l1i"]["mshrs"] == 4
    assert (h["l2bus"]["width"], h["l2bus"]["frontend_latency"], h["l2bus"]["forward_latency"],
            h["l2bus"]["response_latency"]) == (32, 1, 0, 1)
    assert (h["membus"]["width"], h["membus"]["frontend_latency"],
            h["membus"]["forward_latency"], h["membus"]["response_latency"]) == (16, 3, 4, 2)
    mem = h["memory"]
    assert mem["type"] == "MemCtrl" and mem["dram"]["model"] == "DDR4_2400_8x8"
    assert mem["ctrl"]["static_frontend_latency"] == 10000
    assert mem["dram"]["params"]["tCK"] == 833 and mem["dram"]["params"]["ranks_per_channel"] == 2
    assert len(r.memory_chunks) == 4


@needs_ref
def test_load_reference_traces_and_think():
    r = load_reference(REF / "stream_sum")
    assert len(r.requests) == 262144 and r.requests.dtype == PACKET_DTYPE
    assert len(r.think) == len(r.requests) - 1
    assert r.roi_begin <= int(r.requests["tick"][0]) and int(r.responses["tick"][-1]) <= r.roi_end
    assert r.memory_chunks == []


def test_reference_root_env_override_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert reference_root() == tmp_path
    (tmp_path / "k1").mkdir()
    (tmp_path / "k1" / "roi.txt").write_text("begin_tick 5\nend_tick 9\n")
    assert list_kernels() == ["k1"]
    assert load_reference("k1").roi == (5, 9)
    with pytest.raises(ReferenceDataError, match="no reference kernel 'nope'"):
        load_reference("nope")
    (tmp_path / "k1" / "roi.txt").write_text("begin_tick 5\n")
    with pytest.raises(ReferenceDataError, match=r"roi\.txt: missing end_tick"):
        load_reference("k1").roi
    monkeypatch.delenv(ENV_VAR)
    root = reference_root()
    assert root == (Path(__file__).resolve().parent.parent.parent / "shared" / "reference"
                    / "gem5").resolve()


def test_cache_hierarchy_follows_prefetcher_reference():
    cfg = {"system": {"cache_line_size": 64,
                      "clk_domain": {"clock": [250], "path": "system.clk_domain"},
                      "l2": {"type": "Cache", "size": 1024, "assoc": 2,
                             "clk_domain": "system.clk_domain",
                             "prefetcher": {"type": "StridePrefetcher", "degree": 4,
                                            "table_entries": [64], "path": "system.l2.prefetcher"}}}}
    h = cache_hierarchy(cfg)
    assert h["clock"] == 250 and h["l2"]["clock"] == 250 and h["l1d"] is None
    assert h["l2"]["prefetcher"] == {"type": "StridePrefetcher",
                                     "params": {"degree": 4, "table_entries": 64}}
