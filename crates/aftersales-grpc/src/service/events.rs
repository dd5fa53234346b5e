//! `EventService` (EV-2, EV-3): the feed, its live stream and webhook subscriptions.

use std::pin::Pin;

use aftersales_domain::app::{
    CreateSubscription, FeedQuery, ReplaySubscription, UpdateSubscription, cursor_of,
};
use aftersales_domain::model::webhook::SubscriptionId;
use aftersales_domain::value::StoreCode;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::{Adapter, Answer, may};
use crate::convert::{Mask, etag, non_empty, page_since, store_code, subscription, ts};
use crate::pb;
use crate::status::{invalid, to_status};

/// Events one stream read takes at most.
const STREAM_PAGE: i64 = 500;

fn ids(store: &str, id: &str) -> Result<(StoreCode, SubscriptionId), Status> {
    Ok((store_code(store)?, SubscriptionId::parse("id", id).map_err(to_status)?))
}

/// A stream's heartbeat period in seconds: 1 to 30, 15 when not given.
fn heartbeat(seconds: i32) -> Result<i64, Status> {
    match seconds {
        0 => Ok(15),
        1..=30 => Ok(i64::from(seconds)),
        _ => Err(invalid("heartbeat_seconds", "must be between 1 and 30")),
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::StreamEventsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::event_service_server::EventService for Adapter {
    async fn list_events(&self, req: Request<pb::ListEventsRequest>) -> Answer<pb::ListEventsResponse> {
        let who = self.caller(&req)?;
        let pb::ListEventsRequest { store, after, types, page_size, wait_seconds } = req.into_inner();
        let query = FeedQuery {
            after: non_empty(&after),
            types,
            page_size: Some(i64::from(page_size)),
            wait_seconds: Some(i64::from(wait_seconds)),
        };
        let page = self.services.events.feed(&who, &store_code(&store)?, &query).await.map_err(to_status)?;
        Ok(Response::new(pb::ListEventsResponse {
            events: page.events.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    type StreamEventsStream = EventStream;

    async fn stream_events(&self, req: Request<pb::StreamEventsRequest>) -> Answer<EventStream> {
        let who = self.caller(&req)?;
        let pb::StreamEventsRequest { store, after, types, heartbeat_seconds } = req.into_inner();
        let store = store_code(&store)?;
        let wait = heartbeat(heartbeat_seconds)?;
        let query = move |after: Option<String>, wait: i64| FeedQuery {
            after,
            types: types.clone(),
            page_size: Some(STREAM_PAGE),
            wait_seconds: Some(wait),
        };
        // The first read checks the caller, the store, the cursor and the types before the
        // stream opens, so a refusal is the call's status, not a message in the stream.
        let first =
            self.services.events.feed(&who, &store, &query(non_empty(&after), 0)).await.map_err(to_status)?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let services = self.services.clone();
        tokio::spawn(async move {
            let mut page = first;
            loop {
                if page.events.is_empty() {
                    let beat = pb::StreamEventsResponse {
                        item: Some(pb::stream_events_response::Item::Heartbeat(pb::Heartbeat {
                            at: ts(chrono::Utc::now()),
                        })),
                        cursor: page.next_cursor.clone(),
                    };
                    if tx.send(Ok(beat)).await.is_err() {
                        return;
                    }
                }
                for event in std::mem::take(&mut page.events) {
                    let cursor = cursor_of(event.sequence);
                    let item = Some(pb::stream_events_response::Item::Event(event.into()));
                    if tx.send(Ok(pb::StreamEventsResponse { item, cursor })).await.is_err() {
                        return; // The client went away.
                    }
                }
                // Live: wait for the next commit, at most one heartbeat period.
                match services.events.feed(&who, &store, &query(Some(page.next_cursor.clone()), wait)).await {
                    Ok(next) => page = next,
                    Err(e) => {
                        let _ = tx.send(Err(to_status(e))).await;
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }

    async fn create_webhook_subscription(
        &self,
        req: Request<pb::CreateWebhookSubscriptionRequest>,
    ) -> Answer<pb::WebhookSubscription> {
        let who = self.caller(&req)?;
        let pb::CreateWebhookSubscriptionRequest { store, url, event_types, active } = req.into_inner();
        let store = store_code(&store)?;
        may::<CreateSubscription>(&who, Some(&store))?;
        let cmd = CreateSubscription { url, event_types, active };
        let created = self.services.events.create(&who, &store, &cmd).await.map_err(to_status)?;
        Ok(Response::new(subscription(created, true)))
    }

    async fn get_webhook_subscription(
        &self,
        req: Request<pb::GetWebhookSubscriptionRequest>,
    ) -> Answer<pb::WebhookSubscription> {
        let who = self.caller(&req)?;
        let pb::GetWebhookSubscriptionRequest { store, id } = req.into_inner();
        let (store, id) = ids(&store, &id)?;
        let found = self.services.events.get(&who, &store, id).await.map_err(to_status)?;
        Ok(Response::new(subscription(found, false)))
    }

    async fn list_webhook_subscriptions(
        &self,
        req: Request<pb::ListWebhookSubscriptionsRequest>,
    ) -> Answer<pb::ListWebhookSubscriptionsResponse> {
        let who = self.caller(&req)?;
        let pb::ListWebhookSubscriptionsRequest { store, page_size, page_token, updated_since } =
            req.into_inner();
        let found = self
            .services
            .events
            .list(&who, &store_code(&store)?, &page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListWebhookSubscriptionsResponse {
            webhook_subscriptions: found.items.into_iter().map(|s| subscription(s, false)).collect(),
            next_page_token: found.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_webhook_subscription(
        &self,
        req: Request<pb::UpdateWebhookSubscriptionRequest>,
    ) -> Answer<pb::WebhookSubscription> {
        let who = self.caller(&req)?;
        let pb::UpdateWebhookSubscriptionRequest {
            store,
            id,
            url,
            event_types,
            active,
            update_mask,
            etag: tag,
        } = req.into_inner();
        let (store, id) = ids(&store, &id)?;
        may::<UpdateSubscription>(&who, Some(&store))?;
        let mask = Mask::new(update_mask, &["url", "event_types", "active"])?;
        let cmd = UpdateSubscription {
            url: mask.has("url", !url.is_empty()).then_some(url),
            event_types: mask.has("event_types", !event_types.is_empty()).then_some(event_types),
            active: mask.has("active", active).then_some(active),
        };
        let changed = self
            .services
            .events
            .update(&who, &store, id, etag(&tag)?.as_ref(), &cmd)
            .await
            .map_err(to_status)?;
        Ok(Response::new(subscription(changed, false)))
    }

    async fn delete_webhook_subscription(
        &self,
        req: Request<pb::DeleteWebhookSubscriptionRequest>,
    ) -> Answer<pb::DeleteWebhookSubscriptionResponse> {
        let who = self.caller(&req)?;
        let pb::DeleteWebhookSubscriptionRequest { store, id } = req.into_inner();
        let (store, id) = ids(&store, &id)?;
        self.services.events.delete(&who, &store, id).await.map_err(to_status)?;
        Ok(Response::new(pb::DeleteWebhookSubscriptionResponse {}))
    }

    async fn rotate_webhook_secret(
        &self,
        req: Request<pb::RotateWebhookSecretRequest>,
    ) -> Answer<pb::WebhookSubscription> {
        let who = self.caller(&req)?;
        let pb::RotateWebhookSecretRequest { store, id, etag: tag } = req.into_inner();
        let (store, id) = ids(&store, &id)?;
        let rotated = self
            .services
            .events
            .rotate_secret(&who, &store, id, etag(&tag)?.as_ref())
            .await
            .map_err(to_status)?;
        Ok(Response::new(subscription(rotated, true)))
    }

    async fn list_webhook_deliveries(
        &self,
        req: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Answer<pb::ListWebhookDeliveriesResponse> {
        let who = self.caller(&req)?;
        let pb::ListWebhookDeliveriesRequest { store, id, page_size, page_token, updated_since } =
            req.into_inner();
        let (store, id) = ids(&store, &id)?;
        let found = self
            .services
            .events
            .attempts(&who, &store, id, &page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListWebhookDeliveriesResponse {
            deliveries: found.items.into_iter().map(Into::into).collect(),
            next_page_token: found.next_page_token.unwrap_or_default(),
        }))
    }

    async fn replay_webhook_subscription(
        &self,
        req: Request<pb::ReplayWebhookSubscriptionRequest>,
    ) -> Answer<pb::ReplayWebhookSubscriptionResponse> {
        let who = self.caller(&req)?;
        let pb::ReplayWebhookSubscriptionRequest { store, id, after } = req.into_inner();
        let (store, id) = ids(&store, &id)?;
        may::<ReplaySubscription>(&who, Some(&store))?;
        let cmd = ReplaySubscription { after: non_empty(&after) };
        self.services.events.replay(&who, &store, id, &cmd).await.map_err(to_status)?;
        Ok(Response::new(pb::ReplayWebhookSubscriptionResponse {}))
    }
}
