// Statistics with gem5's names, semantics and text layout. Stats live in
// Groups (every SimObject is one); a dump flattens them into rows that the
// Python layer pads into stats.txt and stats.json.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "npusim/sim/eventq.hh"
#include "npusim/sim/types.hh"

namespace npusim::stats {

// Display flags, as in gem5.
enum Flags : unsigned {
    kNone = 0,
    kTotal = 1u << 0,   // print name::total for vectors
    kPdf = 1u << 1,     // print the share of each element
    kCdf = 1u << 2,     // print the cumulative share
    kNoZero = 1u << 3,  // omit zero elements / zero scalars
    kNoNan = 1u << 4,   // omit NaN values
};

// Unit strings exactly as gem5 prints them inside "(...)".
namespace units {
inline const std::string Count = "Count";
inline const std::string Tick = "Tick";
inline const std::string Cycle = "Cycle";
inline const std::string Second = "Second";
inline const std::string Byte = "Byte";
inline const std::string Ratio = "Ratio";
inline const std::string Joule = "Joule";
inline const std::string Watt = "Watt";
inline const std::string Unspecified = "Unspecified";
inline std::string rate(const std::string &num, const std::string &den) { return "(" + num + "/" + den + ")"; }
}  // namespace units

// One printed line: name relative to the dumping group, the value, the
// optional pdf / cdf columns (NaN when absent), description and unit.
struct Row {
    std::string name;
    double value;
    double pdf;
    double cdf;
    int precision;
    std::string desc;
    std::string unit;
};

class Group;

class StatBase {
  public:
    StatBase(Group *parent, std::string name, std::string unit, std::string desc);
    virtual ~StatBase() = default;
    StatBase(const StatBase &) = delete;
    StatBase &operator=(const StatBase &) = delete;

    virtual void reset() = 0;
    virtual void collect(const std::string &prefix, std::vector<Row> &out) const = 0;

    const std::string &name() const { return statName; }
    StatBase &flags(unsigned f) { displayFlags |= f; return *this; }
    StatBase &precision(int p) { prec = p; return *this; }
    StatBase &desc(std::string d) { description = std::move(d); return *this; }

