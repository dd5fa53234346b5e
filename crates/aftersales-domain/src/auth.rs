//! Who the caller is, and the role x action table that decides what they may do.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::value::StoreCode;
use crate::{DomainError, Result};

/// A role from the token's `roles` claim (DOMAIN.md, "Who works with it").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Service advisor: customer files, work orders, quotes, delivery.
    Advisor,
    /// Workshop technician.
    Technician,
    /// Quality inspector.
    Inspector,
    /// Follow-up agent.
    FollowupAgent,
    /// Store supervisor: everything in the store.
    Supervisor,
    /// Headquarters analyst: aggregated, PII-free figures only.
    HqAnalyst,
    /// Third-party DMS machine client.
    Integration,
    /// System administrator: stores and their settings.
    Admin,
}

impl Role {
    /// Every role, in table order.
    pub const ALL: [Role; 8] = [
        Role::Advisor,
        Role::Technician,
        Role::Inspector,
        Role::FollowupAgent,
        Role::Supervisor,
        Role::HqAnalyst,
        Role::Integration,
        Role::Admin,
    ];

    /// Returns the role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Advisor => "advisor",
            Role::Technician => "technician",
            Role::Inspector => "inspector",
            Role::FollowupAgent => "followup_agent",
            Role::Supervisor => "supervisor",
            Role::HqAnalyst => "hq_analyst",
            Role::Integration => "integration",
            Role::Admin => "admin",
        }
    }

    /// Whether a person holding this role works inside a store (and can be on its staff list).
    pub fn is_store_role(self) -> bool {
        matches!(
            self,
            Role::Advisor | Role::Technician | Role::Inspector | Role::FollowupAgent | Role::Supervisor
        )
    }

    /// Whether the role may hold the wildcard store `*`.
    fn may_span_all_stores(self) -> bool {
        matches!(self, Role::HqAnalyst | Role::Admin)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role '{s}', expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a caller asks to do; the permission table is keyed on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create a store.
    CreateStore,
    /// Change a store's settings.
    UpdateStore,
    /// Read a store and its settings.
    ReadStore,
    /// Read the staff list.
    ReadStaff,
    /// Add or change staff members.
    ManageStaff,
    /// Read customer files and vehicles.
    ReadCustomer,
    /// Create or change customer files and vehicles.
    WriteCustomer,
    /// Record an odometer reading.
    RecordOdometer,
    /// Merge two customer files.
    MergeCustomers,
    /// See phone numbers unmasked (CF-5).
    SeeFullPhone,
    /// Read the audit trail.
    ReadAudit,
    /// Open a work order.
    CreateWorkOrder,
    /// Read work orders and inspections.
    ReadWorkOrder,
    /// Front-desk steps: quote, customer decisions, cancel, notify, deliver.
    FrontDeskStep,
    /// Workshop steps: start, propose lines, complete lines and work.
    WorkshopStep,
    /// Submit the entry inspection (IN-1).
    EntryInspection,
    /// Submit exit and rework inspections (IN-2).
    ExitInspection,
    /// Delete an inspection past its retention period (IN-3).
    DeleteInspection,
    /// Read the supervisor's watch lists (CF-2).
    SupervisorLists,
    /// Work follow-up tasks and record contacts (FU-1..FU-5).
    FollowUpWork,
    /// Read follow-up tasks and the contact register.
    ReadFollowUp,
    /// Read headquarters' aggregated, personal-data-free figures (HQ-1).
    ReadAnalytics,
    /// Record a customer's visit or consultation (FU-1).
    RecordVisit,
    /// Read a store's event feed and stream (EV-2).
    ReadEvents,
    /// Keep a store's webhook subscriptions (EV-3).
    ManageWebhooks,
    /// Keep a store's service capacity (AP-1).
    ManageCapacity,
    /// Read a store's capacity and free start times (AP-2).
    ReadAvailability,
    /// Hold, book and move appointments (AP-3, AP-4).
    BookAppointment,
    /// Attach photos and files to a work order's records (WO-14).
    AttachFiles,
    /// Read the messages sent to a store's customers and its message templates (issue 13).
    ReadMessages,
    /// Keep a store's message templates (issue 13).
    ManageMessages,
    /// Give lines to technicians and bays (派工, issue 14).
    DispatchWork,
    /// Void a delivered order's settlement and issue a new one (红冲, issue 14).
    VoidSettlement,
    /// Import a store's files from its old DMS (issue 15).
    ImportData,
    /// Export a store's whole data (issue 15, PIPL portability).
    ExportData,
}

