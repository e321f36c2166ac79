//! Power and energy: each host draws `idle + (peak − idle) × utilisation`
//! watts (parameters.md C, "Linear model"); a host that is down draws nothing.
//! Energy is the exact integral of that step function over simulated time.

use crate::engine::SimTime;

/// Accumulates one host's energy.
#[derive(Clone, Debug, Default)]
pub struct EnergyMeter {
    watts: f64,
    since: SimTime,
    joules: f64,
}

impl EnergyMeter {
    pub fn new(watts: f64) -> Self {
        Self { watts, since: SimTime::ZERO, joules: 0.0 }
    }

    /// The draw changes to `watts` at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, watts: f64) {
        self.joules += self.watts * now.since(self.since).as_secs_f64();
        self.since = now;
        self.watts = watts;
    }

    pub fn watts(&self) -> f64 {
        self.watts
    }

    /// Joules used from the start to `now`.
    pub fn joules_at(&self, now: SimTime) -> f64 {
        self.joules + self.watts * now.since(self.since).as_secs_f64()
    }
}

/// Joules to kilowatt-hours.
pub fn kwh(joules: f64) -> f64 {
    joules / 3.6e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::PowerSpec;

    #[test]
    fn an_idle_ml110_uses_86_watt_hours_in_an_hour() {
        let mut m = EnergyMeter::new(PowerSpec::HP_ML110_G4.watts(0.0));
        m.set(SimTime(1_800_000_000), PowerSpec::HP_ML110_G4.watts(1.0));
        // Half an hour at 86 W, half an hour at 117 W: (86 + 117) / 2 Wh = 101.5 Wh.
        let wh = m.joules_at(SimTime(3_600_000_000)) / 3600.0;
        assert!((wh - 101.5).abs() < 1e-9, "{wh}");
    }
}