  protected:
    void emit(std::vector<Row> &out, const std::string &fullName, double value, double pdf = NAN,
              double cdf = NAN) const;
    std::string statName;
    std::string statUnit;
    std::string description;
    unsigned displayFlags = kNone;
    int prec = -1;
};

class Scalar : public StatBase {
  public:
    using StatBase::StatBase;
    Scalar &operator++() { val += 1; return *this; }
    Scalar &operator+=(double x) { val += x; return *this; }
    Scalar &operator-=(double x) { val -= x; return *this; }
    Scalar &operator=(double x) { val = x; return *this; }
    double value() const { return val; }
    void reset() override { val = 0; }
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    double val = 0;
};

// A whole-number count (requests, bursts, bytes, ticks) for the per-request
// path: an integer add there, converted to double only when read or
// collected. Prints exactly what a Scalar holding the same value prints
// (exact while the count stays below 2^53, as the Scalar's sum would be).
class Counter : public StatBase {
  public:
    using StatBase::StatBase;
    Counter &operator++() { ++count; return *this; }
    Counter &operator+=(std::uint64_t n) { count += n; return *this; }
    double value() const { return double(count); }
    void reset() override { count = 0; }
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    std::uint64_t count = 0;
};

// Time-weighted average of a quantity that is set from time to time
// (gem5's Average): sum(value * ticks held) / ticks since reset.
class Average : public StatBase {
  public:
    using StatBase::StatBase;
    // Inline: set on the per-request path (queue lengths, occupancies).
    void set(double v) {
        const Tick now = curTick();
        // (through int64: one instruction, and the same double, as spans are far below 2^63)
        integral += current * double(std::int64_t(now - lastChange));
        lastChange = now;
        current = v;
    }
    Average &operator=(double v) { set(v); return *this; }
    Average &operator+=(double d) { set(current + d); return *this; }
    Average &operator-=(double d) { set(current - d); return *this; }
    double value() const;
    double held() const { return current; }  // the quantity now (not its average)
    void reset() override;
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    double current = 0;
    double integral = 0;
    Tick lastChange = 0;
    Tick resetTick = 0;
};

namespace detail {
// gem5's lines of a distribution (samples, mean, stdev, the buckets with
// pdf/cdf, min/max, total), shared by the distribution kinds. A histogram
// (gem5's Hist type) prints a gmean and no underflows, overflows, min or max.
// `hi` is the top of the last bucket's label (gem5's data.max).
struct DistributionValues {
    double lo, hi, bucket;
    const std::vector<double> &buckets;
    double underflow, overflow, sum, squares, minSeen, maxSeen;
    std::uint64_t count;
    bool histogram = false;
    double logs = 0;  // sum of log(sample), for the histogram's gmean
};
void collectDistribution(const std::string &base, const DistributionValues &d, unsigned flags,
                         const std::function<void(const std::string &, double, double, double)> &emitRow);
// gem5's element lines of a vector stat: name::subname (or name::index) with
// pdf/cdf columns when asked, then name::total (the sum, or `total`).
void collectElements(const std::string &prefix, const std::string &name, const std::vector<double> &vals,
                     const std::vector<std::string> &subs, unsigned flags, bool totalIsSum, double total,
                     const std::function<void(const std::string &, double, double, double)> &emitRow);
}  // namespace detail

// A vector stat whose elements are of type T, with subnames; Vector (double)
// and CounterVector (integer) are the two kinds. Derived is the concrete
// class, so that init().subnames().flags() chains keep their type.
template <typename Derived, typename T>
class VectorStat : public StatBase {
  public:
    using StatBase::StatBase;
    Derived &init(std::size_t n) { elems.assign(n, T{}); subs.resize(n); return self(); }
    Derived &subname(std::size_t i, std::string s) {
        if (i >= subs.size()) subs.resize(i + 1);
        subs[i] = std::move(s);
        return self();
    }
    Derived &subnames(const std::vector<std::string> &names) {
        if (names.size() > elems.size()) elems.resize(names.size(), T{});
        subs = names;
        subs.resize(elems.size());
        return self();
    }
    T &operator[](std::size_t i) { return elems[i]; }
    std::size_t size() const { return elems.size(); }
    // (integers are summed as integers: exact, and equal to the sum in
    // double while it stays below 2^53)
    double total() const { return double(std::accumulate(elems.begin(), elems.end(), T{})); }
    void reset() override { std::fill(elems.begin(), elems.end(), T{}); }
    void collect(const std::string &prefix, std::vector<Row> &out) const override {
        auto emitRow = [&](const std::string &n, double v, double p, double c) { emit(out, n, v, p, c); };
        if constexpr (std::is_same_v<T, double>) {
            detail::collectElements(prefix, statName, elems, subs, displayFlags, true, 0, emitRow);
        } else {
            const std::vector<double> vals(elems.begin(), elems.end());
            detail::collectElements(prefix, statName, vals, subs, displayFlags, true, 0, emitRow);
        }
    }

  protected:
    std::vector<T> elems;

