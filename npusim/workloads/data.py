"""Data for the workloads: synthetic sparse matrices, power-law graphs, Zipf
indices, and real data from scikit-learn's bundled (offline) digits set."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import scipy.sparse as sp


# ---------------------------------------------------------------------------
# sparse matrices
# ---------------------------------------------------------------------------

def magnitude_prune(w: np.ndarray, sparsity: float, pattern: str = "unstructured",
                    nm: Tuple[int, int] = (2, 4)) -> np.ndarray:
    """Zero the smallest-magnitude weights of ``w`` (rows x cols).

    ``unstructured``: keep the round((1 - sparsity) * size) largest |w|.
    ``nm``: N:M structured along each row: in every group of M consecutive
    columns keep the N largest |w| (the sparsity is then 1 - N/M and the
    ``sparsity`` argument is ignored); the column count is zero-padded to a
    multiple of M for grouping.
    """
    w = np.array(w, dtype=np.float64, copy=True)
    if pattern == "unstructured":
        if not 0.0 <= sparsity < 1.0:
            raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
        keep = int(round((1.0 - sparsity) * w.size))
        if keep <= 0:
            return np.zeros_like(w)
        order = np.argsort(np.abs(w), axis=None, kind="stable")
        mask = np.zeros(w.size, dtype=bool)
        mask[order[w.size - keep:]] = True
        return np.where(mask.reshape(w.shape), w, 0.0)
    if pattern == "nm":
        n, m = nm
        if not 0 < n <= m:
            raise ValueError(f"bad N:M pattern {nm}")
        rows, cols = w.shape
        padc = -(-cols // m) * m
        wp = np.zeros((rows, padc))
        wp[:, :cols] = w
        g = wp.reshape(rows, padc // m, m)
        order = np.argsort(-np.abs(g), axis=2, kind="stable")
        mask = np.zeros_like(g, dtype=bool)
        np.put_along_axis(mask, order[:, :, :n], True, axis=2)
        return np.where(mask, g, 0.0).reshape(rows, padc)[:, :cols]
    raise ValueError(f"unknown sparsity pattern {pattern!r} (unstructured or nm)")


def random_sparse(rows: int, cols: int, sparsity: float, rng: np.random.Generator,
                  pattern: str = "unstructured", nm: Tuple[int, int] = (2, 4)) -> np.ndarray:
    """A dense float64 matrix with random normal values and the given zero pattern.

    Unstructured: exactly round((1-sparsity)*size) nonzeros at uniformly random
    positions. N:M: in every group of M columns of a row, N random positions.
    """
    if pattern == "unstructured":
        if not 0.0 <= sparsity < 1.0:
            raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
        nnz = int(round((1.0 - sparsity) * rows * cols))
        flat = np.zeros(rows * cols)
        pos = rng.choice(rows * cols, size=nnz, replace=False)
        flat[pos] = rng.standard_normal(nnz)
        return flat.reshape(rows, cols)
    if pattern == "nm":
        n, m = nm
        if not 0 < n <= m:
            raise ValueError(f"bad N:M pattern {nm}")
        padc = -(-cols // m) * m
        keys = rng.random((rows, padc // m, m))
        order = np.argsort(keys, axis=2)
        mask = np.zeros_like(keys, dtype=bool)
        np.put_along_axis(mask, order[:, :, :n], True, axis=2)
        vals = rng.standard_normal(mask.shape)
        return np.where(mask, vals, 0.0).reshape(rows, padc)[:, :cols]
    raise ValueError(f"unknown sparsity pattern {pattern!r} (unstructured or nm)")


# ---------------------------------------------------------------------------
# real data: scikit-learn's digits (bundled with the package, no download)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DigitsMLP:
    """A one-hidden-layer MLP trained on load_digits (8x8 images, 10 classes)."""

    w1: np.ndarray   # hidden x 64
    b1: np.ndarray   # hidden
    w2: np.ndarray   # 10 x hidden
    b2: np.ndarray   # 10
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray   # n x 64, pixels scaled to [0, 1]
    y_test: np.ndarray

    def accuracy(self, w1: np.ndarray = None) -> float:
        """Test accuracy, optionally with a replaced (e.g. pruned) first layer."""
        w1 = self.w1 if w1 is None else w1
        h = np.maximum(self.x_test @ w1.T + self.b1, 0.0)
        logits = h @ self.w2.T + self.b2
        return float(np.mean(np.argmax(logits, axis=1) == self.y_test))


@functools.lru_cache(maxsize=4)
def digits_mlp(hidden: int = 64, train_seed: int = 0) -> DigitsMLP:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    d = load_digits()
    x = d.data / 16.0
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=0.25, random_state=train_seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is fine
        clf = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=200,
                            random_state=train_seed).fit(xtr, ytr)
    return DigitsMLP(w1=clf.coefs_[0].T.copy(), b1=clf.intercepts_[0].copy(),
                     w2=clf.coefs_[1].T.copy(), b2=clf.intercepts_[1].copy(),
                     x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)


@functools.lru_cache(maxsize=2)
def digits_data() -> Tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    d = load_digits()
    return d.data / 16.0, d.target


@functools.lru_cache(maxsize=4)
def digits_knn_graph(k: int = 10) -> sp.csr_matrix:
    """Symmetric k-nearest-neighbour graph of the 1797 digits images
    (Euclidean on pixels, no self loops): a real graph with uneven degrees."""
    from sklearn.neighbors import kneighbors_graph
    x, _ = digits_data()
    g = kneighbors_graph(x, n_neighbors=k, mode="connectivity", include_self=False)
    g = ((g + g.T) > 0).astype(np.float64).tocsr()
    g.sort_indices()
    return g


# ---------------------------------------------------------------------------
# synthetic irregular structure
# ---------------------------------------------------------------------------

def powerlaw_graph(n: int, avg_degree: float, rng: np.random.Generator,
                   exponent: float = 2.2) -> sp.csr_matrix:
    """Undirected Chung-Lu graph whose expected degrees follow a power law
    with the given exponent (P(deg = d) ~ d^-exponent); no self loops or
    duplicate edges; node ids randomly permuted (hubs are scattered)."""
    if n < 2:
        raise ValueError("graph needs at least 2 nodes")
    ranks = np.arange(1, n + 1, dtype=np.float64)
    w = ranks ** (-1.0 / (exponent - 1.0))
    p = w / w.sum()
    m = int(round(avg_degree * n / 2))
    src = rng.choice(n, size=m, p=p)
    dst = rng.choice(n, size=m, p=p)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    perm = rng.permutation(n)
    src, dst = perm[src], perm[dst]
    a = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.float64).tocsr()
    a.sort_indices()
    return a


def zipf_indices(num_rows: int, count: int, alpha: float, rng: np.random.Generator,
                 permute: bool = True) -> np.ndarray:
    """``count`` row ids in [0, num_rows) with P(rank r) ~ r^-alpha (a
    bounded Zipf law, as embedding-table accesses in recommendation models);
    the hot rows are scattered over the table by a random permutation."""
    ranks = np.arange(1, num_rows + 1, dtype=np.float64)
    p = ranks ** (-float(alpha))
    p /= p.sum()
    ids = rng.choice(num_rows, size=count, p=p)
    if permute:
        ids = rng.permutation(num_rows)[ids]
    return ids.astype(np.int64)


def point_cloud(n: int, rng: np.random.Generator) -> np.ndarray:
    """A small synthetic 3-D scene: a floor plane, a sphere, a torus and a
    cylinder, with sensor noise; n x 3 float64."""
    parts = rng.multinomial(n, [0.3, 0.25, 0.25, 0.2])
    out = []
    k = parts[0]
    out.append(np.c_[rng.uniform(-2, 2, k), rng.uniform(-2, 2, k), np.zeros(k)])
    k = parts[1]
    v = rng.standard_normal((k, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    out.append(0.5 * v + [1.0, 1.0, 0.5])
    k = parts[2]
    u, t = rng.uniform(0, 2 * np.pi, k), rng.uniform(0, 2 * np.pi, k)
    out.append(np.c_[(0.6 + 0.2 * np.cos(t)) * np.cos(u) - 1.0,
                     (0.6 + 0.2 * np.cos(t)) * np.sin(u) + 0.5, 0.2 * np.sin(t) + 0.2])
    k = parts[3]
    u = rng.uniform(0, 2 * np.pi, k)
    out.append(np.c_[0.3 * np.cos(u) + 0.5, 0.3 * np.sin(u) - 1.2, rng.uniform(0, 1.2, k)])
    pts = np.concatenate(out) + rng.normal(0, 0.005, (n, 3))
    return pts[rng.permutation(n)]


def morton_order(points: np.ndarray, bits: int = 10) -> np.ndarray:
    """Permutation sorting points along a 3-D Z-order (Morton) curve."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    q = ((points - lo) / np.maximum(hi - lo, 1e-12) * ((1 << bits) - 1)).astype(np.int64)
    code = np.zeros(len(points), dtype=np.int64)
    for b in range(bits):
        for d in range(3):
            code |= ((q[:, d] >> b) & 1) << (3 * b + d)
    return np.argsort(code, kind="stable")


def to_csr(dense: np.ndarray) -> sp.csr_matrix:
    m = sp.csr_matrix(dense)
    m.eliminate_zeros()
    m.sort_indices()
    return m
