//! The reconnect policy: how long to wait before the next attempt
//! ([`ReconnectPolicy::delay`]), and the bookkeeping of one outage
//! ([`Outage`]): the failure count, when it began, and when to give up. Pure
//! arithmetic: no clock and no randomness of their own.

use std::time::{Duration, Instant};

use crate::error::Error;

/// The longest floor a server can impose, through `retry` or `Retry-After`:
/// larger values are clamped to one hour.
pub const MAX_SERVER_DELAY: Duration = Duration::from_secs(3600);

/// The smallest delay that doubles: after the first failure of an outage the
/// delay grows from at least this, so a reconnection time of zero (a server's
/// `retry: 0`) allows one immediate reconnect, never a storm.
pub const MIN_BACKOFF: Duration = Duration::from_millis(10);

/// The doubling delay may always grow to at least this, whatever the
/// settings: no configuration makes sselink retry a failing server more than
/// about once a second for long.
pub const MIN_BACKOFF_CAP: Duration = Duration::from_secs(1);

/// How jitter changes a delay. Each shape uses [`ReconnectPolicy::jitter`]
/// as its fraction `j` and a random `u` in `[0, 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterShape {
    /// Adds up to `j` times the delay, within the cap, and never undercuts
    /// the server's `retry`. The default (with `j` = 0.5).
    #[default]
    Add,
    /// Multiplies the delay by `1 - j + j·u` (with `j` = 0.5: a factor in
    /// `[0.5, 1.0)`), rounds down to whole milliseconds, then caps it: no
    /// delay is longer than the doubling delay (but a `Retry-After` is
    /// still a floor). It may undercut the server's `retry`.
    Scale,
    /// Adds `j·(2u - 1)` times the delay (with `j` = 0.25: plus or minus
    /// 25 %), after the cap, never below zero: delays spread on both sides
    /// of the doubling delay, and may exceed the cap. It may undercut the
    /// server's `retry`.
    Around,
}

