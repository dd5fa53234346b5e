//! Conventions the whole OpenAPI document shares, applied in one place after it is generated, so
//! the document says exactly what the server accepts (checked by `make fuzz-api` with positive
//! data acceptance on): free text without control characters, the Chinese plate and phone forms,
//! the custom formats `vin`, `page-token` and `etag`, and the two shapes of a work-order line.

use aftersales_domain::model::store::STAFF_ID_PATTERN;
use aftersales_domain::value::{
    REQUIRED_TEXT_PATTERN, TEXT_PATTERN, phone_input_pattern, plate_input_pattern,
};
use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

/// A store code as the path and filters take it (upper-cased by the server).
const STORE_CODE: &str = "[A-Za-z0-9][A-Za-z0-9_-]{1,15}";
/// A summary period: a month `YYYY-MM` or a year `YYYY`, 2000 to 2100.
const PERIOD_PATTERN: &str = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2]))?$";

/// Applies the conventions; a document that does not round-trip is returned unchanged.
pub fn tighten(api: OpenApi) -> OpenApi {
    let Ok(mut doc) = serde_json::to_value(&api) else { return api };
    tighten_document(&mut doc);
    serde_json::from_value(doc).unwrap_or(api)
}

/// The conventions applied to the document as JSON.
pub(crate) fn tighten_document(doc: &mut Value) {
    let request_only = request_only_schemas(doc);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for op in item.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
                for param in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                    parameter(param);
                }
            }
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in schemas.iter_mut() {
            if request_only.contains(name) {
                request_schema(schema);
            }
        }
        for name in ["CreateSubscription", "UpdateSubscription"] {
            if let Some(props) = schemas.get_mut(name).and_then(|s| s.get_mut("properties")) {
                subscription_schema(props);
            }
        }
        if let Some(props) = schemas.get_mut("CreateTemplate").and_then(|s| s.get_mut("properties")) {
            template_schema(props);
        }
        // A payment taken before handover is money: never `waived` nor `on_account` (issue 14).
        if let Some(props) = schemas.get_mut("TakePayment").and_then(|s| s.get_mut("properties")) {
            props["method"] = json!({"type": "string",
                "enum": ["cash", "bank_card", "wechat_pay", "alipay", "bank_transfer", "insurance"]});
        }
        if let Some(line) = schemas.get("LineInput").cloned() {
            schemas.insert("LineInput".into(), line_input(&line));
        }
    }
    doc["webhooks"] = webhooks();
}

/// The OpenAPI 3.1 `webhooks` section: every event type of the catalogue, as a delivery POSTs it.
fn webhooks() -> Value {
    let mut out = serde_json::Map::new();
    for kind in aftersales_domain::model::event::CATALOGUE {
        let fields = if kind.fields.is_empty() { "none".to_string() } else { kind.fields.join(", ") };
        out.insert(
            kind.name.to_string(),
            json!({"post": {
                "operationId": format!("webhook_{}", kind.name.replace('.', "_")),
                "summary": kind.about,
                "description": format!("`data` fields: {fields}. Signed with the Standard Webhooks headers \
                    `webhook-id` (the event id), `webhook-timestamp` and `webhook-signature`."),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
                "responses": {"200": {"description": "Any 2xx acknowledges the delivery; 410 disables the subscription"}}
            }}),
        );
    }
    Value::Object(out)
}

/// A message template names one of the codes the business steps send, and the provider's ids
/// and parameter names as the domain checks them (issue 13).
fn template_schema(props: &mut Value) {
    let codes: Vec<&str> =
        aftersales_domain::model::message::KNOWN_TEMPLATES.iter().map(|k| k.code).collect();
    props["code"] = json!({"type": "string", "enum": codes});
    props["provider_template_id"] = json!({"type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]{1,64}$"});
    props["provider_parameters"] = json!({"type": ["array", "null"], "maxItems": 16,
        "items": {"type": "string", "pattern": "^[A-Za-z0-9_]{1,32}$"}});
}

