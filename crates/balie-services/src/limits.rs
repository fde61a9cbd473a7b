//! Fixed-window rate limits for public endpoints (the chat widget): a key
//! (client address, session) may act `limit` times per window.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{Result, ServiceError};

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (u32, i64)>>,
}

impl RateLimiter {
    /// Counts one action of `key`; refuses it when the window is full.
    pub fn hit(&self, key: &str, limit: u32, window_ms: i64, now: i64) -> Result<()> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 200_000 {
            map.retain(|_, (_, start)| now - *start < window_ms);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now));
        if now - entry.1 >= window_ms {
            *entry = (0, now);
        }
        if entry.0 >= limit {
            let retry_after_s = ((window_ms - (now - entry.1)) / 1000).max(1) as u64;
            return Err(ServiceError::RateLimited { retry_after_s });
        }
        entry.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_ends() {
        let l = RateLimiter::default();
        for _ in 0..3 {
            l.hit("ip", 3, 1000, 0).unwrap();
        }
        assert!(matches!(
            l.hit("ip", 3, 1000, 500),
            Err(ServiceError::RateLimited { .. })
        ));
        l.hit("other", 3, 1000, 500).unwrap();
        l.hit("ip", 3, 1000, 1000).unwrap();
    }
}
