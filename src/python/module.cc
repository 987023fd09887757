// The pybind11 boundary: the Python config layer creates objects by type
// name with checked, base-unit params, binds ports, drives the loop and
// collects stat rows. Nothing here knows any concrete SimObject type.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <csignal>
#include <memory>
#include <vector>

#include "npusim/mem/packet.hh"
#include "npusim/mem/port.hh"
#include "npusim/mem/requestors.hh"
#include "npusim/sim/debug.hh"
#include "npusim/sim/sim_object.hh"
#include "npusim/sim/simulate.hh"

namespace py = pybind11;
using namespace npusim;

namespace {

std::vector<std::unique_ptr<SimObject>> &liveObjects() {
    static std::vector<std::unique_ptr<SimObject>> objs;
    return objs;
}

ParamValue toParamValue(const std::string &obj, const std::string &key, const py::handle &v) {
    if (v.is_none()) return std::monostate{};
    if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
    if (py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
    if (py::isinstance<py::float_>(v)) return v.cast<double>();
    if (py::isinstance<py::str>(v)) return v.cast<std::string>();
    if (py::isinstance<py::bytes>(v)) return Blob{v.cast<std::string>()};
    if (py::isinstance<SimObject>(v)) return v.cast<SimObject *>();
    if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
        py::sequence seq = v.cast<py::sequence>();
        if (seq.size() == 0) return std::vector<std::int64_t>{};
        py::handle first = seq[0];
        if (py::isinstance<SimObject>(first)) return v.cast<std::vector<SimObject *>>();
        if (py::isinstance<py::str>(first)) return v.cast<std::vector<std::string>>();
        if (py::isinstance<py::float_>(first)) return v.cast<std::vector<double>>();
        if (py::isinstance<py::int_>(first)) return v.cast<std::vector<std::int64_t>>();
    }
    fatal(obj, ".", key, ": value of Python type '", std::string(py::str(py::type::of(v).attr("__name__"))),
          "' cannot be passed to C++");
}

SimObject *create(const std::string &typeName, const std::string &name, const py::dict &params) {
    Params p(name, typeName);
    for (auto item : params) {
        std::string key = item.first.cast<std::string>();
        p.set(key, toParamValue(name, key, item.second));
    }
    try {
        liveObjects().emplace_back(createSimObject(typeName, p));
    } catch (const std::length_error &) {
        // a table sized beyond vector::max_size(): the same mistake as one
        // too big for host memory, which Python reports naming the object
        throw std::bad_alloc();
    }
    return liveObjects().back().get();
}

void bindPorts(Port &a, Port &b) {
    if (a.isRequestPort() == b.isRequestPort())
        fatal("cannot connect ", a.fullName(), " to ", b.fullName(), ": both are ",
              a.isRequestPort() ? "request" : "response", " ports");
    auto &req = static_cast<RequestPort &>(a.isRequestPort() ? a : b);
    auto &resp = static_cast<ResponsePort &>(a.isRequestPort() ? b : a);
    req.bind(resp);
}

RequestPort &asRequestPort(Port &port) {
    if (!port.isRequestPort()) fatal(port.fullName(), ": functional access needs a request port");
    if (!port.isConnected()) fatal(port.fullName(), ": port is not connected");
    return static_cast<RequestPort &>(port);
}

// Functional accesses go down in aligned chunks so every cache on the way
// sees packets no larger than a page.
constexpr Addr kFunctionalChunk = 4096;

// Returns a functional packet to the pool even when the access throws (an
// unmapped address), so that an error leaves no packet live.
struct PooledPacket {
    Packet *pkt;
    ~PooledPacket() { Packet::destroy(pkt); }
};

void functionalWrite(Port &port, Addr addr, const py::bytes &data, RequestorID requestor) {
    RequestPort &req = asRequestPort(port);
    std::string_view bytes = data;
    std::size_t done = 0;
    while (done < bytes.size()) {
        Addr a = addr + done;
        std::size_t chunk = std::min<std::size_t>(bytes.size() - done, kFunctionalChunk - (a % kFunctionalChunk));
        PooledPacket p{Packet::create(MemCmd::WriteReq, a, unsigned(chunk), requestor)};
        p.pkt->setData(reinterpret_cast<const std::uint8_t *>(bytes.data() + done));
        req.sendFunctional(p.pkt);
        done += chunk;
    }
}

py::bytes functionalRead(Port &port, Addr addr, std::size_t size, RequestorID requestor) {
    RequestPort &req = asRequestPort(port);
    // The buffer grows as chunks are read, so a size running past the memory
    // fails on its first unmapped chunk, not by allocating the whole size.
    std::string out;
    std::size_t done = 0;
    while (done < size) {
        Addr a = addr + done;
        std::size_t chunk = std::min<std::size_t>(size - done, kFunctionalChunk - (a % kFunctionalChunk));
        PooledPacket p{Packet::create(MemCmd::ReadReq, a, unsigned(chunk), requestor)};
        p.pkt->markDataValid();
        req.sendFunctional(p.pkt);
        out.resize(done + chunk);
        p.pkt->writeDataTo(reinterpret_cast<std::uint8_t *>(out.data() + done));
        done += chunk;
    }
    return py::bytes(out);
}

void resetSimulation() {
    mainEventQueue().clear();
    auto &objs = liveObjects();
    while (!objs.empty()) objs.pop_back();  // reverse creation order
    mainEventQueue().clear();
    Packet::resetPool();
    resetRequestors();
    resetExitState();
    resetSimulateLoop();
    detail::currentTick = 0;
}

// Python's own SIGINT handler only sets a flag that the interpreter checks
// when it holds the GIL, which the simulation loop has released: Ctrl-C could
// not stop a run that never ends (an NPU program in an endless loop, a run
// without max_ticks). For the duration of simulate() on the main thread, a C
// handler asks the loop to stop instead; the previous handler comes back after.
class SigintGuard {
  public:
    SigintGuard() {
        py::module_ threading = py::module_::import("threading");
        if (!threading.attr("current_thread")().is(threading.attr("main_thread")())) return;
        struct sigaction sa {};
        sa.sa_handler = [](int) { interruptSimLoop(); };
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, nullptr, &previous) != 0 || previous.sa_handler == SIG_IGN) return;
        installed = sigaction(SIGINT, &sa, nullptr) == 0;
    }
    ~SigintGuard() {
        if (installed) sigaction(SIGINT, &previous, nullptr);
    }
    SigintGuard(const SigintGuard &) = delete;
    SigintGuard &operator=(const SigintGuard &) = delete;

  private:
    struct sigaction previous {};
    bool installed = false;
};

