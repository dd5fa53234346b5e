//! Response bodies, and their conversions from domain entities, one module per resource as in
//! `routes/`.

macro_rules! list_dto {
    ($(#[$doc:meta])* $name:ident, $field:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// This page's items.
            pub $field: Vec<$item>,
            /// Token for the next page; empty at the end.
            pub next_page_token: String,
        }

        impl<T: Into<$item>> From<aftersales_domain::paging::Page<T>> for $name {
            fn from(page: aftersales_domain::paging::Page<T>) -> Self {
                Self {
                    $field: page.items.into_iter().map(Into::into).collect(),
                    next_page_token: page.next_page_token.unwrap_or_default(),
                }
            }
        }
    };
}

mod appointments;
mod approval_links;
mod attachments;
mod audit;
mod customers;
mod ehealth;
mod events;
mod follow_ups;
mod imports;
mod messages;
mod settlement;
mod stores;
mod summaries;
mod work_orders;

pub use appointments::*;
pub use approval_links::*;
pub use attachments::*;
pub use audit::*;
pub use customers::*;
pub use ehealth::*;
pub use events::*;
pub use follow_ups::*;
pub use imports::*;
pub use messages::*;
pub use settlement::*;
pub use stores::*;
pub use summaries::*;
pub use work_orders::*;
