// Errors raised by simulation objects. SimError carries a message that names
// the object (and parameter, where one is at fault); Python sees it as
// npusim.SimulationError.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace npusim {

class SimError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
std::string concat(const Args &...args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}
}  // namespace detail

// fatal: the user's configuration or input is wrong.
template <typename... Args>
[[noreturn]] void fatal(const Args &...args) {
    throw SimError(detail::concat(args...));
}

// panic: npusim itself is wrong (an invariant broke).
template <typename... Args>
[[noreturn]] void panic(const Args &...args) {
    throw std::logic_error("npusim internal error: " + detail::concat(args...));
}

}  // namespace npusim