/// A subscription's URL is an https URL with a plain host, and its types come from the catalogue.
fn subscription_schema(props: &mut Value) {
    let names: Vec<&str> = aftersales_domain::model::event::CATALOGUE.iter().map(|k| k.name).collect();
    let url = json!({"type": "string", "maxLength": 2000,
        "pattern": r"^https://[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){0,8}(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~/-]{0,200})?$"});
    let types = json!({"type": "array", "maxItems": 64, "items": {"type": "string", "enum": names}});
    for (key, value) in [("url", url), ("event_types", types)] {
        if let Some(slot) = props.get_mut(key) {
            // An optional field of a patch stays nullable as utoipa wrote it.
            let nullable = slot.get("type").is_some_and(|t| t.is_array()) || slot.get("oneOf").is_some();
            *slot = if nullable { json!({"oneOf": [{"type": "null"}, value]}) } else { value };
        }
    }
}

/// A plate, or nothing but white space (no plate, or no filter).
fn optional_plate() -> String {
    format!(r"^[\t\n\r \u3000]*$|{}", plate_input_pattern())
}

fn parameter(param: &mut Value) {
    let name = param["name"].as_str().unwrap_or_default().to_string();
    let location = param["in"].as_str().unwrap_or_default().to_string();
    let schema = &mut param["schema"];
    if location == "header" {
        // An absent header is left out, never sent as `null`.
        schema["type"] = json!("string");
    }
    match (location.as_str(), name.as_str()) {
        ("header", "If-Match") => *schema = json!({"type": "string", "format": "etag"}),
        ("query", "page_token") => *schema = json!({"type": "string", "format": "page-token"}),
        ("query", "stores") => {
            *schema = json!({"type": "string", "pattern": format!("^({STORE_CODE}(,{STORE_CODE})*)?$")});
        }
        (_, "period") => *schema = json!({"type": "string", "pattern": PERIOD_PATTERN}),
        // Empty means no filter.
        ("query", "plate") => {
            *schema = json!({"type": "string", "pattern": format!("^$|{}", plate_input_pattern())})
        }
        ("path", "technician" | "staff_id") => {
            *schema = json!({"type": "string", "pattern": STAFF_ID_PATTERN})
        }
        ("query", "agent" | "assignee" | "advisor") => {
            *schema = json!({"type": "string", "pattern": STAFF_ID_PATTERN.replace("{1,64}", "{0,64}")});
        }
        ("query", "vin") => *schema = json!({"type": "string", "format": "vin"}),
        ("query", "after") => *schema = json!({"type": "string", "format": "event-cursor"}),
        // Only the catalogue's types, comma-separated.
        ("query", "types") => {
            let one = aftersales_domain::model::event::CATALOGUE
                .iter()
                .map(|k| k.name.replace('.', r"\."))
                .collect::<Vec<_>>()
                .join("|");
            *schema = json!({"type": "string", "pattern": format!("^(({one})(,({one}))*)?$")});
        }
        // Free-text filters: what `Validator::optional_text` accepts.
        ("query", _)
            if schema.get("maxLength").is_some()
                && schema["pattern"].as_str().is_some_and(|p| p.starts_with(r"^[^\u0000")) =>
        {
            schema["pattern"] = json!(TEXT_PATTERN);
        }
        _ => {}
    }
}

/// Schema names reachable from request bodies and from no response.
fn request_only_schemas(doc: &Value) -> Vec<String> {
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or(Value::Null);
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    for item in doc["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            reachable(&op["requestBody"], &schemas, &mut requests);
            reachable(&op["responses"], &schemas, &mut responses);
        }
    }
    requests.retain(|r| !responses.contains(r));
    requests
}

