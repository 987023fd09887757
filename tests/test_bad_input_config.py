"""Config-layer and API misuse (the Python side of tests/test_bad_input.py):
each case was silently accepted, crashed or gave an unnamed error before the
check it covers existed."""


import pytest

import npusim
from npusim.objects import NSB, AddrRange, Cache, SystemXBar
from npusim.units import UnitError

from test_bad_input import raises_naming, system_with


# --- None given to a parameter that has no "unset" -------------------------

@pytest.mark.parametrize("make,param,fragment", [
    (SystemXBar, "point_of_coherency", "the default is True"),   # C++ fell back to false
    (NSB, "demand_mshr_reserve", "the default is 8"),            # C++ fell back to 1
    (Cache, "size", "the default is '32KiB'"),
])
def test_none_is_not_silently_replaced_by_a_cxx_fallback(make, param, fragment):
    system = system_with()
    system.x = make()
    with raises_naming(npusim.ParamError, f"system.x.{param}", "None is not a value", fragment):
        setattr(system.x, param, None)


def test_none_is_refused_at_instantiate_when_set_before_the_object_had_a_path():
    system_with(cache=Cache(assoc=None))
    with raises_naming(npusim.ParamError, "system.l2.assoc", "None is not a value"):
        npusim.instantiate()


def test_none_stays_a_value_where_it_means_something():
    system = system_with(cache=Cache())
    system.l2.prefetcher = None            # a SimObject parameter: gem5's NULL
    system.l2.prefetch_on_access = None    # declared default None: "the prefetcher's own"
    npusim.instantiate()


def test_addr_range_with_both_end_and_size_is_refused():
    # the size silently won: AddrRange(0, 10, size=20) was [0, 20)
    with pytest.raises(UnitError, match="an end or a size, not both"):
        AddrRange(0, 10, size=20)

