#include "npusim/sim/clocked_object.hh"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "npusim/mem/port.hh"

namespace npusim {

namespace {
struct RegisteredType {
    SimObjectFactory factory;
    std::string cxxClass;
};
std::map<std::string, RegisteredType> &registry() {
    static std::map<std::string, RegisteredType> types;
    return types;
}
}  // namespace

SimObjectRegistrar::SimObjectRegistrar(const char *typeName, SimObjectFactory factory, const std::type_info &cxxClass) {
    // the class's full name, as config.json's cxx_class shows it
    int status = 0;
    char *demangled = abi::__cxa_demangle(cxxClass.name(), nullptr, nullptr, &status);
    std::string name = status == 0 && demangled ? demangled : cxxClass.name();
    std::free(demangled);
    auto [it, inserted] = registry().emplace(typeName, RegisteredType{factory, std::move(name)});
    if (!inserted) panic("SimObject type '", typeName, "' registered twice");
}

SimObject *createSimObject(const std::string &typeName, const Params &p) {
    auto it = registry().find(typeName);
    if (it == registry().end())
        fatal(p.name(), ": no C++ implementation is registered for type '", typeName, "'");
    return it->second.factory(p);
}

std::string cxxClassOf(const std::string &typeName) {
    auto it = registry().find(typeName);
    return it == registry().end() ? std::string() : it->second.cxxClass;
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
