#include "npusim/mem/backing_store.hh"

#include <algorithm>
#include <cstring>

namespace npusim {

std::uint8_t *BackingStore::findPage(Addr pageNum) const {
    if (pageNum == lastPageNum) return lastPage;
    auto it = pages.find(pageNum);
    if (it == pages.end()) return nullptr;
    lastPageNum = pageNum;
    lastPage = it->second.get();
    return lastPage;
}

std::uint8_t *BackingStore::touchPage(Addr pageNum) {
    if (std::uint8_t *p = findPage(pageNum)) return p;
    auto page = std::make_unique<std::uint8_t[]>(kPageSize);  // zero-initialised
    std::uint8_t *raw = page.get();
    pages.emplace(pageNum, std::move(page));
    lastPageNum = pageNum;
    lastPage = raw;
    return raw;
}

void BackingStore::read(Addr addr, std::uint8_t *dst, std::size_t size) const {
    while (size) {
        Addr offset = addr & (kPageSize - 1);
        std::size_t chunk = std::min<std::size_t>(size, kPageSize - offset);
        if (const std::uint8_t *page = findPage(addr >> kPageBits)) std::memcpy(dst, page + offset, chunk);
        else std::memset(dst, 0, chunk);
        addr += chunk;
        dst += chunk;
        size -= chunk;
    }
}

void BackingStore::write(Addr addr, const std::uint8_t *src, std::size_t size) {
    while (size) {
        Addr offset = addr & (kPageSize - 1);
        std::size_t chunk = std::min<std::size_t>(size, kPageSize - offset);
        std::memcpy(touchPage(addr >> kPageBits) + offset, src, chunk);
        addr += chunk;
        src += chunk;
        size -= chunk;
    }
}

}  // namespace npusim
