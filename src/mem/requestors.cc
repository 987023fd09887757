#include "npusim/mem/requestors.hh"

namespace npusim {

namespace {
std::vector<std::string> &names() {
    static std::vector<std::string> n{"writebacks"};
    return n;
}
}  // namespace

RequestorID registerRequestor(const std::string &objectPath, const std::string &suffix) {
    std::string name = objectPath;
    auto dot = name.find('.');
    if (dot != std::string::npos) name = name.substr(dot + 1);
    if (!suffix.empty()) name += "." + suffix;
    auto &n = names();
    for (std::size_t i = 0; i < n.size(); ++i)
        if (n[i] == name) return RequestorID(i);
    n.push_back(name);
    return RequestorID(n.size() - 1);
}

const std::vector<std::string> &requestorNames() { return names(); }

void resetRequestors() { names().assign(1, "writebacks"); }

}  // namespace npusim