fn reachable(value: &Value, schemas: &Value, seen: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str) {
                let name = name.trim_start_matches("#/components/schemas/").to_string();
                if !seen.contains(&name) {
                    seen.push(name.clone());
                    reachable(&schemas[name.as_str()], schemas, seen);
                }
            }
            map.values().for_each(|v| reachable(v, schemas, seen));
        }
        Value::Array(items) => items.iter().for_each(|v| reachable(v, schemas, seen)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Gives a request schema's string properties the form the server checks.
fn request_schema(schema: &mut Value) {
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for (name, prop) in props.iter_mut() {
        string_property(name, prop);
    }
}

fn is_string(prop: &Value) -> bool {
    match &prop["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Object(_) => false,
    }
}

fn string_property(name: &str, prop: &mut Value) {
    if prop["type"] == "array" {
        if let Some(items) = prop.get_mut("items") {
            string_property(name, items);
        }
        return;
    }
    if !is_string(prop) || prop.get("enum").is_some() || prop.get("format").is_some() {
        return;
    }
    let Some(obj) = prop.as_object_mut() else { return };
    match name {
        "vin" => {
            obj.remove("pattern");
            obj.insert("format".into(), json!("vin"));
        }
        "plate" => {
            obj.insert("pattern".into(), json!(optional_plate()));
        }
        "phone" => {
            obj.insert("pattern".into(), json!(phone_input_pattern()));
        }
        "from_agent" | "to_agent" | "technician" => {
            obj.insert("pattern".into(), json!(STAFF_ID_PATTERN));
            obj.remove("maxLength");
            obj.remove("minLength");
        }
        "id" if obj.get("pattern").is_some() => {
            obj.insert("pattern".into(), json!(STAFF_ID_PATTERN));
        }
        "period" => {
            obj.insert("pattern".into(), json!(PERIOD_PATTERN));
        }
        // Each topic is required text (FU-4).
        "topics" => {
            obj.insert("pattern".into(), json!(REQUIRED_TEXT_PATTERN));
        }
        // Free text: what `Validator::text` (required) and `Validator::optional_text` accept.
        _ if obj.get("maxLength").is_some() && obj.get("pattern").is_none() => {
            let required = obj.get("minLength").and_then(Value::as_u64).is_some_and(|n| n >= 1);
            obj.insert("pattern".into(), json!(if required { REQUIRED_TEXT_PATTERN } else { TEXT_PATTERN }));
        }
        _ => {}
    }
}

/// A work-order line is labour (hours and rate) or a part (quantity, price, old part): two shapes,
/// each with only its own fields, as the server checks them.
fn line_input(generated: &Value) -> Value {
    let props = generated["properties"].as_object().cloned().unwrap_or_default();
    let pick = |names: &[&str]| -> Map<String, Value> {
        names.iter().filter_map(|n| props.get(*n).map(|p| ((*n).to_string(), p.clone()))).collect()
    };
    let mut labour = pick(&["code", "description", "technician", "rate_fen", "payer"]);
    labour.insert("kind".into(), json!({"type": "string", "enum": ["labour"]}));
    labour.insert(
        "hours".into(),
        json!({"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "multipleOf": 0.01,
               "description": "Labour hours, up to 2 decimals."}),
    );
    let mut part = pick(&["code", "description", "technician", "unit_price_fen", "old_part", "payer"]);
    part.insert("kind".into(), json!({"type": "string", "enum": ["part"]}));
    part.insert(
        "quantity".into(),
        json!({"type": "number", "exclusiveMinimum": 0, "maximum": 100000, "multipleOf": 0.001,
               "description": "Part quantity, up to 3 decimals."}),
    );
    let money = json!({"type": "integer", "minimum": 0, "maximum": aftersales_domain::model::work_order::MAX_PRICE_FEN});
    labour.insert("rate_fen".into(), money.clone());
    part.insert("unit_price_fen".into(), money);
    for shape in [&mut labour, &mut part] {
        shape.insert("technician".into(), json!({"type": ["string", "null"], "pattern": STAFF_ID_PATTERN}));
        for (name, prop) in shape.iter_mut() {
            string_property(name, prop);
        }
    }
    json!({
        "description": generated.get("description").cloned().unwrap_or(json!("A line of work.")),
        "oneOf": [
            {"type": "object", "title": "Labour", "properties": labour, "additionalProperties": false,
             "required": ["kind", "code", "description", "hours", "rate_fen"]},
            {"type": "object", "title": "Part", "properties": part, "additionalProperties": false,
             "required": ["kind", "code", "description", "quantity", "unit_price_fen"]}
        ],
        "discriminator": {"propertyName": "kind"}
    })
}
