//! The printable documents (WO-6, WO-7, IN-2) and the supervisors' list of incomplete files
//! (CF-2).

use super::*;

impl WorkOrderService {
    /// Lists customer files still incomplete more than the store's `file_open_days` after the
    /// customer's first intake, oldest first (CF-2). Looks back 180 days.
    pub async fn incomplete_files(&self, who: &Principal, store: &StoreCode) -> Result<Vec<IncompleteFile>> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let shop = self.core.store(who, store).await?;
        let tz = shop.timezone;
        let today = self.core.now().with_timezone(&tz).date_naive();
        // An intake on day D is due by the end of D + file_open_days: overdue once that day is over.
        let Some(cutoff_day) = today.checked_sub_days(Days::new(u64::from(shop.sla.file_open_days))) else {
            return Ok(vec![]);
        };
        let window_start = cutoff_day.checked_sub_days(Days::new(INCOMPLETE_FILE_WINDOW_DAYS));
        let filter = WorkOrderFilter {
            created_to: local_midnight(tz, cutoff_day),
            created_from: window_start.and_then(|d| local_midnight(tz, d)),
            ..WorkOrderFilter::default()
        };
        let filter = &filter;
        let mut first_intakes: Vec<WorkOrder> = Vec::new();
        for order in
            all_pages(|page| async move { self.core.repo.list_work_orders(store, filter, &page).await })
                .await?
        {
            if !first_intakes.iter().any(|o| o.customer_id == order.customer_id) {
                first_intakes.push(order);
            }
        }
        let mut files = Vec::new();
        for order in first_intakes {
            let customer = self.core.repo.get_customer(store, order.customer_id).await?;
            let vehicle = self.core.repo.get_vehicle(store, order.vehicle_id).await?;
            let (Some(customer), Some(vehicle)) = (customer, vehicle) else { continue };
            let missing = missing_file_items(&customer, &vehicle);
            if missing.is_empty() || customer.merged_into.is_some() {
                continue;
            }
            let intake_day = order.created_at.with_timezone(&tz).date_naive();
            files.push(IncompleteFile {
                customer_id: customer.id,
                customer_name: customer.name,
                vehicle_id: vehicle.id,
                work_order_number: order.number,
                first_intake_at: order.created_at,
                due_on: intake_day
                    .checked_add_days(Days::new(u64::from(shop.sla.file_open_days)))
                    .unwrap_or(intake_day),
                missing: missing.into_iter().map(String::from).collect(),
            });
        }
        Ok(files)
    }

    /// Gathers what a document shows; refuses a document that does not exist yet (a certificate
    /// before the passed exit inspection, a settlement before delivery).
    pub async fn document(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        kind: DocumentKind,
    ) -> Result<DocumentData> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        let shop = self.core.store(who, store).await?;
        let order = self.load(store, id).await?;
        let missing = match kind {
            DocumentKind::WorkOrder => None,
            DocumentKind::AccessoryList => {
                order.accessories.is_empty().then_some("no accessories were listed")
            }
            DocumentKind::Certificate => {
                order.certificate_number.is_none().then_some("no exit inspection has passed")
            }
            DocumentKind::Settlement => order.settlement.is_none().then_some("the order is not settled"),
        };
        if let Some(why) = missing {
            return Err(DomainError::FailedPrecondition {
                code: "document.not_available",
                message: format!("this document does not exist yet: {why}"),
            });
        }
        let customer = self.core.repo.get_customer(store, order.customer_id).await?;
        let vehicle = self.core.repo.get_vehicle(store, order.vehicle_id).await?;
        let (Some(customer), Some(vehicle)) = (customer, vehicle) else {
            return Err(DomainError::Internal("work order refers to a missing customer or vehicle".into()));
        };
        let exit_inspection = match kind {
            DocumentKind::Certificate => self
                .core
                .repo
                .list_inspections(store, id)
                .await?
                .into_iter()
                .rev()
                .find(|i| i.passed == Some(true)),
            DocumentKind::WorkOrder | DocumentKind::AccessoryList | DocumentKind::Settlement => None,
        };
        let advisor_name = self.staff_name(store, &order.advisor).await?;
        let inspector_name = match &exit_inspection {
            Some(i) => Some(self.staff_name(store, &i.inspector).await?),
            None => None,
        };
        let entry_photos = match kind {
            DocumentKind::WorkOrder => self.entry_photos(store, id).await?,
            DocumentKind::AccessoryList | DocumentKind::Certificate | DocumentKind::Settlement => Vec::new(),
        };
        Ok(DocumentData {
            entry_photos,
            store: shop,
            order,
            customer: customer.for_viewer(who.can(Action::SeeFullPhone)),
            vehicle,
            exit_inspection,
            advisor_name,
            inspector_name,
        })
    }

    /// The first entry-inspection photos a browser shows, with their bytes, for thumbnails.
    async fn entry_photos(
        &self,
        store: &StoreCode,
        id: WorkOrderId,
    ) -> Result<Vec<(crate::model::attachment::ContentType, Vec<u8>)>> {
        /// A printed page has room for this many.
        const MAX_PHOTOS: u64 = 12;
        let to = Some(crate::model::attachment::AttachedTo::EntryInspection);
        let page = crate::paging::PageRequest { size: MAX_PHOTOS, ..Default::default() };
        let mut photos = Vec::new();
        for a in self.core.repo.attachments_of(store, id, to, &page).await?.items {
            if a.content_type.is_web_image() {
                photos.push((a.content_type, self.core.bytes_of(&a).await?));
            }
        }
        Ok(photos)
    }

    /// Returns a staff member's name as printed, or their id when they are not on the list.
    async fn staff_name(&self, store: &StoreCode, id: &str) -> Result<String> {
        Ok(self.core.repo.get_staff(store, id).await?.map_or_else(|| id.to_string(), |s| s.name))
    }
}
