//! The import worker (issue 15): every replica leases uploaded import jobs with work left, one
//! at a time, and runs them where the last committed batch left them. The lease is renewed while
//! the job runs; a replica that dies lets it lapse and another resumes the job. Two runs of one
//! job cannot both write a batch: each batch checks the job's committed row.

use std::time::Duration;

use aftersales_domain::app::Services;
use aftersales_domain::model::import_job::ImportJob;
use aftersales_domain::ports::Chunks;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use super::{importer, run};

/// How long a lease lasts; renewed at a third of it.
const LEASE: Duration = Duration::from_secs(90);

/// Runs uploaded imports until `stop` turns true, looking for one every `interval`.
pub async fn run_worker(services: Services, interval: Duration, stop: watch::Receiver<bool>) {
    crate::jobs::every(interval, stop, || async {
        match services.customers.claim_import(LEASE).await {
            Ok(None) => false,
            Ok(Some((job, owner, sheet))) => {
                work(&services, job, owner, sheet).await;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "import claim failed; retrying next round");
                false
            }
        }
    })
    .await;
}

/// Runs one leased job over its sheet, renewing the lease beside it.
async fn work(services: &Services, mut job: ImportJob, owner: uuid::Uuid, sheet: Option<Chunks<'static>>) {
    let id = job.id;
    let who = importer(&job.store, &job.created_by);
    let Some(sheet) = sheet else {
        tracing::warn!(import = %id, "import failed: its uploaded sheet is missing from the object store");
        let (store, error) =
            (job.store.clone(), "the uploaded sheet is missing: upload it again".to_string());
        if let Err(e) = services.customers.finish_import(&who, &store, &mut job, Some(error)).await {
            tracing::warn!(import = %id, error = %e, "import failure could not be recorded");
        }
        return;
    };
    // Staging a large sheet from a bucket takes a while: the lease is renewed from the start.
    let renewing = {
        let services = services.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                match services.customers.renew_import(id, owner, LEASE).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::warn!(import = %id, error = %e, "import lease renewal failed"),
                }
            }
        })
    };
    let path = std::env::temp_dir().join(format!("aftersales-import-{id}.sheet"));
    if let Err(e) = stage(sheet, &path).await {
        tracing::warn!(import = %id, error = %e, "import sheet could not be staged; retrying when the lease lapses");
        renewing.abort();
        let _ = tokio::fs::remove_file(&path).await;
        return;
    }
    let ran = run(services, &who, (&mut job, &path, true), |j| {
        tracing::debug!(import = %j.id, row = j.committed_row, "import batch committed");
    })
    .await;
    renewing.abort();
    let _ = tokio::fs::remove_file(&path).await;
    match ran {
        Ok(_) => {
            tracing::info!(import = %id, rows = job.counts.rows, refused = job.counts.refused, "import done")
        }
        Err(e) if e.is_the_files() => {
            tracing::info!(import = %id, error = %e, "import failed: the sheet cannot be read");
            let store = job.store.clone();
            if let Err(e) =
                services.customers.finish_import(&who, &store, &mut job, Some(e.to_string())).await
            {
                tracing::warn!(import = %id, error = %e, "import failure could not be recorded");
            }
        }
        Err(e) => {
            tracing::warn!(import = %id, error = %e, "import stopped; it resumes when its lease lapses");
        }
    }
}

/// Writes the sheet to a local file piece by piece (XLSX is read by seeking).
async fn stage(mut sheet: Chunks<'static>, path: &std::path::Path) -> Result<(), String> {
    let mut file = tokio::fs::File::create(path).await.map_err(|e| e.to_string())?;
    while let Some(chunk) = sheet.next().await {
        file.write_all(&chunk.map_err(|e| e.to_string())?).await.map_err(|e| e.to_string())?;
    }
    file.flush().await.map_err(|e| e.to_string())
}
