// The NPU's execute unit: the DIM x DIM systolic array (weight- or
// output-stationary) and the vector unit. Each operation computes its real
// float32 result when it starts and books its timing on the array / unit
// and on the scratchpad banks; docs/npu.md derives the formulas.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "npu_impl.hh"

namespace npusim::npu {

namespace {
constexpr int col(int encodingColumn) { return encodingColumn - 1; }
}  // namespace

void NPU::startExec(Cyc now) {
    Entry *head = nullptr;
    for (Entry *e : live)
        if (e->q == Q::Exec && !e->started) {
            head = e;
            break;
        }
    if (!head || head->readyCycle > now) return;
    bool mm = head->inst->op == isa::Op::MATMUL;
    if (now < (mm ? arrayAccept : vectorFree)) return;
    if (hazard(*head, now)) return;
    head->started = true;
    if (mm) startMatmul(*head, now);
    else startVector(*head, now);
}

void NPU::invalidateWeights(const Entry &e) {
    for (int i = 0; i < e.nwr; ++i) {
        const Range &w = e.wr[i];
        if (w.space == kSpad && wsValid) {
            std::uint64_t rows = std::uint64_t(wsT ? wsN : wsK);
            Range weights{std::uint64_t(wsB), std::uint64_t(wsB) + rows * rowB, kSpad};
            if (overlaps(w, weights)) wsValid = false;  // the spad copy changed: preload again
        }
        if (w.space == kAcc && osValid && e.inst->op != isa::Op::MATMUL) {
            Range tile{std::uint64_t(osC), std::uint64_t(osC) + std::uint64_t(osM) * rowB, kAcc};
            if (overlaps(w, tile)) osValid = false;  // the output tile was rewritten
        }
    }
}

// Timing of one matmul tile (m x k times k x n, all <= DIM), R = C = DIM.
//
// WS: the weights (B) are preloaded into the array, one row per cycle, R
// cycles; then the m rows of A stream in, one per cycle; the last result
// leaves the array R + C - 2 cycles after the last row went in. A tile with
// the same weights as the one before (same B address, shape, transpose and
// an unchanged scratchpad copy) skips the preload and streams right behind
// it. With overlap_preload the next tile's weights load while the current
// tile streams (double-buffered weight registers, as in Gemmini): a preload
// may start once the previous tile's stream has started. Without it a tile
// with new weights waits until the previous tile has drained, so a series of
// folds takes exactly SCALE-Sim's 2R + C + T - 2 cycles each.
//
// OS: the output tile stays in the PEs while k beats of A and B stream in;
// the results drain R + C - 2 cycles after the last beat. A tile that
// accumulates into the same output tile (same c, m, n, accumulate flag)
// continues the fold without draining. Without overlap a new fold waits for
// the previous drain (SCALE-Sim's R + C + T - 2 per fold); with it, the
// next fold streams behind the previous one (double-buffered accumulators),
// but not sooner than R cycles of drain per fold.
void NPU::startMatmul(Entry &e, Cyc now) {
    const std::int64_t *f = e.inst->f;
    std::int64_t a = f[col(isa::kMatmul_a)], b = f[col(isa::kMatmul_b)], c = f[col(isa::kMatmul_c)];
    std::int64_t m = f[col(isa::kMatmul_m)], k = f[col(isa::kMatmul_k)], n = f[col(isa::kMatmul_n)];
    std::int64_t flags = f[col(isa::kMatmul_flags)];
    const Cyc R = D, C = D;
    Cyc busyFrom, streamStart, streamEnd;
    if (weightStationary) {
        bool reuse = wsValid && wsB == b && wsK == k && wsN == n && wsT == (flags & 2);
        Cyc s0;
        if (!reuse) {
            Cyc p0 = overlapPreload ? std::max(now, lastStreamStart) : std::max(now, lastDrainEnd);
            std::uint64_t bRows = std::uint64_t((flags & 2) ? n : k);
            Cyc p = spad->reserveBurst(std::uint64_t(b) / rowB, bRows, false, p0, now);
            if (p > p0) spadWaitSet.add(p0, p);
            busyFrom = p;
            s0 = std::max(p + R, arrayInputFree);
            wsValid = true;
            wsB = b;
            wsK = k;
            wsN = n;
            wsT = flags & 2;
            ++weightPreloads;
        } else {
            s0 = std::max(now, arrayInputFree);
            busyFrom = s0;
        }
        Cyc s = spad->reserveBurst(std::uint64_t(a) / rowB, std::uint64_t(m), false, s0, now);
        if (s > s0) spadWaitSet.add(s0, s);
        if (reuse) busyFrom = s;
        streamStart = s;
        streamEnd = s + Cyc(m);
    } else {
        bool cont = osValid && (flags & 1) && osC == c && osM == m && osN == n;
        Cyc s0;
        if (cont) {
            s0 = std::max(now, arrayInputFree);
        } else {
            Cyc drainGap = R > Cyc(k) ? R - Cyc(k) : 0;
            s0 = overlapPreload ? std::max(now, arrayInputFree + drainGap) : std::max(now, lastDrainEnd);
            osValid = true;
            osC = c;
            osM = m;
            osN = n;
            ++weightPreloads;
        }
        Cyc sA = spad->reserveBurst(std::uint64_t(a) / rowB, std::uint64_t(k), false, s0, now);
        Cyc sB = spad->reserveBurst(std::uint64_t(b) / rowB, std::uint64_t(k), false, s0, now);
        streamStart = std::min(sA, sB);
        streamEnd = std::max(sA, sB) + Cyc(k);
        if (streamStart > s0) spadWaitSet.add(s0, streamStart);
        busyFrom = streamStart;
        // Operands that share a bank stretch the stream: the array waits for
        // the scratchpad for the extra cycles (counted as scratchpad stalls).
        Cyc stretch = streamEnd - (streamStart + Cyc(k));
        if (stretch) {
            busySet.add(streamStart, streamStart + Cyc(k));
            spadWaitSet.add(streamStart + Cyc(k), streamEnd);
            arraySet.add(streamStart, streamEnd);  // the array is occupied all along
            busyFrom = streamEnd;
        }
    }
    Cyc drainEnd = streamEnd + R + C - 2;
    arrayInputFree = streamEnd;
    arrayAccept = streamStart;
    lastStreamStart = streamStart;
    lastDrainEnd = std::max(lastDrainEnd, drainEnd);
    e.readsDoneCycle = streamEnd;
    e.doneCycle = drainEnd;
    busySet.add(busyFrom, drainEnd);
    arraySet.add(busyFrom, drainEnd);
    macs += double(m * k * n);
    ++matmuls;
    computeMatmul(*e.inst);
}

// The hottest host code of dense kernels: vectorise it even at -O2.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
void NPU::computeMatmul(const Inst &in) {
    const std::int64_t *f = in.f;
    const std::int64_t m = f[col(isa::kMatmul_m)], k = f[col(isa::kMatmul_k)], n = f[col(isa::kMatmul_n)];
    const std::int64_t flags = f[col(isa::kMatmul_flags)];
    const float *A = spad->floats() + f[col(isa::kMatmul_a)] / 4;
    const float *B = spad->floats() + f[col(isa::kMatmul_b)] / 4;
    float *Cm = acc->floats() + f[col(isa::kMatmul_c)] / 4;
    const std::int64_t Dd = D;
    const bool transB = flags & 2, accumulate = flags & 1;
    // B (k x n) in double, row-major, so the inner loop is contiguous.
    double *b = mtmp.data() + Dd;
    for (std::int64_t t = 0; t < k; ++t)
        for (std::int64_t j = 0; j < n; ++j) b[t * n + j] = double(transB ? B[j * Dd + t] : B[t * Dd + j]);
    // As the golden model: products summed in double (in t order), then C
    // added, rounded to float32 once.
    double *s = mtmp.data();
    for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) s[j] = 0.0;
        for (std::int64_t t = 0; t < k; ++t) {
            const double a = double(A[i * Dd + t]);
            const double *brow = b + t * n;
            for (std::int64_t j = 0; j < n; ++j) s[j] += a * brow[j];
        }
        float *crow = Cm + i * Dd;
        if (accumulate)
            for (std::int64_t j = 0; j < n; ++j) crow[j] = float(s[j] + double(crow[j]));
        else
            for (std::int64_t j = 0; j < n; ++j) crow[j] = float(s[j]);
    }
}