impl Action {
    /// Every action, in table order.
    pub const ALL: [Action; 35] = [
        Action::CreateStore,
        Action::UpdateStore,
        Action::ReadStore,
        Action::ReadStaff,
        Action::ManageStaff,
        Action::ReadCustomer,
        Action::WriteCustomer,
        Action::RecordOdometer,
        Action::MergeCustomers,
        Action::SeeFullPhone,
        Action::ReadAudit,
        Action::CreateWorkOrder,
        Action::ReadWorkOrder,
        Action::FrontDeskStep,
        Action::WorkshopStep,
        Action::EntryInspection,
        Action::ExitInspection,
        Action::DeleteInspection,
        Action::SupervisorLists,
        Action::FollowUpWork,
        Action::ReadFollowUp,
        Action::ReadAnalytics,
        Action::RecordVisit,
        Action::ReadEvents,
        Action::ManageWebhooks,
        Action::ManageCapacity,
        Action::ReadAvailability,
        Action::BookAppointment,
        Action::AttachFiles,
        Action::ReadMessages,
        Action::ManageMessages,
        Action::DispatchWork,
        Action::VoidSettlement,
        Action::ImportData,
        Action::ExportData,
    ];

    /// Returns the action's name, for errors and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateStore => "store.create",
            Action::UpdateStore => "store.update",
            Action::ReadStore => "store.read",
            Action::ReadStaff => "staff.read",
            Action::ManageStaff => "staff.manage",
            Action::ReadCustomer => "customer.read",
            Action::WriteCustomer => "customer.write",
            Action::RecordOdometer => "vehicle.record_odometer",
            Action::MergeCustomers => "customer.merge",
            Action::SeeFullPhone => "customer.see_full_phone",
            Action::ReadAudit => "audit.read",
            Action::CreateWorkOrder => "work_order.create",
            Action::ReadWorkOrder => "work_order.read",
            Action::FrontDeskStep => "work_order.front_desk_step",
            Action::WorkshopStep => "work_order.workshop_step",
            Action::EntryInspection => "inspection.entry",
            Action::ExitInspection => "inspection.exit",
            Action::DeleteInspection => "inspection.delete",
            Action::SupervisorLists => "supervisor.lists",
            Action::FollowUpWork => "follow_up.work",
            Action::ReadFollowUp => "follow_up.read",
            Action::ReadAnalytics => "analytics.read",
            Action::RecordVisit => "visit.record",
            Action::ReadEvents => "events.read",
            Action::ManageWebhooks => "webhooks.manage",
            Action::ManageCapacity => "capacity.manage",
            Action::ReadAvailability => "availability.read",
            Action::BookAppointment => "appointment.book",
            Action::AttachFiles => "attachment.upload",
            Action::ReadMessages => "message.read",
            Action::ManageMessages => "message.manage",
            Action::DispatchWork => "work_order.dispatch",
            Action::VoidSettlement => "settlement.void",
            Action::ImportData => "data.import",
            Action::ExportData => "data.export",
        }
    }

    /// Returns the roles allowed to do this: the permission table.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::CreateStore | Action::UpdateStore => &[Admin],
            Action::ReadStore => {
                &[Advisor, Technician, Inspector, FollowupAgent, Supervisor, HqAnalyst, Integration, Admin]
            }
            Action::ReadStaff => {
                &[Advisor, Technician, Inspector, FollowupAgent, Supervisor, Integration, Admin]
            }
            Action::ManageStaff => &[Supervisor, Admin],
            Action::ReadCustomer => &[Advisor, Technician, Inspector, FollowupAgent, Supervisor, Integration],
            Action::WriteCustomer => &[Advisor, Supervisor, Integration],
            Action::RecordOdometer => &[Advisor, Technician, Supervisor, Integration],
            Action::MergeCustomers => &[Advisor, Supervisor],
            // Technicians and inspectors work on the car, not with the customer (CF-5).
            Action::SeeFullPhone => &[Advisor, FollowupAgent, Supervisor, Integration],
            Action::ReadAudit | Action::DeleteInspection | Action::SupervisorLists => &[Supervisor],
            Action::CreateWorkOrder | Action::FrontDeskStep => &[Advisor, Supervisor, Integration],
            Action::ReadWorkOrder => {
                &[Advisor, Technician, Inspector, FollowupAgent, Supervisor, Integration]
            }
            Action::WorkshopStep => &[Technician, Supervisor],
            Action::FollowUpWork => &[FollowupAgent, Supervisor],
            Action::ReadAnalytics => &[HqAnalyst],
            Action::RecordVisit => &[Advisor, FollowupAgent, Supervisor, Integration],
            Action::ReadFollowUp => &[FollowupAgent, Supervisor, Advisor],
            Action::EntryInspection => &[Advisor, Inspector, Supervisor],
            // IN-2: the exit inspection is the quality inspector's alone.
            Action::ExitInspection => &[Inspector],
            Action::ReadEvents => &[Integration, Supervisor],
            Action::ManageWebhooks => &[Integration, Supervisor, Admin],
            Action::ManageCapacity => &[Supervisor, Admin],
            // Integration: the mobile-app backends book on their customers' behalf.
            Action::ReadAvailability | Action::BookAppointment => &[Advisor, Supervisor, Integration],
            // Whoever works on the car photographs it: reception, workshop, inspection.
            Action::AttachFiles => &[Advisor, Technician, Inspector, Supervisor, Integration],
            // Messages carry the customer's name: those who may see the full phone (CF-5).
            Action::ReadMessages => &[Advisor, FollowupAgent, Supervisor, Integration],
            Action::ManageMessages => &[Supervisor, Admin],
            // The advisor or the workshop controller (a supervisor) gives out the work.
            Action::DispatchWork => &[Advisor, Supervisor, Integration],
            // The finance desk's correction, signed off by a supervisor.
            Action::VoidSettlement => &[Supervisor],
            // Moving a store in writes its whole history at once: the supervisor's decision.
            Action::ImportData => &[Supervisor],
            // A store's whole data leaves with it: the supervisor's decision, audited.
            Action::ExportData => &[Supervisor],
        }
    }
}