py::list statsRows(SimObject &obj) {
    std::vector<stats::Row> rows;
    obj.collect("", rows);
    py::list out;
    for (auto &r : rows) out.append(py::make_tuple(r.name, r.value, r.pdf, r.cdf, r.precision, r.desc, r.unit));
    return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "npusim simulation kernel";
    py::register_exception<SimError>(m, "SimulationError", PyExc_RuntimeError);

    py::class_<Port>(m, "Port")
        .def_property_readonly("name", &Port::name)
        .def_property_readonly("full_name", &Port::fullName)
        .def_property_readonly("is_request", &Port::isRequestPort)
        .def_property_readonly("is_connected", &Port::isConnected);

    py::class_<SimObject>(m, "SimObject")
        .def_property_readonly("name", &SimObject::name)
        .def_property_readonly("type_name", &SimObject::typeName)
        .def("get_port", &SimObject::getPort, py::arg("name"), py::arg("idx") = -1, py::return_value_policy::reference)
        .def("init", &SimObject::init)
        .def("startup", &SimObject::startup)
        .def("reset_stats", &SimObject::resetStats)
        .def("instructions_simulated", &SimObject::instructionsSimulated)
        .def("stats_rows", &statsRows);

    m.def("create", &create, py::return_value_policy::reference);
    m.def("bind_ports", &bindPorts);
    m.def("functional_write", &functionalWrite, py::arg("port"), py::arg("addr"), py::arg("data"),
          py::arg("requestor") = 0);
    m.def("functional_read", &functionalRead, py::arg("port"), py::arg("addr"), py::arg("size"),
          py::arg("requestor") = 0);
    m.def("simulate", [](Tick maxTick) {
        ExitInfo info;
        SigintGuard sigint;
        {
            py::gil_scoped_release release;
            info = simulate(maxTick);
        }
        debug::flush();  // trace lines before anything Python prints next
        return py::make_tuple(info.cause, info.code, info.tick);
    });
    m.attr("LIMIT_CAUSE") = kLimitCause;
    m.def("exit_sim_loop", [](const std::string &cause, int code) { exitSimLoop(cause, code); });
    m.def("cur_tick", &curTick);
    m.def("reset_simulation", &resetSimulation);
    m.def("registered_types", &registeredTypes);
    m.def("cxx_class", &cxxClassOf);
    m.def("requestor_names", &requestorNames);
    m.def("packets_live", &Packet::live);
    m.def("packets_created", &Packet::totalCreated);
    m.def("demand_requests", &demandRequestsIssued);
    m.def("events_processed", [] { return mainEventQueue().eventsProcessed(); });
    m.def("events_pending", [] { return mainEventQueue().size(); });
    m.def("debug_flags", [] {
        py::list out;
        for (const debug::Flag *f : debug::allFlags()) out.append(py::make_tuple(f->name(), f->description()));
        return out;
    });
    m.def("set_debug_flags", &debug::setFlags);
    m.def("set_debug_window", &debug::setWindow);
    m.def("set_debug_output", &debug::setOutput);
    m.attr("tracing") = bool(NPUSIM_TRACING);  // false in `make fast` builds
}
