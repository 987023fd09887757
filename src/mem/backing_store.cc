#include "npusim/mem/backing_store.hh"

#include <algorithm>

namespace npusim {

std::uint8_t *BackingStore::findFarPage(Addr pageNum) const {
    auto it = farPages.find(pageNum);
    return it == farPages.end() ? nullptr : it->second;
}

std::uint8_t *BackingStore::touchPage(Addr pageNum) {
    if (pageNum < directory.size() && directory[pageNum]) return directory[pageNum];
    if (pageNum >= kDirectPages) {
        if (std::uint8_t *p = findFarPage(pageNum)) return p;
    }
    owned.push_back(std::make_unique<std::uint8_t[]>(kPageSize));  // zero-initialised
    std::uint8_t *raw = owned.back().get();
    if (pageNum < kDirectPages) {
        if (pageNum >= directory.size()) {
            directory.resize(pageNum + 1, nullptr);
            directoryPages = directory.size();
        }
        directory[pageNum] = raw;
    } else {
        farPages.emplace(pageNum, raw);
    }
    return raw;
}

void BackingStore::readSpanning(Addr addr, std::uint8_t *dst, std::size_t size) const {
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
