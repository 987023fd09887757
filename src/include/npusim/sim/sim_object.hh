// SimObject: the unit of configuration. Constructed from Params by the
// factory registered with NPUSIM_REGISTER_SIMOBJECT, then init() once every
// object exists and every port is bound, then startup() before simulating.
#pragma once
#include <memory>
#include <string>
#include <typeinfo>

#include "npusim/sim/params.hh"
#include "npusim/sim/stats.hh"

namespace npusim {

class Port;

class SimObject : public stats::Group {
  public:
    explicit SimObject(const Params &p);
    ~SimObject() override;

    const std::string &name() const { return objectName; }
    const std::string &typeName() const { return objectType; }

    virtual void init() {}
    virtual void startup() {}

    // Instructions executed since the last stats reset: the root's simInsts
    // sums them, as gem5 sums its CPUs'. Only processors have any.
    virtual std::uint64_t instructionsSimulated() const { return 0; }

    // Ports by the names the Python declaration gives them; idx >= 0 for an
    // element of a vector port. Throws a configuration error if unknown.
    virtual Port &getPort(const std::string &portName, int idx = -1);

  private:
    std::string objectName;
    std::string objectType;
};

using SimObjectFactory = SimObject *(*)(const Params &);

struct SimObjectRegistrar {
    SimObjectRegistrar(const char *typeName, SimObjectFactory factory, const std::type_info &cxxClass);
};

// Creates an object of a registered type; fatal if the type is unknown.
SimObject *createSimObject(const std::string &typeName, const Params &p);
bool isRegisteredType(const std::string &typeName);
// The C++ class registered for a type, with its namespace ("" if none).
std::string cxxClassOf(const std::string &typeName);
std::vector<std::string> registeredTypes();

}  // namespace npusim

// Registers CppClass as the implementation of the Python declaration TypeName.
#define NPUSIM_REGISTER_SIMOBJECT(TypeName, CppClass)                                          \
    static ::npusim::SimObjectRegistrar npusimRegistrar_##TypeName(                              \
        #TypeName, [](const ::npusim::Params &p) -> ::npusim::SimObject * { return new CppClass(p); }, \
        typeid(CppClass))
