#include "npusim/mem/packet.hh"

#include <memory>
#include <sstream>
#include <vector>

namespace npusim {

namespace {
struct Pool {
    std::vector<std::unique_ptr<Packet>> all;
    std::vector<Packet *> freeList;
    std::uint64_t live = 0;
    std::uint64_t created = 0;
};
Pool &pool() {
    static Pool p;
    return p;
}
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

Packet *Packet::create(MemCmd cmd, Addr addr, unsigned size, RequestorID requestor) {
    Pool &p = pool();
    Packet *pkt;
    if (p.freeList.empty()) {
        p.all.push_back(std::make_unique<Packet>());
        pkt = p.all.back().get();
    } else {
        pkt = p.freeList.back();
        p.freeList.pop_back();
    }
    pkt->cmd = cmd;
    pkt->addr = addr;
    pkt->size = size;
    pkt->requestorId = requestor;
    pkt->pc = 0;
    pkt->hasPC = false;
    pkt->servedByPrefetch = false;
    pkt->id = p.created;
    pkt->createTick = curTick();
    pkt->headerDelay = pkt->payloadDelay = 0;
    pkt->senderState = nullptr;
    pkt->dataValid = false;
    pkt->routeDepth = 0;
    ++p.created;
    ++p.live;
    return pkt;
}

void Packet::destroy(Packet *pkt) {
    Pool &p = pool();
    if (pkt->cmd == MemCmd::InvalidCmd) panic("packet destroyed twice");
    pkt->cmd = MemCmd::InvalidCmd;
    --p.live;
    p.freeList.push_back(pkt);
}

std::uint64_t Packet::live() { return pool().live; }
std::uint64_t Packet::totalCreated() { return pool().created; }

void Packet::resetPool() {
    Pool &p = pool();
    p.freeList.clear();
    for (auto &pkt : p.all) {
        pkt->cmd = MemCmd::InvalidCmd;
        p.freeList.push_back(pkt.get());
    }
    p.live = 0;
    p.created = 0;
}

void Packet::makeResponse() {
    switch (cmd) {
      case MemCmd::ReadReq: case MemCmd::ReadCleanReq: case MemCmd::ReadSharedReq: cmd = MemCmd::ReadResp; break;
      case MemCmd::WriteReq: cmd = MemCmd::WriteResp; break;
      case MemCmd::HardPFReq: cmd = MemCmd::HardPFResp; break;
      case MemCmd::ReadExReq: cmd = MemCmd::ReadExResp; break;
      default: panic("makeResponse on ", memCmdName(cmd), ", which needs no response");
    }
}

std::string Packet::print() const {
    std::ostringstream os;
    os << memCmdName(cmd) << " [0x" << std::hex << addr << ":0x" << addr + size << std::dec << "] id " << id;
    return os.str();
}

}  // namespace npusim
