"""Replacement policies in a real cache: exact hit/miss sequences worked by
hand, and an independent model of gem5's semantics on random sequences."""

import random

import pytest

import npusim
from npusim.objects import (BIPRP, Cache, CacheTestMemory, CacheTestRequestor, FIFORP, LIPRP, LRURP, MRURP,
                            RandomRP, Root, SrcClockDomain, System, TreePLRURP)
from npusim.testing import packets_live, stats_dict

R = CacheTestRequestor.READ
NS = 1000
SPACING = 100 * NS   # every access completes before the next one starts
LINE = 64


def run_sequence(policy, lines, assoc=4, sets=1):
    """Reads one word of each line in `lines` (line numbers), one access at
    a time; returns the hit (True) / miss (False) pattern and the cache stats."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = CacheTestRequestor(script=CacheTestRequestor.make_script(
        [(i * SPACING, R, n * LINE, 8) for i, n in enumerate(lines)]))
    system.l1 = Cache(size=assoc * sets * LINE, assoc=assoc, tag_latency=2, data_latency=2, response_latency=2,
                      mshrs=4, tgts_per_mshr=4, replacement_policy=policy)
    system.mem = CacheTestMemory(latency="10ns")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.cpu finished"
    assert packets_live() == 0
    cpu = stats_dict(system.cpu)
    hits = [cpu[f"respTick::{i}"] - cpu[f"sendTick::{i}"] == 2 * NS for i in range(len(lines))]
    return hits, stats_dict(system.l1)


# Lines A..E all map to the single set of a 4-way, 1-set cache.
A, B, C, D, E = 0, 1, 2, 3, 4
SEQ = [A, B, C, D, A, C, B, E, D, A, B]
H, M = True, False


def test_lru_by_hand():
    # After A B C D and hits A C B, the LRU line is D: E evicts D, D evicts
    # A (A C B E D order), A evicts C, B hits.
    hits, l1 = run_sequence(LRURP(), SEQ)
    assert hits == [M, M, M, M, H, H, H, M, M, M, H]
    assert l1["replacements"] == 3
    assert l1["ReadReq.hits::cpu.data"] == 4 and l1["ReadReq.misses::cpu.data"] == 7


def test_tree_plru_by_hand():
    # Tree bits (root, left, right), 1 = victim on the right. Fills: A->w0,
    # B->w2, C->w1, D->w3, leaving all bits 0. Hits A(w0) C(w1) B(w2) leave
    # root=0, left=0: E evicts w0 (A), unlike LRU. D hits; A evicts w1 (C);
    # B hits.
    hits, l1 = run_sequence(TreePLRURP(), SEQ)
    assert hits == [M, M, M, M, H, H, H, M, H, M, H]
    assert l1["replacements"] == 2


def test_fifo_by_hand():
    # Hits do not reorder: E evicts A (first in), D hits, A evicts B, B
    # evicts C.
    hits, l1 = run_sequence(FIFORP(), SEQ)
    assert hits == [M, M, M, M, H, H, H, M, H, M, M]
    assert l1["replacements"] == 3


def test_mru_by_hand():
    # Invalid ways first; then the most recently used goes: E evicts B
    # (just hit), D hits, A hits, B evicts A.
    hits, _ = run_sequence(MRURP(), SEQ)
    assert hits == [M, M, M, M, H, H, H, M, H, H, M]


def test_lip_inserts_at_lru_position():
    # 2 ways. A B are filled and touched; C evicts A (older touch) and is
    # inserted at the LRU position, so D evicts C rather than B, and B hits.
    # Plain LRU evicts B for D instead.
    seq = [A, B, A, B, C, D, B]
    assert run_sequence(LIPRP(), seq, assoc=2)[0] == [M, M, H, H, M, M, H]
    npusim.reset()
    assert run_sequence(LRURP(), seq, assoc=2)[0] == [M, M, H, H, M, M, M]


def test_random_prefers_invalid_ways_and_is_deterministic():
    hits, l1 = run_sequence(RandomRP(seed=7), [A, B, C, D, A, B, C, D])
    assert hits == [M] * 4 + [H] * 4           # no eviction while a way is free
    assert l1["replacements"] == 0
    seq = [random.Random(3).randrange(8) for _ in range(60)]
    first, _ = run_sequence(RandomRP(seed=11), seq)
    npusim.reset()
    second, _ = run_sequence(RandomRP(seed=11), seq)
    assert first == second


# --- an independent model of gem5's policies ------------------------------

def model(policy, seq, assoc):
    """gem5 semantics on one set: stamps are access times; invalid = 0."""
    ways = [None] * assoc
    stamp = [0] * assoc
    tree = [0] * (assoc - 1)
    out = []

    def plru_walk(way, towards):
        node = way + assoc - 1
        while node:
            right = node % 2 == 0
            node = (node - 1) // 2
            tree[node] = int(right if towards else not right)

    for t, line in enumerate(seq, start=1):
        if line in ways:
            w = ways.index(line)
            out.append(True)
            if policy in ("lru", "mru"):
                stamp[w] = t
            elif policy == "plru":
                plru_walk(w, towards=False)
            continue
        out.append(False)
        if policy in ("lru", "fifo"):
            w = min(range(assoc), key=lambda i: (stamp[i], i))
        elif policy == "mru":
            invalid = [i for i in range(assoc) if stamp[i] == 0]
            w = invalid[0] if invalid else max(range(assoc), key=lambda i: (stamp[i], -i))
        else:
            node = 0
            while node < assoc - 1:
                node = 2 * node + 2 if tree[node] else 2 * node + 1
            w = node - (assoc - 1)
        ways[w] = line
        stamp[w] = t
        if policy == "plru":
            plru_walk(w, towards=False)
    return out


@pytest.mark.parametrize("name,policy", [("lru", LRURP), ("fifo", FIFORP), ("plru", TreePLRURP), ("mru", MRURP)])
@pytest.mark.parametrize("assoc", [2, 4, 8])
def test_policies_match_the_model(name, policy, assoc):
    rng = random.Random(assoc * 31 + len(name))
    seq = [rng.randrange(assoc + 3) for _ in range(80)]
    hits, l1 = run_sequence(policy(), seq, assoc=assoc)
    assert hits == model(name, seq, assoc)
    assert l1["ReadReq.hits::cpu.data"] == sum(hits)


def test_sets_are_independent():
    # 2 ways x 4 sets: lines 0, 4, 8 share set 0; 1, 5 share set 1.
    hits, _ = run_sequence(LRURP(), [0, 4, 1, 5, 8, 1, 5, 0], assoc=2, sets=4)
    assert hits == [M, M, M, M, M, H, H, M]


def test_bip_with_full_btp_is_lru():
    seq = [A, B, C, D, A, C, B, E, D, A, B]
    assert run_sequence(BIPRP(btp=100), seq)[0] == run_sequence(LRURP(), seq)[0]


def test_tree_plru_needs_power_of_two_ways():
    with pytest.raises(npusim.SimulationError, match="num_leaves"):
        run_sequence(TreePLRURP(), [A], assoc=3, sets=1)
