// Debug tracing in gem5's manner: named flags, off by default, switched on
// with `npusim --debug-flags=Cache,DRAM ...`; each enabled trace point prints
// "tick: object: message" to stdout or to --debug-file, inside the
// --debug-start/--debug-end window.
//
// A component declares its flag in its own .cc file with
// NPUSIM_DEBUG_FLAG(Name, "what it traces") -- the flag registers itself, as
// SimObject types do, so an extension adds flags without touching a list --
// and writes NPUSIM_DPRINTF(Name, "...", args...) inside a SimObject member
// (it uses name()). A disabled trace point costs one load and one
// well-predicted branch; the message is formatted only when it prints.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "npusim/sim/logging.hh"
#include "npusim/sim/types.hh"

namespace npusim::debug {

class Flag {
  public:
    Flag(const char *name, const char *description);
    Flag(const Flag &) = delete;
    Flag &operator=(const Flag &) = delete;

    const char *name() const { return flagName; }
    const char *description() const { return flagDescription; }
    // Read at every trace point: a plain bool, set only between runs.
    bool on = false;

  private:
    const char *flagName;
    const char *flagDescription;
};

// Every registered flag, sorted by name.
std::vector<const Flag *> allFlags();
// Enables exactly the named flags (an unknown name is a SimError naming it).
void setFlags(const std::vector<std::string> &names);
// Trace points print only for start <= tick < end.
void setWindow(Tick start, Tick end);
// Where trace lines go: a file path, or "" for stdout.
void setOutput(const std::string &path);
void flush();

// An address as gem5 prints it in traces (0x-prefixed hex).
std::string hex(std::uint64_t value);

// The slow path of NPUSIM_DPRINTF.
void print(const std::string &who, const std::string &message);
bool inWindow();

}  // namespace npusim::debug

#define NPUSIM_DEBUG_FLAG(flagName, description) \
    namespace npusim::debug {                    \
    Flag flagName(#flagName, description);       \
    }

#define NPUSIM_DECLARE_DEBUG_FLAG(flagName) \
    namespace npusim::debug {               \
    extern Flag flagName;                   \
    }

// Builds made for speed alone (`make fast`, like gem5.fast) define
// NPUSIM_TRACING=0: trace points compile to nothing and --debug-flags is refused.
#ifndef NPUSIM_TRACING
#define NPUSIM_TRACING 1
#endif

#if NPUSIM_TRACING
// For trace points outside a SimObject's members (ports): `who` names the object.
// The printing is a cold, out-of-line lambda, so that a disabled trace point
// adds one test to the hot path and nothing to its register allocation.
#define NPUSIM_DPRINTFN(flagName, who, ...)                                                  \
    do {                                                                                     \
        if (::npusim::debug::flagName.on) [[unlikely]]                                       \
            [&]() __attribute__((cold, noinline)) {                                          \
                if (::npusim::debug::inWindow())                                             \
                    ::npusim::debug::print(who, ::npusim::detail::concat(__VA_ARGS__));      \
            }();                                                                             \
    } while (0)

#else
#define NPUSIM_DPRINTFN(flagName, who, ...) \
    do {                                    \
    } while (0)
#endif

#define NPUSIM_DPRINTF(flagName, ...) NPUSIM_DPRINTFN(flagName, this->name(), __VA_ARGS__)
