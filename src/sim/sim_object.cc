#include "npusim/sim/clocked_object.hh"

#include <algorithm>
#include <map>

#include "npusim/mem/port.hh"

namespace npusim {

namespace {
std::map<std::string, SimObjectFactory> &registry() {
    static std::map<std::string, SimObjectFactory> types;
    return types;
}
}  // namespace

SimObjectRegistrar::SimObjectRegistrar(const char *typeName, SimObjectFactory factory) {
    auto [it, inserted] = registry().emplace(typeName, factory);
    if (!inserted) panic("SimObject type '", typeName, "' registered twice");
}

SimObject *createSimObject(const std::string &typeName, const Params &p) {
    auto it = registry().find(typeName);
    if (it == registry().end())
        fatal(p.name(), ": no C++ implementation is registered for type '", typeName, "'");
    return it->second(p);
}

bool isRegisteredType(const std::string &typeName) { return registry().count(typeName) != 0; }

std::vector<std::string> registeredTypes() {
    std::vector<std::string> names;
    for (auto &kv : registry()) names.push_back(kv.first);
    return names;
}

SimObject::SimObject(const Params &p) : stats::Group(nullptr, ""), objectName(p.name()), objectType(p.typeName()) {}

SimObject::~SimObject() = default;

Port &SimObject::getPort(const std::string &portName, int idx) {
    fatal(objectName, ": ", objectType, " has no port named '", portName, "'");
}

ClockDomain::ClockDomain(const Params &p)
    : SimObject(p), clockPeriod(p.get<Tick>("clock")), clockStat(this, "clock", stats::units::Tick, "Clock period in ticks", [this] { return double(clockPeriod); }) {
    if (clockPeriod == 0) p.error("clock", "clock period must be positive");
}

}  // namespace npusim
