#include "npusim/mem/packet.hh"

#include <memory>
#include <sstream>
#include <vector>

namespace npusim {

namespace detail {
constinit PacketPoolStorage packetPoolStorage;

Packet *PacketPool::grow() {
    all.push_back(std::make_unique<Packet>());
    return all.back().get();
}
}  // namespace detail

namespace {
detail::PacketPool &pool() { return detail::packetPoolRef(); }
}  // namespace

const char *memCmdName(MemCmd cmd) {
    switch (cmd) {
      case MemCmd::InvalidCmd: return "InvalidCmd";
      case MemCmd::ReadReq: return "ReadReq";
      case MemCmd::ReadResp: return "ReadResp";
      case MemCmd::WriteReq: return "WriteReq";
      case MemCmd::WriteResp: return "WriteResp";
      case MemCmd::WritebackDirty: return "WritebackDirty";
      case MemCmd::WritebackClean: return "WritebackClean";
      case MemCmd::CleanEvict: return "CleanEvict";
      case MemCmd::HardPFReq: return "HardPFReq";
      case MemCmd::HardPFResp: return "HardPFResp";
      case MemCmd::ReadExReq: return "ReadExReq";
      case MemCmd::ReadExResp: return "ReadExResp";
      case MemCmd::ReadCleanReq: return "ReadCleanReq";
      case MemCmd::ReadSharedReq: return "ReadSharedReq";
    }
    return "UnknownCmd";
}

bool isValidMemCmd(unsigned raw) {
    return raw <= 255 && std::string(memCmdName(static_cast<MemCmd>(raw))) != "UnknownCmd" && raw != 0;
}

void Packet::doubleDestroy() { panic("packet destroyed twice"); }

// Every packet ever made minus the free ones: a walk of the free list, as
// this is asked only after a run, while create and destroy keep no count.
std::uint64_t Packet::live() {
    const detail::PacketPool &p = pool();
    std::uint64_t free = 0;
    for (const Packet *pkt = p.freeHead; pkt; pkt = pkt->nextFree) ++free;
    return p.all.size() - free;
}
std::uint64_t Packet::totalCreated() { return pool().created; }

void Packet::resetPool() {
    detail::PacketPool &p = pool();
    p.freeHead = nullptr;
    for (auto &pkt : p.all) {
        pkt->cmd = MemCmd::InvalidCmd;
        p.push(pkt.get());
    }
    p.created = 0;
}

void Packet::needsNoResponse() const {
    panic("makeResponse on ", memCmdName(cmd), ", which needs no response");
}

std::string Packet::print() const {
    std::ostringstream os;
    os << memCmdName(cmd) << " [0x" << std::hex << addr << ":0x" << addr + size << std::dec << "] id " << id;
    return os.str();
}

}  // namespace npusim