/// A command of a use case, with the action of the permission table it needs. The fronts check
/// it before they read the command's fields, so a caller learns nothing of the shape of an
/// action it may not take; the service checks it again.
pub trait Command {
    /// The action this command needs.
    const ACTION: Action;
}

/// Verifies a bearer token and says who it belongs to; implemented outside the domain.
pub trait Authenticator: Send + Sync {
    /// Returns the principal of a valid token, or `Unauthenticated`.
    fn authenticate(&self, bearer_token: &str) -> Result<Principal>;
}

/// Which stores a token reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreAccess {
    /// Every store (`*`), honoured only for `admin` and `hq_analyst`.
    All,
    /// The listed stores only.
    Only(BTreeSet<StoreCode>),
}

/// The authenticated caller, taken from a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Staff id (`sub`).
    pub sub: String,
    /// Display name (`name`).
    pub name: String,
    /// Roles (`roles`).
    pub roles: BTreeSet<Role>,
    /// Stores the token reaches (`stores`).
    pub stores: StoreAccess,
}

/// Reads the token of an `Authorization: Bearer <JWT>` header (REST) or `authorization`
/// metadata (gRPC); both fronts answer the same errors.
pub fn bearer_token(header: Option<&str>) -> Result<&str> {
    let header = header.ok_or_else(|| DomainError::Unauthenticated("missing bearer token".into()))?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| DomainError::Unauthenticated("authorization header must be 'Bearer <token>'".into()))
}

