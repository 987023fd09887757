// Root and System: structural objects of every configuration. They hold no
// timing state; System keeps the line size and memory ranges for reference.
#include "npusim/mem/port.hh"
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
    Port &getPort(const std::string &portName, int idx) override {
        if (portName == "system_port") return systemPort;
        return SimObject::getPort(portName, idx);
    }

  private:
    // gem5's system port, which gem5 uses for functional accesses of its
    // own; npusim's scripts load memory through other ports, so nothing is
    // ever sent on it.
    class SystemPort final : public RequestPort {
      public:
        using RequestPort::RequestPort;
        bool recvTimingResp(PacketPtr pkt) override { panic(fullName(), ": a response to a request never sent"); }
        void recvReqRetry() override {}
    };
    unsigned lineSize;
    SystemPort systemPort{"system_port", this};
};

NPUSIM_REGISTER_SIMOBJECT(Root, Root);
NPUSIM_REGISTER_SIMOBJECT(System, System);

}  // namespace npusim
