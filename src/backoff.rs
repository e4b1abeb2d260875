//! The reconnect policy: how long to wait before the next attempt, and when to
//! give up. Pure arithmetic, no clock and no randomness of its own.

use std::time::Duration;

/// The longest floor a server can impose, through `retry` or `Retry-After`:
/// larger values are clamped to one hour.
pub const MAX_SERVER_DELAY: Duration = Duration::from_secs(3600);

/// When and how a stream reconnects after its connection drops.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// Reconnect at all. When false, the first dropped connection closes the
    /// stream with [`CloseReason::Ended`](crate::CloseReason::Ended) or the error.
    pub enabled: bool,
    /// The reconnection time before the server sets one with `retry`: the
    /// delay after the first failure. Default 1 s.
    pub initial_delay: Duration,
    /// The cap of the doubling delay. Default 30 s. A server `retry` larger
    /// than the cap is still honoured (it is a floor).
    pub max_delay: Duration,
    /// Random extra of up to this fraction of the delay, spreading clients
    /// that lost the same server. Default 0.5; 0 disables it.
    pub jitter: f64,
    /// A connection that stays open this long, or delivers an event, resets
    /// the failure count. Default 60 s.
    pub healthy_after: Duration,
    /// Give up after this many consecutive failed reconnect attempts. Default
    /// none.
    pub max_attempts: Option<u32>,
    /// Give up when one outage (from the first failure to a healthy
    /// connection) would last longer than this. Default none.
    pub time_budget: Option<Duration>,
}

impl Default for ReconnectPolicy {
    fn default() -> ReconnectPolicy {
        ReconnectPolicy {
            enabled: true,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: 0.5,
            healthy_after: Duration::from_secs(60),
            max_attempts: None,
            time_budget: None,
        }
    }
}

impl ReconnectPolicy {
    /// The delay before the next attempt after `failures` consecutive
    /// failures (1 for the first).
    ///
    /// `reconnection_time` is the current base: [`initial_delay`](Self::initial_delay)
    /// or the server's latest `retry`. `retry_after` is a `Retry-After` floor.
    /// `unit` is a random number in `[0, 1)` that picks the jitter.
    ///
    /// The result doubles from the base per failure up to
    /// `max(max_delay, base)`, plus jitter within that cap, and is never below
    /// the base or `retry_after` (each clamped to [`MAX_SERVER_DELAY`]).
    pub fn delay(
        &self,
        failures: u32,
        reconnection_time: Duration,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Duration {
        let base = reconnection_time.min(MAX_SERVER_DELAY);
        let cap = self.max_delay.max(base);
        let doublings = failures.saturating_sub(1).min(31);
        let grown = base.saturating_mul(1u32 << doublings).min(cap);
        let jitter = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        let jittered = grown.saturating_add(grown.mul_f64(jitter)).min(cap);
        let floor = base.max(retry_after.unwrap_or_default().min(MAX_SERVER_DELAY));
        jittered.max(floor)
    }
}

/// A small random source for jitter: splitmix64 seeded from the process's
/// random hasher keys. Not for cryptography.
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Jitter {
        use std::hash::{BuildHasher, Hasher};
        Jitter(
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
        )
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn policy() -> ReconnectPolicy {
        ReconnectPolicy::default()
    }

    #[test]
    fn doubles_from_the_base_up_to_the_cap_without_jitter() {
        let p = policy();
        let got: Vec<Duration> = (1..=7).map(|n| p.delay(n, S(1), None, 0.0)).collect();
        assert_eq!(got, [S(1), S(2), S(4), S(8), S(16), S(30), S(30)]);
    }

    #[test]
    fn jitter_stays_between_the_delay_and_one_and_a_half_times_it_within_the_cap() {
        let p = policy();
        let mut jitter = Jitter::new();
        for failures in 1..=10 {
            let plain = p.delay(failures, S(1), None, 0.0);
            for _ in 0..200 {
                let d = p.delay(failures, S(1), None, jitter.unit());
                assert!(
                    d >= plain && d <= plain.mul_f64(1.5).min(S(30)),
                    "{failures}: {d:?}"
                );
            }
        }
        assert_eq!(
            p.delay(1, S(1), None, 0.999_999),
            MS(1499) + Duration::from_nanos(999_500)
        );
    }

    #[test]
    fn jitter_spreads_the_values() {
        let p = policy();
        let mut jitter = Jitter::new();
        let values: std::collections::HashSet<Duration> = (0..50)
            .map(|_| p.delay(2, S(1), None, jitter.unit()))
            .collect();
        assert!(values.len() > 40, "only {} distinct delays", values.len());
    }

    #[test]
    fn server_retry_is_the_base_and_a_floor_even_above_the_cap() {
        let p = policy();
        assert_eq!(p.delay(1, MS(250), None, 0.0), MS(250));
        assert_eq!(p.delay(3, MS(250), None, 0.0), S(1));
        assert_eq!(
            p.delay(1, S(45), None, 0.9),
            S(45),
            "above the cap: the retry value, no less"
        );
        assert_eq!(p.delay(5, S(45), None, 0.0), S(45));
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = policy();
        assert_eq!(p.delay(1, S(1), Some(S(7)), 0.0), S(7));
        assert_eq!(
            p.delay(6, S(1), Some(S(7)), 0.0),
            S(30),
            "a lower floor changes nothing"
        );
    }

    #[test]
    fn absurd_values_are_clamped_and_never_overflow() {
        let p = policy();
        let huge = Duration::from_millis(u64::MAX);
        assert_eq!(p.delay(u32::MAX, huge, Some(huge), 1.0), MAX_SERVER_DELAY);
        assert_eq!(p.delay(u32::MAX, S(1), None, 1.0), S(30));
        let no_jitter = ReconnectPolicy {
            jitter: 7.0,
            ..policy()
        };
        assert!(no_jitter.delay(1, S(1), None, 0.5) <= S(2));
    }

    #[test]
    fn jitter_source_gives_units() {
        let mut jitter = Jitter::new();
        for _ in 0..10_000 {
            let u = jitter.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
