//! Entities and the rules that belong to them.

pub mod appointment;
pub mod approval_link;
pub mod attachment;
pub mod audit;
pub mod call_plan;
pub mod customer;
pub mod ehealth;
pub mod event;
pub mod figures;
pub mod follow_up;
pub mod import;
pub mod import_history;
pub mod import_job;
pub mod inspection;
pub mod message;
pub mod rollup;
pub mod sanbao;
pub mod search;
pub mod store;
pub mod summary;
pub mod webhook;
pub mod work_order;
