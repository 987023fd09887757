#include "npusim/mem/port.hh"

#include <sstream>

#include "npusim/sim/sim_object.hh"

namespace npusim {

std::string Port::fullName() const { return ownerObj ? ownerObj->name() + "." + portName : portName; }

void RequestPort::bind(ResponsePort &peerPort) {
    if (connected) fatal(fullName(), ": port is already connected");
    if (peerPort.connected) fatal(peerPort.fullName(), ": port is already connected");
    responsePeer = &peerPort;
    peerPort.requestPeer = this;
    connected = peerPort.connected = true;
}

std::string AddrRange::toString() const {
    std::ostringstream os;
    os << "[0x" << std::hex << start << ":0x" << end << ")";
    return os.str();
}

}  // namespace npusim
