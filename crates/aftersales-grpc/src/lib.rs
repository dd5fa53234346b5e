//! The gRPC front of Aftersales: tonic adapters that convert messages into domain commands, call
//! the shared application services, and map domain errors to statuses with rich details.

pub mod convert;
pub mod service;
pub mod status;

use std::sync::Arc;

use aftersales_domain::app::Services;
use aftersales_domain::auth::Authenticator;
use tonic::service::Routes;
use tonic_health::ServingStatus;

/// Generated protobuf types and service stubs (package `aftersales.v1`).
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("aftersales.v1");

    /// The encoded descriptor set, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("aftersales_descriptor");
}

pub use pb::analytics_service_client::AnalyticsServiceClient;
pub use pb::appointment_service_client::AppointmentServiceClient;
pub use pb::approval_link_service_client::ApprovalLinkServiceClient;
pub use pb::attachment_service_client::AttachmentServiceClient;
pub use pb::customer_service_client::CustomerServiceClient;
pub use pb::event_service_client::EventServiceClient;
pub use pb::follow_up_service_client::FollowUpServiceClient;
pub use pb::import_service_client::ImportServiceClient;
pub use pb::inspection_service_client::InspectionServiceClient;
pub use pb::message_service_client::MessageServiceClient;
pub use pb::store_service_client::StoreServiceClient;
pub use pb::work_order_service_client::WorkOrderServiceClient;
pub use pb::workshop_service_client::WorkshopServiceClient;

/// Builds every gRPC service (ours, health, reflection) on one set of application services.
pub async fn routes(
    services: Services,
    auth: Arc<dyn Authenticator>,
) -> Result<Routes, tonic_reflection::server::Error> {
    use pb::analytics_service_server::AnalyticsServiceServer;
    use pb::appointment_service_server::AppointmentServiceServer;
    use pb::approval_link_service_server::ApprovalLinkServiceServer;
    use pb::attachment_service_server::AttachmentServiceServer;
    use pb::customer_service_server::CustomerServiceServer;
    use pb::event_service_server::EventServiceServer;
    use pb::follow_up_service_server::FollowUpServiceServer;
    use pb::import_service_server::ImportServiceServer;
    use pb::inspection_service_server::InspectionServiceServer;
    use pb::message_service_server::MessageServiceServer;
    use pb::store_service_server::StoreServiceServer;
    use pb::work_order_service_server::WorkOrderServiceServer;
    use pb::workshop_service_server::WorkshopServiceServer;

    let adapter = service::Adapter { services, auth };
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", ServingStatus::Serving).await;
    health.set_serving::<StoreServiceServer<service::Adapter>>().await;
    health.set_serving::<CustomerServiceServer<service::Adapter>>().await;
    health.set_serving::<WorkOrderServiceServer<service::Adapter>>().await;
    health.set_serving::<InspectionServiceServer<service::Adapter>>().await;
    health.set_serving::<FollowUpServiceServer<service::Adapter>>().await;
    health.set_serving::<AnalyticsServiceServer<service::Adapter>>().await;
    health.set_serving::<EventServiceServer<service::Adapter>>().await;
    health.set_serving::<AppointmentServiceServer<service::Adapter>>().await;
    health.set_serving::<ApprovalLinkServiceServer<service::Adapter>>().await;
    health.set_serving::<AttachmentServiceServer<service::Adapter>>().await;
    health.set_serving::<MessageServiceServer<service::Adapter>>().await;
    health.set_serving::<WorkshopServiceServer<service::Adapter>>().await;
    health.set_serving::<ImportServiceServer<service::Adapter>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    // v1alpha as well: Postman, Evans, BloomRPC, older grpcurl and Python's grpcio-reflection ask it.
    let (reflection_v1, reflection_v1alpha) = (reflection().build_v1()?, reflection().build_v1alpha()?);
    let mut routes = Routes::builder();
    routes
        .add_service(StoreServiceServer::new(adapter.clone()))
        .add_service(CustomerServiceServer::new(adapter.clone()))
        .add_service(WorkOrderServiceServer::new(adapter.clone()))
        .add_service(InspectionServiceServer::new(adapter.clone()))
        .add_service(FollowUpServiceServer::new(adapter.clone()))
        .add_service(AnalyticsServiceServer::new(adapter.clone()))
        .add_service(AppointmentServiceServer::new(adapter.clone()))
        .add_service(ApprovalLinkServiceServer::new(adapter.clone()))
        .add_service(AttachmentServiceServer::new(adapter.clone()))
        .add_service(MessageServiceServer::new(adapter.clone()))
        .add_service(WorkshopServiceServer::new(adapter.clone()))
        .add_service(ImportServiceServer::new(adapter.clone()))
        .add_service(EventServiceServer::new(adapter))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    Ok(routes.routes())
}
