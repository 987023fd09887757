// Sparse functional store for simulated physical memory: GiB-sized ranges
// cost nothing until touched; untouched bytes read as zero.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "npusim/sim/types.hh"

namespace npusim {

class BackingStore {
  public:
    static constexpr unsigned kPageBits = 16;  // 64 KiB pages: few lookups per access
    static constexpr Addr kPageSize = Addr(1) << kPageBits;

    void read(Addr addr, std::uint8_t *dst, std::size_t size) const;
    void write(Addr addr, const std::uint8_t *src, std::size_t size);
    std::size_t pagesAllocated() const { return pages.size(); }
    void clear() { pages.clear(); lastPageNum = ~Addr(0); lastPage = nullptr; }

  private:
    std::uint8_t *findPage(Addr pageNum) const;
    std::uint8_t *touchPage(Addr pageNum);
    std::unordered_map<Addr, std::unique_ptr<std::uint8_t[]>> pages;
    mutable Addr lastPageNum = ~Addr(0);
    mutable std::uint8_t *lastPage = nullptr;
};

}  // namespace npusim
