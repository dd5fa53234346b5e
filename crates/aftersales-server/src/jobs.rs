//! Scheduled work inside the server: complaint escalation (FU-6). Every replica runs it; the
//! version-checked updates make each escalation happen exactly once.

use std::time::Duration;

use aftersales_domain::app::Services;
use tokio::sync::watch;

/// Runs the scheduled jobs every `interval` until `stop` turns true.
pub async fn run(services: Services, interval: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = services.complaints.escalate_due().await {
            tracing::warn!(error = %e, "complaint escalation failed; retrying next round");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
