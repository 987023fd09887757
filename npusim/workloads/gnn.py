"""GNN neighbour aggregation over power-law and real graphs."""

from __future__ import annotations

import numpy as np

from ..isa import NPUConfig, Program, validate
from .base import Allocator, OutputSpec, Regs, SpadLayout, Workload, rng_for, summation_tolerance
from .data import digits_data, digits_knn_graph, powerlaw_graph
from .embedding import emit_segment_sum, emit_segment_sum_pipelined
from .registry import register

F32 = np.float32


@register("gnn", small=dict(nodes=256, avg_degree=6, features=16),
          doc="GNN mean/sum neighbour aggregation (CSR adjacency) over a power-law or real graph")
def gnn(nodes: int = 2048, avg_degree: float = 8.0, features: int = 32, seed: int = 0,
        aggr: str = "mean", source: str = "powerlaw", exponent: float = 2.2, knn: int = 10,
        pipeline: bool = False, config=None) -> Workload:
    """Neighbour aggregation of one GNN layer (GraphSAGE-mean / GCN-style):
    ``out[v] = scale[v] * sum_{u in N(v)} H[u]`` with ``scale = 1/deg(v)``
    (``aggr="mean"``) or 1 (``"sum"``); the adjacency is CSR (row pointers,
    neighbour ids), H is nodes x features float32.

    ``source="powerlaw"``: an undirected Chung-Lu graph with power-law
    degrees (exponent ``exponent``, mean degree about ``avg_degree``) and
    random features. ``source="digits"``: the symmetric ``knn``-nearest-
    neighbour graph of scikit-learn's 1797 digits images, with the 64 pixel
    values as features (``nodes``/``features`` are then fixed by the data).
    ``pipeline=True``: the software-pipelined segment sum
    (``embedding.emit_segment_sum_pipelined``).
    """
    cfg = NPUConfig.coerce(config)
    rng = rng_for(seed, 20)
    if source == "powerlaw":
        adj = powerlaw_graph(nodes, avg_degree, rng, exponent)
        h = rng.standard_normal((nodes, features)).astype(F32)
    elif source == "digits":
        adj = digits_knn_graph(knn)
        x, _ = digits_data()
        h = x.astype(F32)
        nodes, features = h.shape
    else:
        raise ValueError(f"unknown source {source!r} (powerlaw or digits)")
    if aggr not in ("mean", "sum"):
        raise ValueError(f"unknown aggregation {aggr!r} (mean or sum)")
    deg = np.diff(adj.indptr)
    hf = h.astype(np.float64)
    summed = np.zeros((nodes, features))
    mag = np.zeros((nodes, features))
    src = np.repeat(np.arange(nodes), deg)
    np.add.at(summed, src, hf[adj.indices])
    np.add.at(mag, src, np.abs(hf[adj.indices]))
    scale = None
    if aggr == "mean":
        scale = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0).astype(F32)
        summed *= scale[:, None].astype(np.float64)
        mag *= scale[:, None].astype(np.float64)

    al = Allocator()
    a_rowptr = al.place("rowptr", adj.indptr.astype(np.int32))
    a_nbr = al.place("neighbours", adj.indices.astype(np.int32))
    a_h = al.place("H", h)
    a_scale = al.place("inv_degree", scale) if scale is not None else None
    a_out = al.reserve("out", nodes * features * 4)
    p = Program(name="gnn")
    emit = emit_segment_sum_pipelined if pipeline else emit_segment_sum
    emit(p, cfg, Regs(cfg), SpadLayout(cfg), tag="", a_offsets=a_rowptr,
                     a_indices=a_nbr, a_table=a_h, a_out=a_out, segments=nodes,
                     row_floats=features, out_stride=features * 4, a_scale=a_scale)
    p.halt()
    validate(p, cfg)
    return Workload(
        name="gnn", program=p, memory=al.memory,
        output=OutputSpec(a_out, np.dtype(F32), (nodes, features)),
        expected=summed.astype(F32), tolerance=summation_tolerance(mag, int(deg.max(initial=0)) + 2),
        params=dict(nodes=nodes, avg_degree=avg_degree, features=features, seed=seed, aggr=aggr,
                    source=source, exponent=exponent, knn=knn, pipeline=bool(pipeline)),
        config=cfg, regions=dict(al.regions),
        info=dict(edges=int(adj.nnz), gathered_rows=int(adj.nnz), max_degree=int(deg.max(initial=0)),
                  isolated_nodes=int(np.sum(deg == 0))))
