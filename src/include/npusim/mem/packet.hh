// Memory packets. Commands keep gem5's MemCmd numbering so traces map 1:1.
// A packet carries its data inline in a reused buffer and comes from a pool,
// so the steady state allocates nothing. Ownership rule (as in gem5): the
// object that created a request frees it when the response comes back;
// requests that need no response are freed by whoever consumes them.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "npusim/sim/eventq.hh"
#include "npusim/sim/logging.hh"
#include "npusim/sim/types.hh"

namespace npusim {

enum class MemCmd : std::uint8_t {
    InvalidCmd = 0,
    ReadReq = 1,
    ReadResp = 2,
    WriteReq = 4,
    WriteResp = 5,
    WritebackDirty = 7,
    WritebackClean = 8,
    CleanEvict = 10,
    HardPFReq = 13,
    HardPFResp = 15,
    ReadExReq = 22,
    ReadExResp = 23,
    ReadCleanReq = 24,
    ReadSharedReq = 25,
};

const char *memCmdName(MemCmd cmd);
bool isValidMemCmd(unsigned raw);

// What each command is (gem5's MemCmd attributes), one table lookup per test.
namespace detail {
enum CmdAttr : std::uint8_t {
    kCmdRead = 1,
    kCmdWrite = 2,
    kCmdResponse = 4,
    kCmdNeedsResponse = 8,
    kCmdEviction = 16,  // gem5's isEviction: writebacks and clean evictions
};
struct CmdAttrTable {
    std::uint8_t attr[256] = {};
    constexpr CmdAttrTable() {
        auto set = [this](MemCmd c, unsigned a) { attr[unsigned(c)] = std::uint8_t(a); };
        set(MemCmd::ReadReq, kCmdRead | kCmdNeedsResponse);
        set(MemCmd::ReadResp, kCmdRead | kCmdResponse);
        set(MemCmd::WriteReq, kCmdWrite | kCmdNeedsResponse);
        set(MemCmd::WriteResp, kCmdWrite | kCmdResponse);
        set(MemCmd::WritebackDirty, kCmdWrite | kCmdEviction);
        set(MemCmd::WritebackClean, kCmdWrite | kCmdEviction);
        set(MemCmd::CleanEvict, kCmdEviction);
        set(MemCmd::HardPFReq, kCmdRead | kCmdNeedsResponse);
        set(MemCmd::HardPFResp, kCmdRead | kCmdResponse);
        set(MemCmd::ReadExReq, kCmdRead | kCmdNeedsResponse);
        set(MemCmd::ReadExResp, kCmdRead | kCmdResponse);
        set(MemCmd::ReadCleanReq, kCmdRead | kCmdNeedsResponse);
        set(MemCmd::ReadSharedReq, kCmdRead | kCmdNeedsResponse);
    }
};
inline constexpr CmdAttrTable kCmdAttrs{};
constexpr bool cmdHas(MemCmd cmd, unsigned attr) { return kCmdAttrs.attr[unsigned(cmd)] & attr; }
// Each request's response command (Packet::makeResponse); InvalidCmd for
// commands that have none.
struct ResponseCmdTable {
    MemCmd of[256] = {};
    constexpr ResponseCmdTable() {
        of[unsigned(MemCmd::ReadReq)] = of[unsigned(MemCmd::ReadCleanReq)] = of[unsigned(MemCmd::ReadSharedReq)] =
            MemCmd::ReadResp;
        of[unsigned(MemCmd::WriteReq)] = MemCmd::WriteResp;
        of[unsigned(MemCmd::HardPFReq)] = MemCmd::HardPFResp;
        of[unsigned(MemCmd::ReadExReq)] = MemCmd::ReadExResp;
    }
};
inline constexpr ResponseCmdTable kResponseCmds{};
}  // namespace detail

namespace detail {
struct PacketPool;
}  // namespace detail

class Packet {
  public:
    static constexpr int kMaxRouteDepth = 8;

