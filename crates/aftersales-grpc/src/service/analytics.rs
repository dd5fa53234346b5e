//! `AnalyticsService` (HQ-1).

use std::pin::Pin;

use aftersales_domain::value::StoreCode;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::{Adapter, Answer};
use crate::pb;
use crate::status::{invalid, to_status};

impl Adapter {
    async fn figures(
        &self,
        req: Request<pb::FollowUpFiguresRequest>,
    ) -> Result<Vec<pb::StoreFigures>, Status> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let stores = if r.stores.is_empty() {
            None
        } else {
            Some(
                r.stores
                    .iter()
                    .map(|c| StoreCode::parse(c).map_err(|e| invalid("stores", e)))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        };
        let figures = self
            .services
            .summaries
            .headquarters(&who, stores.as_deref(), &r.period)
            .await
            .map_err(to_status)?;
        Ok(figures.into_iter().map(Into::into).collect())
    }
}

#[tonic::async_trait]
impl pb::analytics_service_server::AnalyticsService for Adapter {
    async fn get_follow_up_figures(
        &self,
        req: Request<pb::FollowUpFiguresRequest>,
    ) -> Answer<pb::FollowUpFiguresResponse> {
        Ok(Response::new(pb::FollowUpFiguresResponse { stores: self.figures(req).await? }))
    }

    type ExportFollowUpFiguresStream = Pin<Box<dyn Stream<Item = Result<pb::StoreFigures, Status>> + Send>>;

    async fn export_follow_up_figures(
        &self,
        req: Request<pb::FollowUpFiguresRequest>,
    ) -> Answer<Self::ExportFollowUpFiguresStream> {
        let rows = self.figures(req).await?;
        Ok(Response::new(Box::pin(tokio_stream::iter(rows.into_iter().map(Ok)))))
    }
}
