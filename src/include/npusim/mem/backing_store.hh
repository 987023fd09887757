// Sparse functional store for simulated physical memory: GiB-sized ranges
// cost nothing until touched; untouched bytes read as zero.
//
// Pages below kDirectPages are found through a flat directory (one pointer
// per page, grown to the highest such page touched), so a lookup is an
// index, not a hash; pages above it (far-away address ranges) go to a map.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "npusim/sim/types.hh"

namespace npusim {

class BackingStore {
  public:
    static constexpr unsigned kPageBits = 16;  // 64 KiB pages: few lookups per access
    static constexpr Addr kPageSize = Addr(1) << kPageBits;
    static constexpr Addr kDirectPages = Addr(1) << 20;  // the first 64 GiB: a directory of at most 8 MiB
    static constexpr std::size_t kLineBytes = 64;  // read() copies this size inline

    void read(Addr addr, std::uint8_t *dst, std::size_t size) const {
        const Addr offset = addr & (kPageSize - 1);
        if (offset + size > kPageSize) [[unlikely]] return readSpanning(addr, dst, size);
        const std::uint8_t *page = findPage(addr >> kPageBits);
        if (size == kLineBytes) [[likely]] {
            // a cache line, the usual request: a fixed-size copy is a few
            // vector moves inline instead of a library call
            if (page) std::memcpy(dst, page + offset, kLineBytes);
            else std::memset(dst, 0, kLineBytes);
            return;
        }
        if (page) std::memcpy(dst, page + offset, size);
        else std::memset(dst, 0, size);
    }
    void write(Addr addr, const std::uint8_t *src, std::size_t size);
    std::size_t pagesAllocated() const { return owned.size(); }
    void clear() {
        directory.clear();
        directoryPages = 0;
        farPages.clear();
        owned.clear();
    }

  private:
    const std::uint8_t *findPage(Addr pageNum) const {
        if (pageNum < directoryPages) return directory[pageNum];
        return farPages.empty() ? nullptr : findFarPage(pageNum);
    }
    [[gnu::noinline]] std::uint8_t *findFarPage(Addr pageNum) const;
    [[gnu::noinline]] void readSpanning(Addr addr, std::uint8_t *dst, std::size_t size) const;
    std::uint8_t *touchPage(Addr pageNum);

    std::vector<std::uint8_t *> directory;                 // by page number, below kDirectPages
    std::size_t directoryPages = 0;                        // directory.size(), kept for findPage()
    std::unordered_map<Addr, std::uint8_t *> farPages;     // page number -> page, at or above it
    std::vector<std::unique_ptr<std::uint8_t[]>> owned;    // every page, for its lifetime
};

}  // namespace npusim
