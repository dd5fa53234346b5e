//! Schema migrations, written in sea-orm-migration's DSL only so that one set runs on SQLite and
//! PostgreSQL. Enums are strings, instants are `timestamptz` written by the application in UTC.

pub use sea_orm_migration::prelude::*;

#[macro_use]
mod shape;

mod m20261127_000001_foundation;
mod m20261127_000002_work_orders;
mod m20261127_000003_ehealth_uploads;
mod m20261127_000004_follow_up;
mod m20261127_000005_complaints;
mod m20261127_000006_summaries;
mod m20261127_000007_campaigns_letters;
mod m20261127_000008_rollups;
mod m20261202_000009_escalation_and_task_contacts;
mod m20261202_000010_worklist_index;
mod m20261202_000011_customer_search;
mod m20261202_000012_period_counts;
mod m20261203_000013_events;
mod m20261203_000014_complaint_changes;
mod m20261203_000015_distributable;
mod m20261203_000016_appointments;
mod m20261204_000017_approval_links;
mod m20261204_000018_attachments;
mod m20261204_000019_appointment_occupancy;
mod m20261204_000020_attachment_once;
mod m20261207_000021_messages;
mod m20261207_000022_workshop;
mod m20261207_000023_sanbao;
mod m20261207_000024_credit_accounts;
mod m20261207_000025_imports;
mod m20261208_000026_car_orders_by_status;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_foundation::Migration),
            Box::new(m20261127_000002_work_orders::Migration),
            Box::new(m20261127_000003_ehealth_uploads::Migration),
            Box::new(m20261127_000004_follow_up::Migration),
            Box::new(m20261127_000005_complaints::Migration),
            Box::new(m20261127_000006_summaries::Migration),
            Box::new(m20261127_000007_campaigns_letters::Migration),
            Box::new(m20261127_000008_rollups::Migration),
            Box::new(m20261202_000009_escalation_and_task_contacts::Migration),
            Box::new(m20261202_000010_worklist_index::Migration),
            Box::new(m20261202_000011_customer_search::Migration),
            Box::new(m20261202_000012_period_counts::Migration),
            Box::new(m20261203_000013_events::Migration),
            Box::new(m20261203_000014_complaint_changes::Migration),
            Box::new(m20261203_000015_distributable::Migration),
            Box::new(m20261203_000016_appointments::Migration),
            Box::new(m20261204_000017_approval_links::Migration),
            Box::new(m20261204_000018_attachments::Migration),
            Box::new(m20261204_000019_appointment_occupancy::Migration),
            Box::new(m20261204_000020_attachment_once::Migration),
            Box::new(m20261207_000021_messages::Migration),
            Box::new(m20261207_000022_workshop::Migration),
            Box::new(m20261207_000023_sanbao::Migration),
            Box::new(m20261207_000024_credit_accounts::Migration),
            Box::new(m20261207_000025_imports::Migration),
            Box::new(m20261208_000026_car_orders_by_status::Migration),
        ]
    }
}
