"""Replacement policies (gem5's src/mem/cache/replacement_policies/
ReplacementPolicies.py): LRURP, MRURP, FIFORP, RandomRP, TreePLRURP, BIPRP,
LIPRP. Any set-associative structure can use them: cache tags, prefetcher
tables, the NSB. The C++ base class is npusim/mem/cache/replacement/base.hh."""

from .base import Parent, SimObject
from ..params import Param


class BaseReplacementPolicy(SimObject):
    abstract = True


class LRURP(BaseReplacementPolicy):
    """Least recently used (ticks of the last touch; ties go to the lower way)."""

    type = "LRURP"


class MRURP(BaseReplacementPolicy):
    """Most recently used; invalid entries first."""

    type = "MRURP"


class FIFORP(BaseReplacementPolicy):
    """First in, first out: hits do not reorder."""

    type = "FIFORP"


class RandomRP(BaseReplacementPolicy):
    """A uniformly random way, or the first invalid one."""

    type = "RandomRP"
    seed = Param.UInt64(0, "npusim: seed of the victim draws (runs are deterministic for a seed)")


class TreePLRURP(BaseReplacementPolicy):
    """Tree pseudo-LRU over a power-of-2 number of ways."""

    type = "TreePLRURP"
    num_leaves = Param.Int(Parent.assoc, "Number of leaves in each tree (the associativity)")


class BIPRP(BaseReplacementPolicy):
    """Bimodal insertion: LRU that inserts at the MRU position only with
    probability btp percent, else at the LRU position."""

    type = "BIPRP"
    btp = Param.Percent(3, "Percentage of blocks to be inserted as MRU")
    seed = Param.UInt64(0, "npusim: seed of the insertion draws")


class LIPRP(BIPRP):
    """LRU insertion policy: every fill goes to the LRU position."""

    btp = Param.Percent(0, "Percentage of blocks to be inserted as MRU")