/// When and how a stream reconnects after its connection drops. Set through
/// the [`Builder`](crate::Builder); the stream checks the values when it is
/// created.
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
    /// The jitter fraction, spreading clients that lost the same server.
    /// Default 0.5; 0 disables it; from 0 to 1. See [`JitterShape`].
    pub jitter: f64,
    /// How the jitter applies. Default [`JitterShape::Add`].
    pub shape: JitterShape,
    /// A connection that stays open this long, or delivers an event, resets
    /// the failure count. Default 60 s.
    pub healthy_after: Duration,
    /// Give up when this many reconnect attempts in a row have failed; 0
    /// (the default) never gives up. The failed connect or dropped
    /// connection that starts an outage is not counted, so a server that
    /// never answers is tried `1 + max_attempts` times.
    pub max_attempts: u32,
    /// Give up when one outage (from the first failure to a healthy
    /// connection) would last longer than this; zero (the default) never
    /// gives up.
    pub time_budget: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> ReconnectPolicy {
        ReconnectPolicy {
            enabled: true,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: 0.5,
            shape: JitterShape::Add,
            healthy_after: Duration::from_secs(60),
            max_attempts: 0,
            time_budget: Duration::ZERO,
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
    /// The first failure waits the base. Each further one doubles from
    /// `max(base, MIN_BACKOFF)` up to the cap, `max(max_delay, base,
    /// MIN_BACKOFF_CAP)`; then the [`shape`](Self::shape) applies the
    /// jitter. The result is never below `retry_after`, nor, with the default
    /// shape, below the base (each clamped to [`MAX_SERVER_DELAY`]). Any input gives a delay, never a panic: values
    /// out of range (a NaN included) count as the nearest valid one, or as no
    /// jitter.
    pub fn delay(
        &self,
        failures: u32,
        reconnection_time: Duration,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Duration {
        let base = reconnection_time.min(MAX_SERVER_DELAY);
        let cap = self.max_delay.max(base).max(MIN_BACKOFF_CAP);
        let uncapped = if failures <= 1 {
            base
        } else {
            let doublings = (failures - 1).min(31);
            base.max(MIN_BACKOFF).saturating_mul(1u32 << doublings)
        };
        let grown = uncapped.min(cap);
        let (j, u) = (unit_interval(self.jitter), unit_interval(unit));
        let retry_after = retry_after.unwrap_or_default().min(MAX_SERVER_DELAY);
        match self.shape {
            JitterShape::Add => {
                let jittered = grown.saturating_add(grown.mul_f64(j * u)).min(cap);
                jittered.max(base).max(retry_after)
            }
            JitterShape::Scale => {
                // Capped after the jitter: never longer than the doubling delay.
                let scaled = uncapped.mul_f64(1.0 - j + j * u);
                let whole_ms =
                    Duration::from_millis(u64::try_from(scaled.as_millis()).unwrap_or(u64::MAX));
                whole_ms.min(cap).max(retry_after)
            }
            JitterShape::Around => {
                let spread = grown.mul_f64(j * (2.0 * u - 1.0).abs());
                let jittered = if u < 0.5 {
                    grown.saturating_sub(spread)
                } else {
                    grown.saturating_add(spread)
                };
                jittered.max(retry_after)
            }
        }
    }
}

/// `value` clamped to `[0, 1]`; 0 for NaN.
fn unit_interval(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// What to do after a failed or dropped connection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Next {
    /// Reconnect after `delay`; this is attempt number `attempt` of the outage.
    Retry {
        /// The number of the coming attempt, from 1.
        attempt: u32,
        /// How long to wait first.
        delay: Duration,
    },
    /// Give up: the attempts or the time budget are exhausted.
    GiveUp(Error),
}

/// One outage's bookkeeping: consecutive failures and when the outage began.
/// Owned by the reader thread; the caller of [`Outage::failed`] passes the
/// time, so tests need no clock.
#[derive(Debug, Default, Clone)]
pub(crate) struct Outage {
    failures: u32,
    began: Option<Instant>,
}

impl Outage {
    /// Ends the outage: after a healthy connection or a restart.
    pub(crate) fn reset(&mut self) {
        *self = Outage::default();
    }

    /// Records a failure at `now` and decides what follows. `healthy` says
    /// the connection that just ended was healthy (it delivered an event or
    /// lasted `healthy_after`), which first ends the previous outage.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn failed(
        &mut self,
        policy: &ReconnectPolicy,
        now: Instant,
        healthy: bool,
        error: Error,
        reconnection_time: Duration,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Next {
        if healthy {
            self.reset();
        }
        self.failures = self.failures.saturating_add(1);
        let began = *self.began.get_or_insert(now);
        if policy.max_attempts > 0 && self.failures > policy.max_attempts {
            return Next::GiveUp(Error::AttemptsExhausted {
                attempts: policy.max_attempts,
                last: Box::new(error),
            });
        }
        let delay = policy.delay(self.failures, reconnection_time, retry_after, unit);
        let budget = policy.time_budget;
        if !budget.is_zero() && now.saturating_duration_since(began).saturating_add(delay) > budget
        {
            return Next::GiveUp(Error::TimeBudgetExhausted {
                budget,
                last: Box::new(error),
            });
        }
        Next::Retry {
            attempt: self.failures,
            delay,
        }
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

    fn retry(next: Next) -> (u32, Duration) {
        match next {
            Next::Retry { attempt, delay } => (attempt, delay),
            Next::GiveUp(error) => panic!("gave up: {error}"),
        }
    }

    fn fail(outage: &mut Outage, policy: &ReconnectPolicy, now: Instant, healthy: bool) -> Next {
        outage.failed(policy, now, healthy, Error::EndOfStream, S(1), None, 0.0)
    }

    #[test]
    fn outage_counts_failures_and_a_healthy_connection_starts_a_new_one() {
        let p = policy();
        let t0 = Instant::now();
        let mut outage = Outage::default();
        assert_eq!(retry(fail(&mut outage, &p, t0, false)), (1, S(1)));
        assert_eq!(retry(fail(&mut outage, &p, t0, false)), (2, S(2)));
        assert_eq!(retry(fail(&mut outage, &p, t0, false)), (3, S(4)));
        assert_eq!(retry(fail(&mut outage, &p, t0, true)), (1, S(1)));
        outage.reset();
        assert_eq!(retry(fail(&mut outage, &p, t0, false)), (1, S(1)));
    }

    #[test]
    fn outage_gives_up_after_max_attempts_with_the_last_error() {
        let p = ReconnectPolicy {
            max_attempts: 2,
            ..policy()
        };
        let t0 = Instant::now();
        let mut outage = Outage::default();
        retry(fail(&mut outage, &p, t0, false));
        retry(fail(&mut outage, &p, t0, false));
        match fail(&mut outage, &p, t0, false) {
            Next::GiveUp(Error::AttemptsExhausted { attempts: 2, last }) => {
                assert_eq!(*last, Error::EndOfStream)
            }
            other => panic!("{other:?}"),
        }
        let unlimited = policy();
        let mut outage = Outage::default();
        for n in 1..=1000 {
            assert_eq!(retry(fail(&mut outage, &unlimited, t0, false)).0, n);
        }
    }

    #[test]
    fn outage_gives_up_when_the_next_wait_would_pass_the_time_budget() {
        let p = ReconnectPolicy {
            time_budget: S(10),
            ..policy()
        };
        let t0 = Instant::now();
        let mut outage = Outage::default();
        assert_eq!(retry(fail(&mut outage, &p, t0, false)), (1, S(1)));
        assert_eq!(retry(fail(&mut outage, &p, t0 + S(1), false)), (2, S(2)));
        assert_eq!(retry(fail(&mut outage, &p, t0 + S(3), false)), (3, S(4)));
        match fail(&mut outage, &p, t0 + S(7), false) {
            Next::GiveUp(Error::TimeBudgetExhausted { budget, .. }) => assert_eq!(budget, S(10)),
            other => panic!("{other:?}"),
        }
        // A healthy connection starts the clock again.
        assert_eq!(retry(fail(&mut outage, &p, t0 + S(100), true)), (1, S(1)));
    }

    #[test]
    fn a_zero_reconnection_time_allows_one_immediate_reconnect_then_backs_off() {
        let p = policy();
        let got: Vec<Duration> = (1..=5).map(|n| p.delay(n, S(0), None, 0.0)).collect();
        assert_eq!(got, [S(0), MS(20), MS(40), MS(80), MS(160)]);
        let zero_everything = ReconnectPolicy {
            initial_delay: S(0),
            max_delay: S(0),
            ..policy()
        };
        let got: Vec<Duration> = [1, 2, 3, 8, 100]
            .map(|n| zero_everything.delay(n, S(0), None, 0.0))
            .to_vec();
        assert_eq!(
            got,
            [S(0), MS(20), MS(40), S(1), S(1)],
            "no setting removes the backoff"
        );
    }

    #[test]
    fn delay_never_panics_on_any_input() {
        for jitter in [f64::NAN, f64::INFINITY, -1.0, 2.0, f64::MIN_POSITIVE] {
            for unit in [f64::NAN, f64::NEG_INFINITY, 7.0, 0.5] {
                let p = ReconnectPolicy { jitter, ..policy() };
                let d = p.delay(u32::MAX, Duration::MAX, Some(Duration::MAX), unit);
                assert!(d <= MAX_SERVER_DELAY.max(S(30)));
                let _ = p.delay(0, Duration::ZERO, None, unit);
            }
        }
    }

    #[test]
    fn the_r1_shape_scales_by_half_to_one_rounds_down_and_caps() {
        let p = ReconnectPolicy {
            shape: JitterShape::Scale,
            ..policy()
        };
        // R1: min(floor(1000 * 2^attempts * jitter), 30000), jitter in [0.5, 1).
        assert_eq!(p.delay(1, S(1), None, 0.0), MS(500));
        assert_eq!(p.delay(1, S(1), None, 0.5), MS(750));
        assert_eq!(p.delay(3, S(1), None, 0.999), MS(3998));
        assert_eq!(p.delay(5, S(1), None, 0.999), MS(15_992));
        assert_eq!(p.delay(6, S(1), None, 0.0), S(16));
        assert_eq!(
            p.delay(6, S(1), None, 0.999),
            S(30),
            "capped after the jitter"
        );
        assert_eq!(
            p.delay(1, MS(1001), None, 0.0),
            MS(500),
            "whole milliseconds, rounded down"
        );
        assert!(
            p.delay(1, S(4), None, 0.0) < S(4),
            "undercuts the server's retry"
        );
        assert_eq!(
            p.delay(1, S(1), Some(S(7)), 0.0),
            S(7),
            "Retry-After still floors"
        );
    }

    #[test]
    fn the_r2_shape_is_plus_or_minus_a_quarter_after_the_cap() {
        let p = ReconnectPolicy {
            shape: JitterShape::Around,
            jitter: 0.25,
            ..policy()
        };
        // R2: d = min(1000 * 2^(n-1), 30000); d + d * 0.25 * (2r - 1).
        assert_eq!(p.delay(1, S(1), None, 0.0), MS(750));
        assert_eq!(p.delay(1, S(1), None, 0.5), S(1));
        assert_eq!(p.delay(2, S(1), None, 0.75), MS(2250));
        assert_eq!(p.delay(9, S(1), None, 0.0), MS(22_500));
        assert_eq!(
            p.delay(9, S(1), None, 0.999_999),
            MS(37_499) + Duration::from_nanos(985_000)
        );
        let full = ReconnectPolicy { jitter: 1.0, ..p };
        assert_eq!(full.delay(1, S(1), None, 0.0), S(0), "never below zero");
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
            p.delay(2, MS(5), None, 0.0),
            MS(20),
            "doubling starts from MIN_BACKOFF"
        );
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

    /// "Longer than the budget" gives up; a wait that ends exactly at the
    /// budget is still made. Kills `replace > with >= in Outage::failed`.
    #[test]
    fn outage_retries_when_the_next_wait_ends_exactly_at_the_budget() {
        let p = ReconnectPolicy {
            time_budget: S(3),
            ..policy()
        };
        let t0 = Instant::now();
        let mut outage = Outage::default();
        assert_eq!(retry(fail(&mut outage, &p, t0, false)), (1, S(1)));
        // 1 s into the outage, a 2 s wait ends at 3 s: the budget exactly.
        assert_eq!(retry(fail(&mut outage, &p, t0 + S(1), false)), (2, S(2)));
    }

    /// The jitter source is splitmix64: from a known state it gives the
    /// reference sequence's numbers, as their top 53 bits over 2^53. Kills
    /// the `^`, `^=` and `>>` mutants of `Jitter::unit`'s mixing, which
    /// still give numbers in `[0, 1)`, only worse spread.
    #[test]
    fn jitter_source_is_splitmix64() {
        let mut jitter = Jitter(0);
        for expected in [
            0xE220_A839_7B1D_CDAFu64,
            0x6E78_9E6A_A1B9_65F4,
            0x06C4_5D18_8009_454F,
        ] {
            assert_eq!(jitter.unit(), (expected >> 11) as f64 / (1u64 << 53) as f64);
        }
    }
}
