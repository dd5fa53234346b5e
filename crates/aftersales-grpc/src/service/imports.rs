//! `ImportService` (issue 15): a sheet streamed in becomes an import job; its progress, counts
//! and report.

use std::pin::Pin;

use aftersales_domain::DomainError;
use aftersales_domain::app::{ImportUpload, OnDuplicate};
use aftersales_domain::auth::Action;
use aftersales_domain::model::import_job::{ImportCounts, ImportJob, ImportKind, parse_id};
use futures_util::StreamExt;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::{Adapter, Answer};
use crate::convert::{self, ts};
use crate::pb;
use crate::status::{invalid, to_status};

/// A job as its message.
fn message(job: ImportJob) -> pb::ImportJob {
    let ImportJob {
        id,
        store: _,
        kind,
        status,
        file_name,
        dry_run,
        on_duplicate,
        committed_row,
        counts,
        error,
        created_by,
        created_at,
        updated_at,
        upload: _,
    } = job;
    let ImportCounts { rows, created, merged, skipped, refused, problems } = counts;
    pb::ImportJob {
        id: id.to_string(),
        kind: kind.as_str().into(),
        status: status.as_str().into(),
        file_name,
        dry_run,
        on_duplicate: on_duplicate.as_str().into(),
        committed_row,
        counts: Some(pb::ImportCounts { rows, created, merged, skipped, refused, problems }),
        error,
        created_by,
        created_at: ts(created_at),
        updated_at: ts(updated_at),
    }
}

type Problems = Pin<Box<dyn Stream<Item = Result<pb::ImportProblem, Status>> + Send>>;

#[tonic::async_trait]
impl pb::import_service_server::ImportService for Adapter {
    async fn start_import(&self, req: Request<Streaming<pb::StartImportRequest>>) -> Answer<pb::ImportJob> {
        let who = self.caller(&req)?;
        let mut stream = req.into_inner();
        let first = stream.message().await?.ok_or_else(|| invalid("store", "the upload sent no message"))?;
        let pb::StartImportRequest { store, file_name, dry_run, on_duplicate, data, kind } = first;
        let store = convert::store_code(&store)?;
        // The role first: a caller that may not import learns nothing of the rest.
        who.authorize(Action::ImportData, &store, "store").map_err(to_status)?;
        // Proto3's default (empty) is the REST form's default: report.
        let on_duplicate = match on_duplicate.as_str() {
            "" => OnDuplicate::Report,
            raw => OnDuplicate::parse(raw).map_err(to_status)?,
        };
        // Proto3's default (empty) is the REST form's default: customers.
        let kind = match kind.as_str() {
            "" => ImportKind::Customers,
            raw => ImportKind::parse(raw).map_err(to_status)?,
        };
        // The first message's data, then each following message's, as they arrive.
        let rest = futures_util::stream::unfold(Some(stream), |stream| async move {
            let mut stream = stream?;
            match stream.message().await {
                Ok(Some(next)) => Some((Ok(next.data), Some(stream))),
                Ok(None) => None,
                // The stream ends after its error.
                Err(status) => Some((Err(DomainError::invalid("data", status.message())), None)),
            }
        });
        let chunks = Box::pin(futures_util::stream::once(async { Ok(data) }).chain(rest));
        let customers = &self.services.customers;
        let sheet = customers.receive_sheet(&who, &store, chunks).await.map_err(to_status)?;
        let upload = ImportUpload { file_name, sheet, kind, dry_run, on_duplicate };
        let job = self.services.customers.upload_import(&who, &store, upload).await.map_err(to_status)?;
        Ok(Response::new(message(job)))
    }

    async fn get_import(&self, req: Request<pb::GetImportRequest>) -> Answer<pb::ImportJob> {
        let who = self.caller(&req)?;
        let pb::GetImportRequest { store, import_id: id } = req.into_inner();
        let (store, id) = (convert::store_code(&store)?, parse_id(&id).map_err(to_status)?);
        let job = self.services.customers.get_import(&who, &store, id).await.map_err(to_status)?;
        Ok(Response::new(message(job)))
    }

    async fn list_imports(&self, req: Request<pb::ListImportsRequest>) -> Answer<pb::ListImportsResponse> {
        let who = self.caller(&req)?;
        let pb::ListImportsRequest { store, page_size, page_token } = req.into_inner();
        let store = convert::store_code(&store)?;
        let page = convert::page(page_size, &page_token)?;
        let list = self.services.customers.list_imports(&who, &store, &page).await.map_err(to_status)?;
        Ok(Response::new(pb::ListImportsResponse {
            imports: list.items.into_iter().map(message).collect(),
            next_page_token: list.next_page_token.unwrap_or_default(),
        }))
    }

    type GetImportReportStream = Problems;

    async fn get_import_report(
        &self,
        req: Request<pb::GetImportRequest>,
    ) -> Answer<Self::GetImportReportStream> {
        let who = self.caller(&req)?;
        let pb::GetImportRequest { store, import_id: id } = req.into_inner();
        let (store, id) = (convert::store_code(&store)?, parse_id(&id).map_err(to_status)?);
        let job = self.services.customers.get_import(&who, &store, id).await.map_err(to_status)?;
        let problems =
            self.services.customers.import_report(&who, &store, job.id).await.map_err(to_status)?;
        let stream = tokio_stream::iter(problems.into_iter().map(|p| {
            let aftersales_domain::model::import::Problem { row, column, value, rule, message } = p;
            Ok(pb::ImportProblem { row, column, value, rule, message })
        }));
        Ok(Response::new(Box::pin(stream)))
    }
}
