//! The e-health upload queue (WO-12): status for people, and the worker's step.

use std::sync::Arc;

use super::Core;
use crate::auth::{Action, Principal};
use crate::model::ehealth::EhealthUpload;
use crate::model::work_order::WorkOrderId;
use crate::ports::EhealthPlatform;
use crate::value::StoreCode;
use crate::{DomainError, Result};

/// The e-health upload queue.
#[derive(Clone)]
pub struct EhealthService {
    core: Arc<Core>,
}

impl EhealthService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Returns the upload of a delivered order: record, status, attempts (WO-12).
    pub async fn status(&self, who: &Principal, store: &StoreCode, id: WorkOrderId) -> Result<EhealthUpload> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.core
            .repo
            .get_work_order(store, id)
            .await?
            .ok_or(DomainError::NotFound { resource: "work_order" })?;
        self.core
            .repo
            .get_ehealth_upload(store, id)
            .await?
            .ok_or(DomainError::NotFound { resource: "ehealth_record" })
    }

    /// Uploads up to `batch` due records through `platform`; returns how many were attempted.
    /// Each due record is leased first, so several workers or replicas never send one twice.
    pub async fn process_due(&self, platform: &dyn EhealthPlatform, batch: u64) -> Result<usize> {
        let claimed = self
            .core
            .repo
            .claim_due_uploads(self.core.now(), self.core.settings.ehealth_lease, batch)
            .await?;
        let attempted = claimed.len();
        // An upload started past half the lease could outlive it, and another replica could take
        // the record meanwhile: the rest of the batch is given back (attempt included) instead.
        let started = std::time::Instant::now();
        for (mut upload, lease) in claimed {
            if started.elapsed() > self.core.settings.ehealth_lease / 2 {
                upload.release_attempt();
                self.core.repo.finish_upload(&upload, &lease).await?;
                continue;
            }
            let outcome = platform.upload(&upload.record).await;
            upload.record_attempt(outcome, self.core.now(), self.core.settings.ehealth_retry_base);
            if !self.core.repo.finish_upload(&upload, &lease).await? {
                tracing::warn!(store = %upload.store, order = %upload.work_order_id, "e-health lease expired during upload");
            }
        }
        Ok(attempted)
    }
}