// Vector op of n float32 elements: `lanes` elements per cycle (beats =
// ceil(n / lanes)); every operand is read as one burst of scratchpad /
// accumulator rows, the result written `vector_latency` cycles behind.
void NPU::startVector(Entry &e, Cyc now) {
    Cyc beats = (e.n + lanes - 1) / lanes;
    Cyc s0 = std::max(now, vectorFree);
    Cyc s = s0, readEnd = s0 + beats;
    for (int i = 0; i < e.nrd; ++i) {
        const Range &r = e.rd[i];
        std::uint64_t row0 = r.lo / rowB, rows = (r.hi - 1) / rowB - row0 + 1;
        Cyc st = space(r.space).reserveBurst(row0, rows, false, s0, now);
        s = std::max(s, st);
        readEnd = std::max(readEnd, st + rows);
    }
    readEnd = std::max(readEnd, s + beats);
    const Range &w = e.wr[0];
    std::uint64_t wrow0 = w.lo / rowB, wrows = (w.hi - 1) / rowB - wrow0 + 1;
    Cyc ws = space(w.space).reserveBurst(wrow0, wrows, true, s + vecLatency, now);
    if (s > s0) spadWaitSet.add(s0, s);
    busySet.add(s, readEnd);
    vectorFree = readEnd;
    e.readsDoneCycle = readEnd;
    e.doneCycle = std::max(readEnd + vecLatency, ws + wrows);
    vectorElements += double(e.n);
    invalidateWeights(e);
    computeVector(e);
}

