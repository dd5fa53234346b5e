//! Scheduled work inside the server: complaint escalation (FU-6), appointment no-shows (AP-4) and reminders (AP-5).
//! Every replica runs it; the version-checked updates make each change happen exactly once.

use std::time::Duration;

use aftersales_domain::app::Services;
use tokio::sync::watch;

/// Runs the scheduled jobs every `interval` until `stop` turns true.
pub async fn run(services: Services, interval: Duration, stop: watch::Receiver<bool>) {
    every(interval, stop, || async {
        if let Err(e) = services.complaints.escalate_due().await {
            tracing::warn!(error = %e, "complaint escalation failed; retrying next round");
        }
        match services.appointments.mark_no_shows().await {
            Ok(0) => {}
            Ok(marked) => tracing::info!(marked, "appointments marked as no-shows"),
            Err(e) => tracing::warn!(error = %e, "no-show marking failed; retrying next round"),
        }
        match services.appointments.send_reminders().await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "appointment reminders due"),
            Err(e) => tracing::warn!(error = %e, "appointment reminders failed; retrying next round"),
        }
        false
    })
    .await;
}

/// Runs `step` every `interval` until `stop` turns true; a step that answers `true` (more work
/// is waiting) runs again at once. Every background worker of the server is one of these.
pub async fn every<F, Fut>(interval: Duration, mut stop: watch::Receiver<bool>, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if step().await && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
