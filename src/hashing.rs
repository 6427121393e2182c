//! The hasher of the crate's maps and caches. Seeded at random per process, so keys taken from logs cannot
//! be prepared to collide. Fuzz builds (`--cfg fuzzing`, set by cargo fuzz) use a fixed seed instead: the
//! probe sequences are code coverage, and a run with a fixed libFuzzer seed must cover the same paths every
//! time, so that CI's short seeded runs repeat what a developer's run of the same commit found.

#[cfg(not(fuzzing))]
pub type State = foldhash::fast::RandomState;
#[cfg(fuzzing)]
pub type State = foldhash::fast::FixedState;

pub type HashMap<K, V> = std::collections::HashMap<K, V, State>;