void NPU::computeVector(const Entry &e) {
    float *d = reinterpret_cast<float *>(space(e.vdstSpace).bytes() + e.vdst);
    const std::size_t n = e.n;
    const float s = e.vscalar;
    auto source = [&]() -> const float * {
        const float *src = reinterpret_cast<const float *>(space(e.vsrcSpace).bytes() + e.vsrc);
        bool overlap = e.vsrcSpace == e.vdstSpace && e.vsrc < e.vdst + 4 * n && e.vdst < e.vsrc + 4 * n &&
                       e.vsrc != e.vdst;
        if (!overlap) return src;
        std::memcpy(vtmp.data(), src, 4 * n);  // numpy semantics: read all, then write
        return vtmp.data();
    };
    switch (e.inst->op) {
        case isa::Op::VZERO:
            std::fill(d, d + n, 0.0f);
            break;
        case isa::Op::VRELU:
            // numpy's maximum(x, 0): NaN propagates, ties (0 vs -0) give the second operand
            for (std::size_t i = 0; i < n; ++i) d[i] = (d[i] > 0.0f || std::isnan(d[i])) ? d[i] : 0.0f;
            break;
        case isa::Op::VSCALE:
            for (std::size_t i = 0; i < n; ++i) d[i] = d[i] * s;
            break;
        case isa::Op::VADD: {
            const float *src = source();
            for (std::size_t i = 0; i < n; ++i) d[i] = d[i] + src[i];
            break;
        }
        case isa::Op::VMUL: {
            const float *src = source();
            for (std::size_t i = 0; i < n; ++i) d[i] = d[i] * src[i];
            break;
        }
        case isa::Op::VMAX: {
            const float *src = source();
            for (std::size_t i = 0; i < n; ++i) d[i] = (d[i] > src[i] || std::isnan(d[i])) ? d[i] : src[i];
            break;
        }
        case isa::Op::VMOV: {
            const float *src = source();
            std::memmove(d, src, 4 * n);
            break;
        }
        case isa::Op::VMACC: {
            const float *src = reinterpret_cast<const float *>(spad->bytes() + e.vsrc);
            for (std::size_t i = 0; i < n; ++i) {
                float t = src[i] * s;  // rounded to float32, then added (no fused multiply-add)
                d[i] = d[i] + t;
            }
            break;
        }
        default:
            break;
    }
}

}  // namespace npusim::npu