impl Principal {
    /// Builds a principal from claim values, refusing unknown roles and store codes.
    pub fn from_claims(sub: &str, name: &str, roles: &[String], stores: &[String]) -> Result<Self> {
        if sub.trim().is_empty() {
            return Err(DomainError::Unauthenticated("token has no subject".into()));
        }
        let roles = roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(DomainError::Unauthenticated)?;
        let wildcard_allowed = roles.iter().any(|r| r.may_span_all_stores());
        let stores = if stores.iter().any(|s| s == "*") && wildcard_allowed {
            StoreAccess::All
        } else {
            StoreAccess::Only(
                stores
                    .iter()
                    .filter(|s| s.as_str() != "*")
                    .map(|s| StoreCode::parse(s))
                    .collect::<Result<_, _>>()
                    .map_err(|e| DomainError::Unauthenticated(format!("token store: {e}")))?,
            )
        };
        Ok(Self { sub: sub.to_string(), name: name.to_string(), roles, stores })
    }

    /// Whether the token reaches `store`.
    pub fn reaches(&self, store: &StoreCode) -> bool {
        match &self.stores {
            StoreAccess::All => true,
            StoreAccess::Only(codes) => codes.contains(store),
        }
    }

    /// Whether any of the caller's roles allows `action`.
    pub fn can(&self, action: Action) -> bool {
        action.allowed_roles().iter().any(|r| self.roles.contains(r))
    }

    /// Checks `action` in `store`: an unreachable store answers as if nothing were there.
    pub fn authorize(&self, action: Action, store: &StoreCode, resource: &'static str) -> Result<()> {
        if !self.reaches(store) {
            return Err(DomainError::NotFound { resource });
        }
        self.authorize_role(action)
    }

    /// Checks the action a command needs: in `store` where it has one, else the roles alone.
    pub fn may<C: Command>(&self, store: Option<&StoreCode>) -> Result<()> {
        match store {
            Some(store) => self.authorize(C::ACTION, store, "store"),
            None => self.authorize_role(C::ACTION),
        }
    }

    /// Checks `action` against the caller's roles only (for actions outside any store).
    pub fn authorize_role(&self, action: Action) -> Result<()> {
        if self.can(action) {
            return Ok(());
        }
        Err(DomainError::PermissionDenied {
            action: action.as_str(),
            allowed: action.allowed_roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[&str], stores: &[&str]) -> Principal {
        let roles: Vec<String> = roles.iter().map(|s| s.to_string()).collect();
        let stores: Vec<String> = stores.iter().map(|s| s.to_string()).collect();
        Principal::from_claims("u1", "U", &roles, &stores).unwrap()
    }

    #[test]
    fn another_stores_record_answers_not_found_before_any_role_check() {
        let p = principal(&["technician"], &["SH001"]);
        let other = StoreCode::parse("BJ001").unwrap();
        assert_eq!(
            p.authorize(Action::MergeCustomers, &other, "customer"),
            Err(DomainError::NotFound { resource: "customer" })
        );
    }

    #[test]
    fn the_wildcard_store_is_honoured_only_for_admin_and_hq() {
        let advisor = principal(&["advisor"], &["*"]);
        assert!(!advisor.reaches(&StoreCode::parse("SH001").unwrap()));
        let hq = principal(&["hq_analyst"], &["*"]);
        assert!(hq.reaches(&StoreCode::parse("SH001").unwrap()));
    }

    // CF-5
    #[test]
    fn technicians_see_masked_phones_and_hq_sees_no_customer_at_all() {
        assert!(!principal(&["technician"], &["SH001"]).can(Action::SeeFullPhone));
        assert!(principal(&["followup_agent"], &["SH001"]).can(Action::SeeFullPhone));
        assert!(!principal(&["hq_analyst"], &["*"]).can(Action::ReadCustomer));
        assert!(!principal(&["admin"], &["*"]).can(Action::ReadCustomer));
    }

    #[test]
    fn unknown_roles_in_a_token_are_refused() {
        let err = Principal::from_claims("u", "n", &["boss".into()], &[]).unwrap_err();
        assert!(matches!(err, DomainError::Unauthenticated(_)));
    }

    #[test]
    fn every_action_has_at_least_one_role() {
        for a in Action::ALL {
            assert!(!a.allowed_roles().is_empty(), "{}", a.as_str());
        }
    }
}
