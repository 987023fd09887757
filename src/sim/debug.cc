#include "npusim/sim/debug.hh"

#include <algorithm>
#include <cstdio>
#include <map>

#include "npusim/sim/eventq.hh"

namespace npusim::debug {

namespace {

// Constructed on first use: flags register during static initialisation,
// in whatever order the files' initialisers run.
std::map<std::string, Flag *> &registry() {
    static std::map<std::string, Flag *> flags;
    return flags;
}

Tick windowStart = 0;
Tick windowEnd = kMaxTick;
std::FILE *output = nullptr;  // null: stdout

}  // namespace

Flag::Flag(const char *name, const char *description) : flagName(name), flagDescription(description) {
    if (!registry().emplace(name, this).second) panic("debug flag '", name, "' is defined twice");
}

std::vector<const Flag *> allFlags() {
    std::vector<const Flag *> out;
    for (const auto &[name, flag] : registry()) out.push_back(flag);
    return out;
}

void setFlags(const std::vector<std::string> &names) {
    if (!NPUSIM_TRACING && !names.empty())
        fatal("--debug-flags: this build has no trace points (make fast, like gem5.fast); "
              "`make build` installs one that has");
    for (const std::string &n : names)
        if (!registry().count(n)) {
            std::string known;
            for (const auto &[name, flag] : registry()) known += (known.empty() ? "" : ", ") + name;
            fatal("--debug-flags: unknown debug flag '", n, "' (known: ", known, ")");
        }
    for (auto &[name, flag] : registry())
        flag->on = std::find(names.begin(), names.end(), name) != names.end();
}

void setWindow(Tick start, Tick end) {
    if (end <= start) fatal("--debug-end (", end, ") must be after --debug-start (", start, ")");
    windowStart = start;
    windowEnd = end;
}

void setOutput(const std::string &path) {
    if (output) std::fclose(output);
    output = nullptr;
    if (path.empty()) return;
    output = std::fopen(path.c_str(), "w");
    if (!output) fatal("--debug-file: cannot open '", path, "' for writing");
}

void flush() { std::fflush(output ? output : stdout); }

std::string hex(std::uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

bool inWindow() {
    const Tick now = curTick();
    return now >= windowStart && now < windowEnd;
}

void print(const std::string &who, const std::string &message) {
    // gem5's layout: the tick right-aligned in seven columns, the object, the message.
    std::fprintf(output ? output : stdout, "%7llu: %s: %s\n", static_cast<unsigned long long>(curTick()),
                 who.c_str(), message.c_str());
}

}  // namespace npusim::debug