  private:
    Derived &self() { return static_cast<Derived &>(*this); }
    std::vector<std::string> subs;
};

class Vector : public VectorStat<Vector, double> {
  public:
    using VectorStat::VectorStat;
    using VectorStat::operator[];
    double operator[](std::size_t i) const { return elems[i]; }
    const std::vector<double> &values() const { return elems; }
};

// Vector's counterpart of Counter: integer elements, printed exactly as a
// Vector with the same subnames, flags and values.
class CounterVector : public VectorStat<CounterVector, std::uint64_t> {
  public:
    using VectorStat::VectorStat;
    double value(std::size_t i) const { return double(elems[i]); }
};

// Fixed-bucket histogram with gem5's Distribution output.
class Distribution : public StatBase {
  public:
    using StatBase::StatBase;
    Distribution &init(double min, double max, double bucketSize);
    void sample(double v, std::uint64_t n = 1) {
        double w = double(n);
        if (v < lo) underflow += w;
        else if (v > hi) overflow += w;
        else buckets[std::size_t((v - lo) / bucket)] += w;
        sum += v * w;
        squares += v * v * w;
        count += n;
        if (std::isnan(minSeen) || v < minSeen) minSeen = v;
        if (std::isnan(maxSeen) || v > maxSeen) maxSeen = v;
    }
    std::uint64_t samples() const { return count; }
    double mean() const { return count ? sum / count : NAN; }
    void reset() override;
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    double lo = 0, hi = 0, bucket = 1;
    std::vector<double> buckets;
    double underflow = 0, overflow = 0, sum = 0, squares = 0;
    double minSeen = NAN, maxSeen = NAN;
    std::uint64_t count = 0;
};

// gem5's Histogram: `size` buckets of width 1 from 0; a sample beyond the
// last bucket doubles the width (merging neighbours) until it fits, so the
// range adapts to the data. Prints gem5's Hist lines: samples, mean, gmean,
// stdev, the buckets, total. Samples must not be negative.
class Histogram : public StatBase {
  public:
    using StatBase::StatBase;
    Histogram &init(std::size_t size);
    void sample(double v, std::uint64_t n = 1);
    std::uint64_t samples() const { return count; }
    void reset() override;
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    void doubleBucketWidth();
    std::vector<double> buckets;
    double bucket = 1;
    double sum = 0, squares = 0, logs = 0;
    std::uint64_t count = 0;
};

// Distribution's counterpart for whole-number samples (latencies in ticks,
// queue occupancies) on the per-request path: integer bucket index and
// tallies, converted when dumped. Prints exactly what a Distribution with
// the same bounds and samples prints (sum and squares stay doubles, added
// in the same order; counts are exact while below 2^53).
class IntDistribution : public StatBase {
  public:
    using StatBase::StatBase;
    IntDistribution &init(std::uint64_t min, std::uint64_t max, std::uint64_t bucketSize);
    void sample(std::uint64_t v) {
        if (v < lo) ++underflow;
        else if (v > hi) ++overflow;
        else ++buckets[(v - lo) / bucket];
        const double d = double(std::int64_t(v));  // (samples are far below 2^63: one instruction)
        sum += d;
        squares += d * d;
        ++count;
        minSeen = std::min(minSeen, v);
        maxSeen = std::max(maxSeen, v);
    }
    std::uint64_t samples() const { return count; }
    void reset() override;
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    std::uint64_t lo = 0, hi = 0, bucket = 1;
    std::vector<std::uint64_t> buckets;
    std::uint64_t underflow = 0, overflow = 0, count = 0;
    double sum = 0, squares = 0;
    std::uint64_t minSeen = ~std::uint64_t(0), maxSeen = 0;
};

// A distribution of small whole numbers 0..max, one bucket each (gem5's
// init(0, max, 1)), for samples on the per-request path: a sample is one
// increment; the mean, stdev, min and max are derived from the tallies when
// dumped, and print as a Distribution with the same samples would. Samples
// above max are a caller's error (not checked).
class TallyDistribution : public StatBase {
  public:
    using StatBase::StatBase;
    TallyDistribution &init(std::size_t max) { tally.assign(max + 1, 0); return *this; }
    void sample(std::size_t v) { ++tally[v]; }
    std::uint64_t samples() const { return std::accumulate(tally.begin(), tally.end(), std::uint64_t(0)); }
    void reset() override { std::fill(tally.begin(), tally.end(), 0); }
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    std::vector<std::uint64_t> tally;
};

// A value computed at dump time from other stats.
class Formula : public StatBase {
  public:
    Formula(Group *parent, std::string name, std::string unit, std::string desc, std::function<double()> f)
        : StatBase(parent, std::move(name), std::move(unit), std::move(desc)), fn(std::move(f)) {}
    Formula &operator=(std::function<double()> f) { fn = std::move(f); return *this; }
    double value() const { return fn ? fn() : NAN; }
    void reset() override {}
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    std::function<double()> fn;
};

// A vector computed at dump time (e.g. per-requestor miss rates); `total`
// gives the ::total entry, which for ratios is not the sum of elements.
class VectorFormula : public StatBase {
  public:
    using Eval = std::function<std::vector<double>()>;
    VectorFormula(Group *parent, std::string name, std::string unit, std::string desc)
        : StatBase(parent, std::move(name), std::move(unit), std::move(desc)) {}
    VectorFormula &define(Eval elements, std::function<double()> total) { elems = std::move(elements); tot = std::move(total); return *this; }
    VectorFormula &subnames(const std::vector<std::string> &names) { subs = names; return *this; }
    void reset() override {}
    void collect(const std::string &prefix, std::vector<Row> &out) const override;
  private:
    Eval elems;
    std::function<double()> tot;
    std::vector<std::string> subs;
};

class Group {
  public:
    explicit Group(Group *parent = nullptr, std::string name = "");
    virtual ~Group() = default;
    Group(const Group &) = delete;
    Group &operator=(const Group &) = delete;

    // Own stats in declaration order, then sub-groups that are not
    // SimObjects (SimObject children are dumped by the Python tree walk).
    void collect(const std::string &prefix, std::vector<Row> &out) const;
    virtual void resetStats();
    // Hook to bring derived values up to date just before a dump.
    virtual void preDumpStats() {}

    void addStat(StatBase *stat) { stats.push_back(stat); }
    void addGroup(Group *group) { groups.push_back(group); }
    const std::string &groupName() const { return name; }

  private:
    std::string name;
    std::vector<StatBase *> stats;
    std::vector<Group *> groups;
};

}  // namespace npusim::stats