    // Pool interface.
    // (always inlined: a few stores, cheaper than the call)
    [[gnu::always_inline]] static inline Packet *create(MemCmd cmd, Addr addr, unsigned size, RequestorID requestor);
    static void destroy(Packet *pkt);
    static std::uint64_t live();          // packets created and not destroyed
    static std::uint64_t totalCreated();
    static void resetPool();              // frees all; used between simulations

    // (The command, the flags and the route depth share the first eight
    // bytes, so create() resets them with a store or two.)
    MemCmd cmd = MemCmd::InvalidCmd;
    bool hasPC = false;
    // Set on a demand packet by a cache when it hit on a prefetched line.
    bool servedByPrefetch = false;
    // gem5's BLOCK_CACHED, on an eviction: a cache above the sender still
    // holds the line (the sender's snoop filters below keep it as a holder).
    bool blockCached = false;
  private:
    bool dataValid = false;
    std::uint8_t routeDepth = 0;
  public:
    RequestorID requestorId = kInvalidRequestorID;
    unsigned size = 0;
  private:
    unsigned bufferBytes = 0;  // buffer.size(), one load to check
  public:
    Addr addr = 0;
    // The byte address the original request asked for (gem5's
    // req->getPaddr()): a cache's miss for a whole line keeps its first
    // target's, so a prefetcher below trains on what the core accessed.
    Addr reqAddr = 0;
    Addr pc = 0;
    std::uint64_t id = 0;
    Tick createTick = 0;
    // Extra delay charged by interconnect before the packet may be acted on.
    Tick headerDelay = 0;
    Tick payloadDelay = 0;
    // Free for the current owner of a request (e.g. a DMA transfer record).
    void *senderState = nullptr;

    bool isRead() const { return detail::cmdHas(cmd, detail::kCmdRead); }
    bool isWrite() const { return detail::cmdHas(cmd, detail::kCmdWrite); }
    bool isResponse() const { return detail::cmdHas(cmd, detail::kCmdResponse); }
    bool isRequest() const { return !isResponse(); }
    bool needsResponse() const { return detail::cmdHas(cmd, detail::kCmdNeedsResponse); }
    bool isPrefetch() const { return cmd == MemCmd::HardPFReq || cmd == MemCmd::HardPFResp; }
    bool isEviction() const { return detail::cmdHas(cmd, detail::kCmdEviction); }
    bool hasData() const { return dataValid; }
    bool isDemand() const { return !isPrefetch() && !isEviction(); }

    // Turns a request into its response in place (ReadReq -> ReadResp, ...).
    // Inline: every served target of every cache level calls it.
    void makeResponse() {
        const MemCmd resp = detail::kResponseCmds.of[unsigned(cmd)];
        if (resp == MemCmd::InvalidCmd) [[unlikely]] needsNoResponse();
        cmd = resp;
    }

    Addr blockAddr(unsigned blockSize) const { return addr & ~Addr(blockSize - 1); }
    unsigned offsetIn(unsigned blockSize) const { return unsigned(addr & (blockSize - 1)); }

    // Data buffer of `size` bytes (allocated on first use, then reused).
    std::uint8_t *data() { ensureBuffer(); return buffer.data(); }
    const std::uint8_t *data() const { return buffer.data(); }
    void setData(const std::uint8_t *src) { ensureBuffer(); copyBytes(buffer.data(), src, size); dataValid = true; }
    void writeDataTo(std::uint8_t *dst) const { copyBytes(dst, buffer.data(), size); }
    void markDataValid() { ensureBuffer(); dataValid = true; }
    template <typename T>
    T get(unsigned offset = 0) const { T v; std::memcpy(&v, buffer.data() + offset, sizeof(T)); return v; }

