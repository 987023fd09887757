// VoltageDomain: gem5's voltage domain of a clock domain. npusim models no
// power, so the voltage changes nothing; the object exists so that gem5
// configurations run unchanged and stats.txt has gem5's voltage line.
#include "npusim/sim/sim_object.hh"
#include "npusim/sim/stats.hh"

namespace npusim {

class VoltageDomain : public SimObject {
  public:
    explicit VoltageDomain(const Params &p)
        : SimObject(p),
          voltages(p.get<std::vector<double>>("voltage")),
          voltageStat(this, "voltage", "Volt", "Voltage in Volts", [this] { return voltages.front(); }) {
        if (voltages.empty()) p.error("voltage", "needs at least one voltage");
        for (double v : voltages)
            if (!(v > 0)) p.error("voltage", "a voltage must be positive, got " + std::to_string(v));
    }

  private:
    std::vector<double> voltages;  // gem5's operating points; the first is the one in use
    stats::Formula voltageStat;
};

NPUSIM_REGISTER_SIMOBJECT(VoltageDomain, VoltageDomain);

}  // namespace npusim
