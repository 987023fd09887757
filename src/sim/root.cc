// Root and System: structural objects of every configuration. They hold no
// timing state; System keeps the line size and memory ranges for reference.
#include "npusim/sim/clocked_object.hh"

namespace npusim {

class Root : public SimObject {
  public:
    explicit Root(const Params &p) : SimObject(p) {}
};

class System : public SimObject {
  public:
    explicit System(const Params &p) : SimObject(p), lineSize(p.get<unsigned>("cache_line_size")) {
        if (lineSize == 0 || (lineSize & (lineSize - 1)))
            p.error("cache_line_size", "must be a power of two, got " + std::to_string(lineSize));
    }
  private:
    unsigned lineSize;
};

NPUSIM_REGISTER_SIMOBJECT(Root, Root);
NPUSIM_REGISTER_SIMOBJECT(System, System);

}  // namespace npusim
