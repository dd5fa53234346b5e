//! End-to-end tests: the real server on random ports, spoken to over HTTP and gRPC, on SQLite and
//! (with `AFTERSALES_TEST_DATABASE_URL`) on PostgreSQL. Each test names the rule it checks.

// Helpers outside #[test] functions are test code too: a failed setup should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod access;
mod appointments;
mod appointments_grpc;
mod approval_links;
mod attachments;
mod auth;
mod campaigns;
mod complaints;
mod connections;
mod contract;
mod customers;
mod documents;
mod ehealth;
mod estimates;
mod events;
mod events_grpc;
mod follow_ups;
mod import_history;
mod import_jobs;
mod import_scale;
mod import_uploads;
mod imports;
mod isolation;
mod message_providers;
mod messages;
mod numbers;
mod operations;
mod otlp;
mod parity;
mod payers;
mod reminders;
mod replicas;
mod sanbao;
mod schema;
mod stores;
mod summaries;
mod sync;
mod work_orders;
mod work_orders_grpc;
mod worklist;
mod workshop;
