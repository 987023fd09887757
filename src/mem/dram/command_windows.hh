// CommandWindows: gem5's command-bus bookkeeping (MemCtrl::verifySingleCmd
// and verifyMultiCmd): at most maxCmds DRAM commands may issue in one
// commandWindow-aligned window; a command that finds its window full moves
// to the start of the next one. Windows are kept in a ring of slots indexed
// by window number. Header-only: the DRAM interface books up to three
// commands per burst, and the common case (the window has room) must be a
// few instructions, not a call.
#pragma once
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "npusim/sim/eventq.hh"
#include "npusim/sim/logging.hh"

namespace npusim::memory {

class CommandWindows {
  public:
    static constexpr std::size_t kSlots = 512;  // windows tracked ahead (5 us at 10 ns)

    void init(Tick window, unsigned maxCmds, const std::string *ownerName) {
        commandWindow = window;
        maxCmdsPerWindow = maxCmds;
        owner = ownerName;
        slots.fill(Slot{});
    }

    // Books one command at or after cmdTick; returns when it issues.
    // `now` is curTick() (the caller has it at hand).
    [[gnu::always_inline]] Tick verifySingle(Tick cmdTick, Tick now) {
        const Tick index = cmdTick / commandWindow;
        const Tick windowTick = index * commandWindow;
        Slot &s = slots[index % kSlots];
        // The usual cases first: a window not booked yet, or one with room
        // (gem5 forgets a window as soon as time has moved past its start).
        if (s.window != windowTick) {
            claim(s, windowTick, now);
            s.count = 1;
            return cmdTick;
        }
        if (s.count < maxCmdsPerWindow || windowTick < now) {
            ++s.count;
            return cmdTick;
        }
        return bookLater(index + 1, windowTick + commandWindow, now);
    }

    // Two command phases (e.g. a two-cycle ACT) no more than maxSplit apart;
    // timing is that of the second.
    Tick verifyMulti(Tick cmdTick, Tick maxSplit) {
        Tick cmdAt = cmdTick;
        Tick burstTick = cmdTick - cmdTick % commandWindow;
        Tick offset = 0;
        Tick firstOffset = cmdTick % commandWindow;
        while (maxSplit > firstOffset + offset) offset += commandWindow;
        Tick firstTick = burstTick - std::min(offset, burstTick);
        bool firstOk = false, secondOk = false;
        while (!firstOk || !secondOk) {
            bool same = burstTick == firstTick;
            unsigned firstCount = count(firstTick);
            unsigned secondCount = same ? firstCount + 1 : count(burstTick);
            firstOk = firstCount < maxCmdsPerWindow;
            secondOk = secondCount < maxCmdsPerWindow;
            if (!secondOk) {
                burstTick += commandWindow;
                cmdAt = burstTick;
            }
            bool gapViolated = !same && (burstTick - firstTick) > maxSplit;
            if (!firstOk || (!secondOk && gapViolated)) firstTick += commandWindow;
        }
        insert(burstTick);
        insert(firstTick);
        return cmdAt;
    }

  private:
    struct Slot {
        Tick window = kMaxTick;
        unsigned count = 0;
    };

    [[gnu::always_inline]] void claim(Slot &s, Tick windowTick, Tick now) {
        // (the slot's window is usually older: one branch, not three tests combined)
        if (s.window > windowTick) [[unlikely]]
            if (s.window >= now && s.window != kMaxTick)
                panic(*owner, ": command booked more than ", kSlots, " command windows ahead");
        s.window = windowTick;
        s.count = 0;
    }
    // verifySingle() once the command's own window is full: the first
    // later window with room, from window number `index` starting at
    // windowTick (>= now, since the full window did not start before now).
    [[gnu::noinline]] Tick bookLater(Tick index, Tick windowTick, Tick now) {
        for (;; ++index, windowTick += commandWindow) {
            Slot &s = slots[index % kSlots];
            const bool same = s.window == windowTick;
            if (!(same && s.count >= maxCmdsPerWindow)) {
                if (!same) claim(s, windowTick, now);
                ++s.count;
                return windowTick;
            }
        }
    }
    unsigned count(Tick windowTick) const {
        if (windowTick < curTick()) return 0;
        const Slot &s = slots[(windowTick / commandWindow) % kSlots];
        return s.window == windowTick ? s.count : 0;
    }
    void insert(Tick windowTick) {
        Slot &s = slots[(windowTick / commandWindow) % kSlots];
        if (s.window != windowTick) claim(s, windowTick, curTick());
        ++s.count;
    }

    Tick commandWindow = 1;
    unsigned maxCmdsPerWindow = 1;
    const std::string *owner = nullptr;
    std::array<Slot, kSlots> slots{};  // in the object: no pointer to load per command
};

}  // namespace npusim::memory