    // Route stack used by crossbars to send responses back the way the
    // request came.
    void pushRoute(std::uint16_t port) {
        if (routeDepth == kMaxRouteDepth) [[unlikely]] routeStackOverflow();
        routes[routeDepth++] = port;
    }
    std::uint16_t popRoute() {
        if (routeDepth == 0) [[unlikely]] routeStackEmpty();
        return routes[--routeDepth];
    }

    std::string print() const;

  private:
    // (out of line and cold: the crossbars' push and pop stay a few instructions)
    [[noreturn, gnu::cold, gnu::noinline]] static void routeStackOverflow() {
        panic("packet route stack overflow (more than ", kMaxRouteDepth, " crossbars)");
    }
    [[noreturn, gnu::cold, gnu::noinline]] static void routeStackEmpty() {
        panic("response packet with an empty route stack");
    }
    [[noreturn]] static void doubleDestroy();
    // A cache line (the usual size) is copied inline, without a call.
    static void copyBytes(std::uint8_t *dst, const std::uint8_t *src, unsigned n) {
        if (n == 64) std::memcpy(dst, src, 64);
        else std::memcpy(dst, src, n);
    }
    [[noreturn]] void needsNoResponse() const;
    void ensureBuffer() {
        if (bufferBytes < size) [[unlikely]] growBuffer();
    }
    [[gnu::noinline]] void growBuffer() {
        buffer.resize(size);
        bufferBytes = size;
    }
    std::vector<std::uint8_t> buffer;
    std::uint16_t routes[kMaxRouteDepth] = {};
    // The pool's free list runs through the free packets themselves.
    friend struct detail::PacketPool;
    Packet *nextFree = nullptr;
};

using PacketPtr = Packet *;

// The packet pool: like the event queue, constant-initialized (reaching it
// costs no check) and never destroyed (packets held by objects that outlive
// static destruction can still go back). create() and destroy() are inline:
// a few per request per hop. Free packets form an intrusive list (last
// freed first, as a stack), so neither ever grows a container.
namespace detail {
struct PacketPool {
    Packet *freeHead = nullptr;
    std::uint64_t created = 0;  // (live packets are counted when asked: Packet::live)
    std::vector<std::unique_ptr<Packet>> all;
    Packet *grow();
    Packet *pop() {
        Packet *pkt = freeHead;
        if (!pkt) [[unlikely]] return grow();
        freeHead = pkt->nextFree;
        return pkt;
    }
    void push(Packet *pkt) {
        pkt->nextFree = freeHead;
        freeHead = pkt;
    }
};
union PacketPoolStorage {
    PacketPool pool;
    constexpr PacketPoolStorage() : pool() {}
    ~PacketPoolStorage() {}
};
extern PacketPoolStorage packetPoolStorage;
inline PacketPool &packetPoolRef() { return packetPoolStorage.pool; }
}  // namespace detail

inline Packet *Packet::create(MemCmd cmd, Addr addr, unsigned size, RequestorID requestor) {
    detail::PacketPool &p = detail::packetPoolRef();
    Packet *pkt = p.pop();
    pkt->cmd = cmd;
    pkt->hasPC = false;
    pkt->servedByPrefetch = false;
    pkt->blockCached = false;
    pkt->dataValid = false;
    pkt->routeDepth = 0;
    pkt->requestorId = requestor;
    pkt->size = size;
    pkt->addr = addr;
    pkt->reqAddr = addr;
    pkt->pc = 0;
    pkt->id = p.created;
    pkt->createTick = curTick();
    pkt->headerDelay = pkt->payloadDelay = 0;
    pkt->senderState = nullptr;
    ++p.created;
    return pkt;
}

inline void Packet::destroy(Packet *pkt) {
    detail::PacketPool &p = detail::packetPoolRef();
    if (pkt->cmd == MemCmd::InvalidCmd) doubleDestroy();
    pkt->cmd = MemCmd::InvalidCmd;
    p.push(pkt);
}

}  // namespace npusim
