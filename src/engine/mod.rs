//! A generic discrete-event kernel: integer simulated time, an event queue
//! ordered by (time, insertion sequence), seeded random streams and
//! distributions. It knows nothing of hosts, virtual machines or Kubernetes.

pub mod distribution;
pub mod numbers;
pub mod queue;
pub mod random;
pub mod stats;
pub mod time;

pub use distribution::Distribution;
pub use queue::EventQueue;
pub use random::RandomStream;
pub use time::{DurationError, SimDuration, SimTime};
