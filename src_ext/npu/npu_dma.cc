// The NPU's DMA engine: turns started mvin / mvout / gather / scatter
// transfers (and the front end's scalar ld) into line requests on dma_port,
// at most `dma_requests_per_cycle` per cycle and `dma_max_inflight` in
// flight, and lands the responses' data in the scratchpad / accumulator.
#include <algorithm>
#include <cstring>
#include <sstream>

#include "npu_impl.hh"
#include "npusim/sim/logging.hh"
#include "npusim/sim/sim_exit.hh"

namespace npusim::npu {

DmaReq *NPU::allocReq() {
    DmaReq *r = freeReqs;
    if (!r) panic(name(), ": DMA request pool exhausted");
    freeReqs = r->nextFree;
    r->nextFree = nullptr;
    return r;
}

void NPU::freeReq(DmaReq *r) {
    *r = DmaReq{};
    r->nextFree = freeReqs;
    freeReqs = r;
}

void NPU::dmaIssue(Cyc now) {
    unsigned budget = dmaPerCycle;
    while (budget > 0 && !retryPkt && inflight < maxInflight) {
        if (ldPending) {
            issueLd(now);
            --budget;
            continue;
        }
        bool sent = false;
        for (int k = 0; k < 2 && !sent; ++k) {
            int q = ((rrDir + unsigned(k)) & 1) ? 2 : 0;
            Entry *e = issuing[q];
            if (!e || e->allIssued || e->nextIssue > now) continue;
            if (issueChunk(*e, now)) {
                sent = true;
                rrDir = (q == 0) ? 1 : 0;  // the other direction goes first next time
            }
        }
        if (!sent) break;
        --budget;
    }
}

bool NPU::issueLd(Cyc now) {
    PacketPtr pkt = Packet::create(MemCmd::ReadReq, ldAddr, ldSize, reqId);
    pkt->pc = pcOf(ldIndex);
    pkt->hasPC = true;
    DmaReq *r = allocReq();
    r->e = nullptr;
    r->ldReg = ldReg;
    r->issueTick = curTick();
    pkt->senderState = r;
    ldPending = false;
    if (sendPacket(pkt)) onSent(pkt, r);
    else retryReq = r;
    (void)now;
    return true;
}

bool NPU::issueChunk(Entry &e, Cyc now) {
    // The DRAM address of the current row.
    __int128 rowAddr;
    if (e.indexed) {
        const std::uint8_t *p = spad->bytes() + e.idxAddr + e.row * e.idxSize;
        std::int64_t idx;
        if (e.idxSize == 4) {
            std::int32_t v;
            std::memcpy(&v, p, 4);
            idx = v;
        } else {
            std::memcpy(&idx, p, 8);
        }
        rowAddr = __int128(e.dramBase) + __int128(idx) * e.stride;
    } else {
        rowAddr = __int128(e.dramBase) + __int128(e.row) * e.stride;
    }
    __int128 a = rowAddr + e.off;
    unsigned len = std::min<unsigned>(e.rowBytes - e.off, line - unsigned(std::uint64_t(a) % line));
    if (!inMemory(std::int64_t(a), std::int64_t(a + len))) {
        fault(e, e.indexed ? "idx_addr" : "rs_dram",
              "DRAM access [" + hex(a) + ", " + hex(a + len) + ") of row " + std::to_string(e.row) +
                  " is not backed by memory on " + name() + ".dma_port");
    }
    std::uint64_t localAddr = e.localAddr + e.row * e.pitch + e.off;
    Scratchpad &mem = space(e.local);
    PacketPtr pkt;
    if (e.isWrite) {
        // The data is read out of the scratchpad in the cycle the request goes.
        if (e.readSlot == kNever) {
            Cyc s = mem.reserveRange(localAddr, len, false, now, now);
            if (s > now) {
                e.readSlot = s;
                e.nextIssue = s;
                return false;
            }
        }
        e.readSlot = kNever;
        pkt = Packet::create(MemCmd::WriteReq, Addr(a), len, reqId);
        pkt->setData(mem.bytes() + localAddr);
    } else {
        pkt = Packet::create(MemCmd::ReadReq, Addr(a), len, reqId);
    }
    pkt->pc = pcOf(e.index);
    pkt->hasPC = true;
    DmaReq *r = allocReq();
    r->e = &e;
    r->localAddr = localAddr;
    r->space = e.local;
    r->issueTick = curTick();
    pkt->senderState = r;
    e.off += len;
    if (e.off == e.rowBytes) {
        e.off = 0;
        ++e.row;
    }
    ++e.issued;
    if (e.row == e.n) {
        e.allIssued = true;
        e.readsDoneCycle = now + 1;  // index vector / store data fully read
    }
    if (sendPacket(pkt)) onSent(pkt, r);
    else retryReq = r;
    return true;
}

bool NPU::sendPacket(PacketPtr pkt) {
    if (port.sendTimingReq(pkt)) return true;
    retryPkt = pkt;
    ++dmaRetries;
    return false;
}

void NPU::onSent(PacketPtr pkt, DmaReq *r) {
    Cyc now = edgeCycle();
    sampleInflight(now);
    ++inflight;
    countDemandRequest();
    if (pkt->isWrite()) {
        ++dmaWriteReqs;
        dmaBytesWritten += pkt->size;
    } else if (r->e) {
        ++dmaReadReqs;
        dmaBytesRead += pkt->size;
    }
    if (!listeners.empty()) notifyDma(pkt, r, false);
}

void NPU::recvReqRetry(int) {
    if (!retryPkt) panic(name(), ": request retry without a refused request");
    PacketPtr pkt = retryPkt;
    DmaReq *r = retryReq;
    retryPkt = nullptr;
    retryReq = nullptr;
    if (port.sendTimingReq(pkt)) {
        Cyc c = edgeCycle();
        account(c);
        onSent(pkt, r);
        // More requests may go from the next cycle on.
        wake(std::max<Cyc>(c, nowCycle() + 1));
    } else {
        retryPkt = pkt;
        retryReq = r;
        ++dmaRetries;
    }
}

bool NPU::recvTimingResp(PacketPtr pkt, int) {
    responseDelay.receive(pkt);
    return true;
}

void NPU::completeResponse(PacketPtr pkt) {
    Cyc c = edgeCycle();
    account(c);
    DmaReq *r = static_cast<DmaReq *>(pkt->senderState);
    if (!r) panic(name(), ": response without its request record: ", pkt->print());
    sampleInflight(c);
    --inflight;
    Tick latency = curTick() - r->issueTick;
    if (!r->e) {
        // scalar ld: the value goes to the register; the front end resumes
        // in the next cycle.
        std::int64_t v = pkt->size == 4 ? std::int64_t(pkt->get<std::int32_t>()) : pkt->get<std::int64_t>();
        if (r->ldReg) x[r->ldReg] = v;
        block = Block::None;
        frontReady = c + 1;
    } else {
        Entry &e = *r->e;
        if (!e.isWrite) {
            Scratchpad &mem = space(r->space);
            std::memcpy(mem.bytes() + r->localAddr, pkt->data(), pkt->size);
            Cyc w = mem.reserveRange(r->localAddr, pkt->size, true, c, c);
            e.lastWrite = std::max(e.lastWrite, w + 1);
            dmaTotalReadLatency += double(latency);
        } else {
            dmaTotalWriteLatency += double(latency);
        }
        ++e.completed;
        if (e.allIssued && e.completed == e.issued) e.doneCycle = e.isWrite ? c : std::max(e.lastWrite, c + 1);
    }
    if (!listeners.empty()) notifyDma(pkt, r, true);
    pkt->senderState = nullptr;
    freeReq(r);
    Packet::destroy(pkt);
    wake(c);
}

void NPU::notifyDma(const PacketPtr pkt, const DmaReq *r, bool completed) {
    DmaInfo info;
    info.tick = curTick();
    info.issueTick = r->issueTick;
    info.seq = r->e ? r->e->seq : 0;
    info.pc = pkt->pc;
    info.opcode = r->e ? r->e->inst->info->code : std::int64_t(isa::Op::LD);
    info.addr = pkt->addr;
    info.size = pkt->size;
    info.write = pkt->isWrite() || pkt->cmd == MemCmd::WriteResp;
    info.scalar = r->e == nullptr;
    for (NPUListener *l : listeners) {
        if (completed) l->dmaRequestCompleted(info);
        else l->dmaRequestIssued(info);
    }
}

}  // namespace npusim::npu
