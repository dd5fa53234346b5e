//! End-to-end tests: the real server on random ports, spoken to over HTTP and gRPC, on SQLite and
//! (with `AFTERSALES_TEST_DATABASE_URL`) on PostgreSQL. Each test names the rule it checks.

mod common;

mod auth;
mod contract;
mod customers;
mod isolation;
mod parity;
mod stores;
