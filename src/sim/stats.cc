#include "npusim/sim/stats.hh"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "npusim/sim/eventq.hh"
#include "npusim/sim/logging.hh"

namespace npusim::stats {

StatBase::StatBase(Group *parent, std::string name, std::string unit, std::string desc)
    : statName(std::move(name)), statUnit(std::move(unit)), description(std::move(desc)) {
    if (parent) parent->addStat(this);
}

void StatBase::emit(std::vector<Row> &out, const std::string &fullName, double value, double pdf,
                    double cdf) const {
    out.push_back(Row{fullName, value, pdf, cdf, prec, description, statUnit});
}

static std::string join(const std::string &prefix, const std::string &name) {
    return prefix.empty() ? name : prefix + "." + name;
}

void Scalar::collect(const std::string &prefix, std::vector<Row> &out) const {
    if ((displayFlags & kNoZero) && val == 0) return;
    if ((displayFlags & kNoNan) && std::isnan(val)) return;
    emit(out, join(prefix, statName), val);
}

void Counter::collect(const std::string &prefix, std::vector<Row> &out) const {
    if ((displayFlags & kNoZero) && count == 0) return;
    emit(out, join(prefix, statName), double(count));
}

double Average::value() const {
    Tick now = curTick();
    double total = integral + current * double(now - lastChange);
    Tick span = now - resetTick;
    return span ? total / double(span) : current;
}

void Average::reset() {
    integral = 0;
    lastChange = resetTick = curTick();
}

void Average::collect(const std::string &prefix, std::vector<Row> &out) const {
    double v = value();
    if ((displayFlags & kNoZero) && v == 0) return;
    emit(out, join(prefix, statName), v);
}

namespace detail {
void collectElements(const std::string &prefix, const std::string &name, const std::vector<double> &vals,
                     const std::vector<std::string> &subs, unsigned flags, bool totalIsSum, double total,
                     const std::function<void(const std::string &, double, double, double)> &emitRow) {
    const std::string base = join(prefix, name);
    double sum = std::accumulate(vals.begin(), vals.end(), 0.0);
    // gem5 omits a nozero vector entirely, total included, when all is zero.
    if ((flags & kNoZero) && std::all_of(vals.begin(), vals.end(), [](double v) { return v == 0; })) return;
    double cum = 0;
    for (std::size_t i = 0; i < vals.size(); ++i) {
        double v = vals[i];
        cum += v;
        if ((flags & kNoZero) && v == 0) continue;
        if ((flags & kNoNan) && std::isnan(v)) continue;
        std::string sub = i < subs.size() && !subs[i].empty() ? subs[i] : std::to_string(i);
        double pdf = (flags & kPdf) ? (sum ? v / sum : NAN) : NAN;
        double cdf = (flags & kCdf) ? (sum ? cum / sum : NAN) : NAN;
        emitRow(base + "::" + sub, v, pdf, cdf);
    }
    if (flags & kTotal) {
        double t = totalIsSum ? sum : total;
        if (!((flags & kNoNan) && std::isnan(t))) emitRow(base + "::total", t, NAN, NAN);
    }
}
}  // namespace detail

Distribution &Distribution::init(double min, double max, double bucketSize) {
    if (bucketSize <= 0 || max < min) panic("bad distribution bounds for stat ", statName);
    lo = min;
    hi = max;
    bucket = bucketSize;
    buckets.assign(std::size_t((max - min) / bucketSize) + 1, 0.0);
    return *this;
}

void Distribution::reset() {
    std::fill(buckets.begin(), buckets.end(), 0.0);
    underflow = overflow = sum = squares = 0;
    minSeen = maxSeen = NAN;
    count = 0;
}

namespace detail {
// A bucket bound as gem5 writes it (an ostream's default: 6 significant
// digits, so 33554432 is "3.35544e+07").
static std::string boundLabel(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

void collectDistribution(const std::string &base, const DistributionValues &d, unsigned flags,
                         const std::function<void(const std::string &, double, double, double)> &emitRow) {
    const std::uint64_t count = d.count;
    // gem5: a nozero distribution without samples prints nothing, and with
    // nozero (nonan) no line whose value is zero (nan) is printed.
    if ((flags & kNoZero) && count == 0) return;
    auto line = [&](const std::string &name, double v, double pdf, double cdf) {
        if ((flags & kNoZero) && v == 0) return;
        if ((flags & kNoNan) && std::isnan(v)) return;
        emitRow(name, v, pdf, cdf);
    };
    double n = double(count);
    line(base + "::samples", n, NAN, NAN);
    line(base + "::mean", count ? d.sum / n : NAN, NAN, NAN);
    if (d.histogram) line(base + "::gmean", count ? std::exp(d.logs / n) : NAN, NAN, NAN);
    // gem5's formula as it is: one sample gives 0/0 and a variance rounded
    // below zero a negative root, both nan in gem5's stats.txt too.
    line(base + "::stdev", count ? std::sqrt((n * d.squares - d.sum * d.sum) / (n * (n - 1.0))) : NAN, NAN, NAN);
    // shares are of everything counted, under- and overflows included
    double total = std::accumulate(d.buckets.begin(), d.buckets.end(), 0.0);
    if (!d.histogram) total += d.underflow + d.overflow;
    double cum = 0;
    auto row = [&](const std::string &name, double v) {
        cum += v;
        line(name, v, total ? v / total : NAN, total ? cum / total : NAN);
    };
    if (!d.histogram) row(base + "::underflows", d.underflow);
    for (std::size_t i = 0; i < d.buckets.size(); ++i) {
        double low = d.lo + double(i) * d.bucket;
        double high = std::min(low + d.bucket - 1, d.hi);
        row(base + "::" + boundLabel(low) + (low < high ? "-" + boundLabel(high) : ""), d.buckets[i]);
    }
    if (!d.histogram) {
        row(base + "::overflows", d.overflow);
        // (gem5 prints 0 for both while there are no samples)
        line(base + "::min_value", count ? d.minSeen : 0, NAN, NAN);
        line(base + "::max_value", count ? d.maxSeen : 0, NAN, NAN);
    }
    line(base + "::total", total, NAN, NAN);
}
}  // namespace detail

void Distribution::collect(const std::string &prefix, std::vector<Row> &out) const {
    const detail::DistributionValues d{lo, hi, bucket, buckets, underflow, overflow, sum, squares, minSeen, maxSeen,
                                       count};
    detail::collectDistribution(join(prefix, statName), d, displayFlags,
                                [&](const std::string &n, double v, double p, double c) { emit(out, n, v, p, c); });
}

Histogram &Histogram::init(std::size_t size) {
    if (size < 2) panic("a histogram needs at least 2 buckets (stat ", statName, ")");
    buckets.assign(size, 0.0);
    bucket = 1;
    return *this;
}

void Histogram::doubleBucketWidth() {
    // bucket i of the new width holds old buckets 2i and 2i+1
    const std::size_t size = buckets.size();
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t a = 2 * i, b = 2 * i + 1;
        buckets[i] = (a < size ? buckets[a] : 0.0) + (b < size ? buckets[b] : 0.0);
    }
    bucket *= 2;
}

void Histogram::sample(double v, std::uint64_t n) {
    if (!(v >= 0)) panic("histogram stat ", statName, ": sample ", v, " is negative or nan");
    while (v >= bucket * double(buckets.size())) doubleBucketWidth();
    const double w = double(n);
    buckets[std::size_t(v / bucket)] += w;
    sum += v * w;
    squares += v * v * w;
    logs += std::log(v) * w;
    count += n;
}

void Histogram::reset() {
    std::fill(buckets.begin(), buckets.end(), 0.0);
    bucket = 1;  // (the range adapts again from a reset, as gem5's does)
    sum = squares = logs = 0;
    count = 0;
}

void Histogram::collect(const std::string &prefix, std::vector<Row> &out) const {
    const double top = bucket * double(buckets.size()) - 1;
    detail::DistributionValues d{0, top, bucket, buckets, 0, 0, sum, squares, NAN, NAN, count};
    d.histogram = true;
    d.logs = logs;
    detail::collectDistribution(join(prefix, statName), d, displayFlags,
                                [&](const std::string &n, double v, double p, double c) { emit(out, n, v, p, c); });
}

IntDistribution &IntDistribution::init(std::uint64_t min, std::uint64_t max, std::uint64_t bucketSize) {
    if (bucketSize == 0 || max < min) panic("bad distribution bounds for stat ", statName);
    lo = min;
    hi = max;
    bucket = bucketSize;
    buckets.assign(std::size_t((max - min) / bucketSize) + 1, 0);
    return *this;
}

void IntDistribution::reset() {
    std::fill(buckets.begin(), buckets.end(), 0);
    underflow = overflow = count = 0;
    sum = squares = 0;
    minSeen = ~std::uint64_t(0);
    maxSeen = 0;
}

void IntDistribution::collect(const std::string &prefix, std::vector<Row> &out) const {
    const std::vector<double> bucketValues(buckets.begin(), buckets.end());
    const detail::DistributionValues d{double(lo), double(hi), double(bucket), bucketValues, double(underflow), double(overflow),
                                       sum, squares, count ? double(minSeen) : NAN, count ? double(maxSeen) : NAN,
                                       count};
    detail::collectDistribution(join(prefix, statName), d, displayFlags,
                                [&](const std::string &n, double v, double p, double c) { emit(out, n, v, p, c); });
}

void TallyDistribution::collect(const std::string &prefix, std::vector<Row> &out) const {
    const std::vector<double> bucketValues(tally.begin(), tally.end());
    double sum = 0, squares = 0, minSeen = NAN, maxSeen = NAN;
    std::uint64_t count = 0;
    for (std::size_t v = 0; v < tally.size(); ++v) {
        if (!tally[v]) continue;
        const double x = double(v), n = double(tally[v]);
        sum += x * n;
        squares += x * x * n;
        count += tally[v];
        if (std::isnan(minSeen)) minSeen = x;
        maxSeen = x;
    }
    const detail::DistributionValues d{0, double(tally.size() - 1), 1, bucketValues, 0, 0, sum, squares, minSeen,
                                       maxSeen, count};
    detail::collectDistribution(join(prefix, statName), d, displayFlags,
                                [&](const std::string &n, double v, double p, double c) { emit(out, n, v, p, c); });
}

void Formula::collect(const std::string &prefix, std::vector<Row> &out) const {
    double v = value();
    if ((displayFlags & kNoZero) && v == 0) return;
    if ((displayFlags & kNoNan) && std::isnan(v)) return;
    emit(out, join(prefix, statName), v);
}

void VectorFormula::collect(const std::string &prefix, std::vector<Row> &out) const {
    std::vector<double> vals = elems ? elems() : std::vector<double>{};
    double total = tot ? tot() : NAN;
    detail::collectElements(prefix, statName, vals, subs, displayFlags, false, total,
                            [&](const std::string &n, double v, double p, double c) { emit(out, n, v, p, c); });
}

Group::Group(Group *parent, std::string groupName) : name(std::move(groupName)) {
    if (parent) parent->addGroup(this);
}

void Group::collect(const std::string &prefix, std::vector<Row> &out) const {
    const_cast<Group *>(this)->preDumpStats();
    for (const StatBase *s : stats) s->collect(prefix, out);
    for (const Group *g : groups) g->collect(prefix.empty() ? g->name : prefix + "." + g->name, out);
}

void Group::resetStats() {
    for (StatBase *s : stats) s->reset();
    for (Group *g : groups) g->resetStats();
}

}  // namespace npusim::stats
