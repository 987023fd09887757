// Parameters as they arrive from Python: already type-checked and in base
// units (bytes, ticks, cycles, Hz as ticks per cycle). C++ reads them with
// get<T>(name); a missing or mistyped value is a configuration error that
// names the object and the parameter.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "npusim/sim/logging.hh"
#include "npusim/sim/types.hh"

namespace npusim {

class SimObject;

// A binary blob (numpy array bytes, a program encoding, a memory image).
struct Blob {
    std::string bytes;
};

using ParamValue = std::variant<std::monostate, bool, std::int64_t, double, std::string, Blob,
                                std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>,
                                SimObject *, std::vector<SimObject *>>;

class Params {
  public:
    Params(std::string objectName, std::string typeName)
        : objName(std::move(objectName)), typName(std::move(typeName)) {}

    const std::string &name() const { return objName; }
    const std::string &typeName() const { return typName; }

    void set(const std::string &key, ParamValue value) { values[key] = std::move(value); }
    bool has(const std::string &key) const {
        auto it = values.find(key);
        return it != values.end() && !std::holds_alternative<std::monostate>(it->second);
    }

    template <typename T>
    T get(const std::string &key) const {
        return convert<T>(key, lookup(key));
    }

    template <typename T>
    T get(const std::string &key, T fallback) const {
        return has(key) ? get<T>(key) : fallback;
    }

    // Reports a bad value in the gem5 way: "<object>.<param>: <why>".
    [[noreturn]] void error(const std::string &key, const std::string &why) const {
        fatal(objName, ".", key, ": ", why);
    }

  private:
    const ParamValue &lookup(const std::string &key) const {
        auto it = values.find(key);
        if (it == values.end() || std::holds_alternative<std::monostate>(it->second))
            error(key, "parameter has no value (required by " + typName + ")");
        return it->second;
    }

    template <typename T>
    T convert(const std::string &key, const ParamValue &v) const;

    template <typename T>
    T toInteger(const std::string &key, const ParamValue &v) const {
        std::int64_t raw;
        if (auto p = std::get_if<std::int64_t>(&v)) raw = *p;
        else if (auto b = std::get_if<bool>(&v)) raw = *b;
        else error(key, "expected an integer");
        if constexpr (std::is_unsigned_v<T>) {
            if (raw < 0) error(key, "must not be negative, got " + std::to_string(raw));
            if (static_cast<std::uint64_t>(raw) > std::numeric_limits<T>::max())
                error(key, "value " + std::to_string(raw) + " is too large");
        } else {
            if (raw < std::numeric_limits<T>::min() || raw > std::numeric_limits<T>::max())
                error(key, "value " + std::to_string(raw) + " is out of range");
        }
        return static_cast<T>(raw);
    }

    std::string objName;
    std::string typName;
    std::map<std::string, ParamValue> values;
};

template <typename T>
T Params::convert(const std::string &key, const ParamValue &v) const {
    if constexpr (std::is_same_v<T, bool>) {
        if (auto p = std::get_if<bool>(&v)) return *p;
        error(key, "expected a boolean");
    } else if constexpr (std::is_same_v<T, Cycles>) {
        return Cycles(toInteger<std::uint64_t>(key, v));
    } else if constexpr (std::is_integral_v<T>) {
        return toInteger<T>(key, v);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (auto p = std::get_if<double>(&v)) return static_cast<T>(*p);
        if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<T>(*p);
        error(key, "expected a number");
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (auto p = std::get_if<std::string>(&v)) return *p;
        error(key, "expected a string");
    } else if constexpr (std::is_same_v<T, Blob>) {
        if (auto p = std::get_if<Blob>(&v)) return *p;
        error(key, "expected binary data");
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        if (auto p = std::get_if<std::vector<std::string>>(&v)) return *p;
        error(key, "expected a list of strings");
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
        if (auto p = std::get_if<std::vector<double>>(&v)) return *p;
        if (auto p = std::get_if<std::vector<std::int64_t>>(&v)) return std::vector<double>(p->begin(), p->end());
        error(key, "expected a list of numbers");
    } else if constexpr (std::is_same_v<T, std::vector<SimObject *>>) {
        if (auto p = std::get_if<std::vector<SimObject *>>(&v)) return *p;
        error(key, "expected a list of SimObjects");
    } else if constexpr (std::is_pointer_v<T>) {
        using Target = std::remove_pointer_t<T>;
        SimObject *obj = nullptr;
        if (auto p = std::get_if<SimObject *>(&v)) obj = *p;
        else error(key, "expected a SimObject");
        if (!obj) return nullptr;
        auto *cast = dynamic_cast<T>(obj);
        if (!cast) error(key, "the object given is not of the required type");
        (void)sizeof(Target);
        return cast;
    } else {
        // vectors of integers
        using Elem = typename T::value_type;
        static_assert(std::is_integral_v<Elem>, "unsupported parameter type");
        if (auto p = std::get_if<std::vector<std::int64_t>>(&v)) {
            T out;
            out.reserve(p->size());
            for (auto x : *p) out.push_back(toInteger<Elem>(key, ParamValue(x)));
            return out;
        }
        error(key, "expected a list of integers");
    }
}

}  // namespace npusim
