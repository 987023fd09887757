"""Sparse DNN workloads for the NPU: each builds an NPU program and the
memory image it runs on, with real data and the numpy-computed answer.

    from npusim import workloads
    workloads.names()                     # ['conv', 'embedding_bag', ...]
    w = workloads.get("spmm", sparsity=0.95, seed=3)
    result, check = w.run()               # golden interpreter + check
    assert check, check.message
"""

from .base import (Allocator, CheckResult, OutputSpec, SpadLayout, Workload,
                   summation_tolerance)
from .registry import entry, get, names, register

__all__ = ["Workload", "OutputSpec", "CheckResult", "Allocator", "SpadLayout",
           "summation_tolerance", "get", "names", "entry", "register"]
