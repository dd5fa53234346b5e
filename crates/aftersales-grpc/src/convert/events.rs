//! Events, subscriptions and delivery attempts as messages.

use aftersales_domain::model::event::{Event, EventResource};
use aftersales_domain::model::webhook::{DeliveryAttempt, Subscription};
use aftersales_domain::value::Etag;
use prost_types::value::Kind;

use super::ts;
use crate::pb;

/// A JSON value as a protobuf `Value` (numbers are doubles: fen amounts stay exact below 2^53).
fn value(v: serde_json::Value) -> prost_types::Value {
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => {
            Kind::ListValue(prost_types::ListValue { values: items.into_iter().map(value).collect() })
        }
        serde_json::Value::Object(map) => Kind::StructValue(object(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

fn object(map: serde_json::Map<String, serde_json::Value>) -> prost_types::Struct {
    prost_types::Struct { fields: map.into_iter().map(|(k, v)| (k, value(v))).collect() }
}

impl From<Event> for pb::Event {
    fn from(e: Event) -> Self {
        let Event { id, event_type, store, sequence, resource, occurred_at, actor, data } = e;
        let EventResource { resource_type, id: resource_id, etag } = resource;
        // `derive` always writes an object; anything else would be an empty one.
        let data = if let serde_json::Value::Object(map) = data {
            object(map)
        } else {
            prost_types::Struct::default()
        };
        Self {
            id: id.to_string(),
            r#type: event_type,
            store: store.to_string(),
            sequence,
            resource: Some(pb::EventResource { r#type: resource_type, id: resource_id, etag }),
            occurred_at: ts(occurred_at),
            actor,
            data: Some(data),
        }
    }
}

/// A subscription as every answer shows it: the secret only where `reveal` says.
pub fn subscription(s: Subscription, reveal: bool) -> pb::WebhookSubscription {
    let Subscription {
        id,
        store,
        url,
        event_types,
        active,
        secret,
        previous_secret: _,
        previous_until,
        disabled_reason,
        failing_since,
        version,
        created_at,
        updated_at,
    } = s;
    pb::WebhookSubscription {
        id: id.to_string(),
        store: store.to_string(),
        url,
        event_types,
        active,
        disabled_reason,
        failing_since: failing_since.and_then(ts),
        previous_secret_until: previous_until.and_then(ts),
        secret: reveal.then_some(secret),
        etag: Etag::render(version),
        created_at: ts(created_at),
        updated_at: ts(updated_at),
    }
}

impl From<DeliveryAttempt> for pb::WebhookDeliveryAttempt {
    fn from(a: DeliveryAttempt) -> Self {
        let DeliveryAttempt {
            id,
            event_id,
            event_type,
            sequence,
            attempt,
            status_code,
            latency_ms,
            error,
            attempted_at,
        } = a;
        Self {
            id: id.to_string(),
            event_id: event_id.to_string(),
            event_type,
            sequence,
            attempt,
            status_code: status_code.map(u32::from),
            latency_ms,
            error,
            attempted_at: ts(attempted_at),
        }
    }
}
