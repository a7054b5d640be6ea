//! The per-IP rate limit of `l2_sendTransaction`: a token bucket per peer address, refilled
//! at `rate` transactions per second up to a burst of `rate` (one second's worth).
//!
//! The table of buckets is an LRU of bounded size, so a flood from many addresses cannot
//! grow it without bound; an evicted address starts again with a full bucket, which is the
//! most it could have had anyway after a second of silence.

use std::net::IpAddr;
use std::time::Instant;

use parking_lot::Mutex;
use schnellru::{ByLength, LruMap};

/// Addresses tracked at most.
const MAX_TRACKED: u32 = 65_536;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-IP token buckets.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<LruMap<IpAddr, Bucket, ByLength>>,
}

impl RateLimiter {
    /// `rate` transactions per second per address; `None` or 0 means no limit.
    pub fn new(rate: Option<u32>) -> Option<RateLimiter> {
        let rate = rate.filter(|r| *r > 0)? as f64;
        Some(RateLimiter {
            rate,
            burst: rate.max(1.0),
            buckets: Mutex::new(LruMap::new(ByLength::new(MAX_TRACKED))),
        })
    }

    /// Takes one token for `ip`; `false` when its bucket is empty.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    /// [`RateLimiter::allow`] at a given time (tests).
    pub fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        let mut map = self.buckets.lock();
        let burst = self.burst;
        let Some(b) = map.get_or_insert(ip, || Bucket {
            tokens: burst,
            at: now,
        }) else {
            return true;
        };
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_at_the_rate() {
        let rl = RateLimiter::new(Some(10)).unwrap();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(rl.allow_at(ip, t0));
        }
        assert!(!rl.allow_at(ip, t0));
        // Another address has its own bucket.
        assert!(rl.allow_at(other, t0));
        // 100 ms later: one more token.
        assert!(rl.allow_at(ip, t0 + Duration::from_millis(100)));
        assert!(!rl.allow_at(ip, t0 + Duration::from_millis(100)));
        assert!(RateLimiter::new(Some(0)).is_none());
    }
}
