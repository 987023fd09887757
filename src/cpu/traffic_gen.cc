// TrafficGen: synthetic requests in the manner of gem5's linear, random and
// strided generators, with a window of requests in flight (1 = a blocking,
// in-order core). See npusim/objects/requestors.py for the parameters.
#include <cstring>

#include "base_requestor.hh"
#include "rng.hh"

namespace npusim {

namespace {

// The data a TrafficGen writes: every aligned 8-byte word holds its own
// address (little endian). Reads can be checked against the same pattern.
void fillPattern(std::uint8_t *dst, Addr addr, unsigned size) {
    for (unsigned i = 0; i < size; ++i) {
        Addr a = addr + i;
        Addr word = a & ~Addr(7);
        dst[i] = std::uint8_t(word >> (8 * (a & 7)));
    }
}

bool matchesPattern(const std::uint8_t *src, Addr addr, unsigned size) {
    for (unsigned i = 0; i < size; ++i) {
        Addr a = addr + i;
        Addr word = a & ~Addr(7);
        if (src[i] != std::uint8_t(word >> (8 * (a & 7)))) return false;
    }
    return true;
}

}  // namespace

class TrafficGen final : public BaseRequestor {
  public:
    explicit TrafficGen(const Params &p)
        : BaseRequestor(p, p.get<unsigned>("max_outstanding", 1)),
          dataMismatches(this, "dataMismatches", stats::units::Count,
                         "Read responses whose data differed from the written pattern (verify_data)") {
        std::string pat = p.get<std::string>("pattern", "linear");
        if (pat == "linear") pattern = Pattern::Linear;
        else if (pat == "random") pattern = Pattern::Random;
        else if (pat == "strided") pattern = Pattern::Strided;
        else p.error("pattern", "unknown pattern '" + pat + "' (linear, random or strided)");

        startAddr = p.get<Addr>("start_addr");
        endAddr = p.get<Addr>("end_addr");
        blockSize = p.get<unsigned>("block_size", 64);
        stride = p.get<Addr>("stride", 0);
        readPercent = p.get<double>("read_percent", 100.0);
        numRequests = p.get<std::uint64_t>("num_requests");
        minPeriod = p.get<Tick>("min_period", 0);
        maxPeriod = p.get<Tick>("max_period", 0);
        seed = p.get<std::uint64_t>("seed", 0);
        pc = p.get<Addr>("pc", 0);
        verify = p.get<bool>("verify_data", false);

        if (blockSize == 0) p.error("block_size", "must be positive");
        if (endAddr <= startAddr)
            p.error("end_addr", "must be above start_addr (" + std::to_string(startAddr) + ")");
        if (endAddr - startAddr < blockSize)
            p.error("end_addr", "the range [start_addr, end_addr) holds no block of block_size bytes");
        if (maxPeriod < minPeriod) p.error("max_period", "must not be below min_period");
        if (readPercent < 0 || readPercent > 100) p.error("read_percent", "must be within [0, 100]");
        if (pattern == Pattern::Strided) {
            if (stride == 0) p.error("stride", "the strided pattern needs a positive stride");
            if (stride % blockSize != 0) p.error("stride", "must be a multiple of block_size");
        } else {
            stride = blockSize;
        }
        numBlocks = (endAddr - startAddr) / blockSize;
        addrRng.reseed(seed);
        cmdRng.reseed(seed ^ 0x5bd1e9955bd1e995ULL);
        periodRng.reseed(seed ^ 0x2545f4914f6cdd1dULL);
        nextAddr = startAddr;
        nextGap = 0;
        setTotalRequests(numRequests);
    }

  protected:
    Tick nextIssueTick() const override { return issuedRequests() == 0 ? startTick : lastSendTick + nextGap; }

    PacketPtr makeNextRequest() override {
        Addr addr = pattern == Pattern::Random ? startAddr + addrRng.below(numBlocks) * blockSize : nextAddr;
        bool read;
        if (readPercent >= 100.0) read = true;
        else if (readPercent <= 0.0) read = false;
        else read = double(cmdRng.below(1'000'000)) < readPercent * 10'000.0;
        PacketPtr pkt = Packet::create(read ? MemCmd::ReadReq : MemCmd::WriteReq, addr, blockSize, requestorId());
        if (pc) {
            pkt->pc = pc;
            pkt->hasPC = true;
        }
        if (!read) {
            fillPattern(pkt->data(), addr, blockSize);
            pkt->markDataValid();
        }
        if (pattern != Pattern::Random) advance();
        return pkt;
    }

    void requestSent() override {
        nextGap = minPeriod == maxPeriod ? minPeriod : periodRng.between(minPeriod, maxPeriod);
    }

    void responseReceived(PacketPtr pkt) override {
        if (verify && pkt->isRead() && !matchesPattern(pkt->data(), pkt->addr, pkt->size)) ++dataMismatches;
    }

  private:
    // Linear: start, start+bs, ...; strided: start, start+stride, ... and,
    // at the end of the range, the next column (start+bs, start+bs+stride,
    // ...), a column-major sweep of the whole range. Both start over at
    // start_addr once the range is covered.
    void advance() {
        Addr next = nextAddr + stride;
        if (next + blockSize > endAddr || next < nextAddr) {
            column += blockSize;
            if (column >= stride || startAddr + column + blockSize > endAddr) column = 0;
            next = startAddr + column;
        }
        nextAddr = next;
    }

    enum class Pattern { Linear, Random, Strided };
    Pattern pattern;
    Addr startAddr, endAddr, stride, pc;
    unsigned blockSize;
    double readPercent;
    std::uint64_t numRequests, seed, numBlocks;
    Tick minPeriod, maxPeriod;
    bool verify;
    Rng addrRng, cmdRng, periodRng;
    Addr nextAddr;
    Addr column = 0;
    Tick nextGap;
    stats::Scalar dataMismatches;
};

NPUSIM_REGISTER_SIMOBJECT(TrafficGen, TrafficGen);

}  // namespace npusim
