//! Request budgets (GCRA, from `governor`).
//!
//! - **Per token subject**, on both fronts: the budget is checked right after the token verifies,
//!   so it is keyed by a subject the caller cannot forge, and one error (`rate_limited`) reaches
//!   REST as 429 with `Retry-After` and gRPC as `RESOURCE_EXHAUSTED` with `RetryInfo`.
//! - **Per client address** for REST requests that carry no token (the documents). Probes and
//!   `/metrics` are exempt.
//! - **Per client address on the approval links** (WO-13), whatever headers the request carries
//!   (those routes read no JWT, so a made-up `Authorization` must not skip the budget), counted
//!   per minute: a customer opens their link a few times; a guesser gets nowhere.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use aftersales_domain::auth::{Authenticator, Principal};
use aftersales_domain::{DomainError, Result};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A budget: `per_second` sustained, `burst` at once; `per_second == 0` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests a second, sustained.
    pub per_second: u32,
    /// Requests allowed at once after a quiet spell.
    pub burst: u32,
}

/// A quota of `rate` a period (`per`), `burst` at once; none for a zero rate (no limit).
fn quota(rate: u32, burst: u32, per: fn(NonZeroU32) -> Quota) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(rate);
    Some(per(rate).allow_burst(burst))
}

impl Budget {
    fn quota(self) -> Option<Quota> {
        quota(self.per_second, self.burst, Quota::per_second)
    }
}

/// A budget counted per minute: `per_minute` sustained, `burst` at once; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteBudget {
    /// Requests a minute, sustained.
    pub per_minute: u32,
    /// Requests allowed at once after a quiet spell.
    pub burst: u32,
}

impl MinuteBudget {
    fn quota(self) -> Option<Quota> {
        quota(self.per_minute, self.burst, Quota::per_minute)
    }
}

/// A keyed budget; `None` inside when unlimited.
pub struct Limiter<K: std::hash::Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    clock: DefaultClock,
    scope: &'static str,
}

impl<K: std::hash::Hash + Eq + Clone> Limiter<K> {
    /// A limiter for `budget`, counted under `scope` when it refuses.
    pub fn new(budget: Budget, scope: &'static str) -> Self {
        Self::of(budget.quota(), scope)
    }

    /// A limiter for a per-minute `budget`.
    pub fn per_minute(budget: MinuteBudget, scope: &'static str) -> Self {
        Self::of(budget.quota(), scope)
    }

    fn of(quota: Option<Quota>, scope: &'static str) -> Self {
        Self { limiter: quota.map(RateLimiter::keyed), clock: DefaultClock::default(), scope }
    }

    /// Spends one request of `key`'s budget, or says how long to wait.
    pub fn check(&self, key: &K) -> Result<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            crate::metrics::rate_limited(self.scope);
            DomainError::RateLimited { retry_after: not_until.wait_time_from(self.clock.now()) }
        })
    }

    /// Forgets keys whose budget is full again, so the table does not grow without end.
    pub fn prune(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// Verifies tokens with `inner`, then spends one request of the subject's budget.
pub struct RateLimitedAuthenticator {
    inner: Arc<dyn Authenticator>,
    limiter: Arc<Limiter<String>>,
}

impl RateLimitedAuthenticator {
    /// Wraps `inner` with a per-subject budget.
    pub fn new(inner: Arc<dyn Authenticator>, limiter: Arc<Limiter<String>>) -> Self {
        Self { inner, limiter }
    }
}

impl Authenticator for RateLimitedAuthenticator {
    fn authenticate(&self, bearer_token: &str) -> Result<Principal> {
        let principal = self.inner.authenticate(bearer_token)?;
        self.limiter.check(&principal.sub)?;
        Ok(principal)
    }
}

/// Paths no budget applies to: probes and the metrics scrape.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The per-address budgets of REST.
pub struct AddressBudgets {
    /// Requests without a token.
    pub tokenless: Arc<Limiter<IpAddr>>,
    /// Requests to the approval links, whatever they carry.
    pub approval: Arc<Limiter<IpAddr>>,
}

/// REST middleware: a request without a token spends its client address's budget; a request to
/// an approval link spends the address's approval budget too.
pub async fn anonymous(State(budgets): State<Arc<AddressBudgets>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let tokenless = !req.headers().contains_key(axum::http::header::AUTHORIZATION);
    let approval = path.starts_with(aftersales_domain::model::approval_link::LINK_PATH);
    if (tokenless && !exempt(path)) || approval {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        if let Some(ip) = peer {
            let spent = if approval { budgets.approval.check(&ip) } else { Ok(()) };
            if let Err(error) = spent.and_then(|()| budgets.tokenless.check(&ip)) {
                return aftersales_rest::error::ApiError::from(error).into_response();
            }
        }
    }
    next.run(req).await
}

/// Prunes both tables every minute until `stop`.
pub async fn prune_every_minute(
    subjects: Arc<Limiter<String>>,
    addresses: Arc<AddressBudgets>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(60)) => {
                subjects.prune();
                addresses.tokenless.prune();
                addresses.approval.prune();
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_past_its_burst_and_says_how_long_to_wait() {
        let limiter = Limiter::new(Budget { per_second: 1, burst: 3 }, "test");
        for _ in 0..3 {
            assert!(limiter.check(&"a".to_string()).is_ok());
        }
        let refused = limiter.check(&"a".to_string()).err();
        let wait = refused.as_ref().and_then(DomainError::retry_after).unwrap_or_default();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(refused.map(|e| e.wire().http), Some(429));
        // Another key has its own budget.
        assert!(limiter.check(&"b".to_string()).is_ok());
    }

    #[test]
    fn a_zero_rate_means_no_limit() {
        let limiter = Limiter::new(Budget { per_second: 0, burst: 0 }, "test");
        assert!((0..10_000).all(|_| limiter.check(&1u8).is_ok()));
    }
}
