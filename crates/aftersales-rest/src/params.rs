//! The path parameters of the API, each declared once for the OpenAPI document; routes list them
//! by name (`params(StoreParam, WorkOrderParam, ...)`).

#![allow(dead_code)] // Read by utoipa's derive only; handlers take the segments through `ApiPath`.

use utoipa::IntoParams;
use uuid::Uuid;

macro_rules! path_param {
    ($(#[$doc:meta])* $name:ident, $field:ident: $ty:ty, $desc:literal, $pattern:literal) => {
        $(#[$doc])*
        #[derive(IntoParams)]
        #[into_params(parameter_in = Path)]
        pub struct $name {
            #[doc = $desc]
            #[param(pattern = $pattern)]
            $field: $ty,
        }
    };
    // A UUID segment: the one pattern every id parameter states.
    ($(#[$doc:meta])* $name:ident, $field:ident: Uuid, $desc:literal) => {
        path_param!($(#[$doc])* $name, $field: Uuid, $desc,
            r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    };
}

path_param!(
    /// `{store}`.
    StoreParam, store: String, "Store code", r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"
);
path_param!(
    /// `{work_order_id}`.
    WorkOrderParam, work_order_id: Uuid, "Work order id"
);
path_param!(
    /// `{customer_id}`.
    CustomerParam, customer_id: Uuid, "Customer id"
);
path_param!(
    /// `{customer_id}` of a merge: the file that stays.
    SurvivingCustomerParam, customer_id: Uuid, "The file that stays"
);
path_param!(
    /// `{complaint_id}`.
    ComplaintParam, complaint_id: Uuid, "Complaint id"
);
path_param!(
    /// `{vehicle_id}`.
    VehicleParam, vehicle_id: Uuid, "Vehicle id"
);
path_param!(
    /// `{task_id}`.
    TaskParam, task_id: Uuid, "Task id"
);
path_param!(
    /// `{inspection_id}`.
    InspectionParam, inspection_id: Uuid, "Inspection id"
);
path_param!(
    /// `{staff_id}`.
    // The contract sets the staff-id rule's pattern over this one (STAFF_ID_PATTERN).
    StaffParam, staff_id: String, "Staff id", r"^[!-$&-.0-~]{1,64}$"
);
path_param!(
    /// `{period}`.
    PeriodParam, period: String, "YYYY-MM or YYYY", r"^[0-9]{4}(-[0-9]{2})?$"
);
path_param!(
    /// `{subscription_id}`.
    SubscriptionParam, subscription_id: Uuid, "Webhook subscription id"
);
path_param!(
    /// `{appointment_id}`.
    AppointmentParam, appointment_id: Uuid, "Appointment id"
);
path_param!(
    /// `{attachment_id}`.
    AttachmentParam, attachment_id: Uuid, "Attachment id"
);
path_param!(
    /// `{resource}` of an export.
    ExportResourceParam, resource: String, "customers, work_orders, service_history, follow_ups or complaints", "^(customers|work_orders|service_history|follow_ups|complaints)$"
);
path_param!(
    /// `{import_id}`.
    ImportParam, import_id: Uuid, "Import id"
);
path_param!(
    /// `{link_id}`.
    ApprovalLinkParam, link_id: Uuid, "Approval link id"
);
path_param!(
    /// `{token}` of an approval link: 43 URL-safe base64 characters.
    ApprovalTokenParam, token: String, "The link's token", r"^[A-Za-z0-9_-]{43}$"
);
path_param!(
    /// `{message_id}`.
    MessageParam, message_id: Uuid, "Message id"
);
