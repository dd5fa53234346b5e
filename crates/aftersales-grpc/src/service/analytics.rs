//! `AnalyticsService` (HQ-1).

use std::pin::Pin;

use aftersales_domain::value::StoreCode;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::{Adapter, Answer};
use crate::pb;
use crate::status::{invalid, to_status};

impl Adapter {
    /// The figures both analytics RPCs answer, for `period` over `stores` (empty: all reached).
    async fn figures(
        &self,
        who: &aftersales_domain::auth::Principal,
        period: &str,
        stores: &[String],
    ) -> Result<Vec<pb::StoreFigures>, Status> {
        let stores = if stores.is_empty() {
            None
        } else {
            Some(
                stores
                    .iter()
                    .map(|c| StoreCode::parse(c).map_err(|e| invalid("stores", e)))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        };
        let figures =
            self.services.summaries.headquarters(who, stores.as_deref(), period).await.map_err(to_status)?;
        Ok(figures.into_iter().map(Into::into).collect())
    }
}

#[tonic::async_trait]
impl pb::analytics_service_server::AnalyticsService for Adapter {
    async fn get_follow_up_figures(
        &self,
        req: Request<pb::GetFollowUpFiguresRequest>,
    ) -> Answer<pb::FollowUpFiguresResponse> {
        let who = self.caller(&req)?;
        let pb::GetFollowUpFiguresRequest { period, stores } = req.into_inner();
        Ok(Response::new(pb::FollowUpFiguresResponse { stores: self.figures(&who, &period, &stores).await? }))
    }

    type ExportFollowUpFiguresStream = Pin<Box<dyn Stream<Item = Result<pb::StoreFigures, Status>> + Send>>;

    async fn export_follow_up_figures(
        &self,
        req: Request<pb::ExportFollowUpFiguresRequest>,
    ) -> Answer<Self::ExportFollowUpFiguresStream> {
        let who = self.caller(&req)?;
        let pb::ExportFollowUpFiguresRequest { period, stores } = req.into_inner();
        let rows = self.figures(&who, &period, &stores).await?;
        Ok(Response::new(Box::pin(tokio_stream::iter(rows.into_iter().map(Ok)))))
    }
}
