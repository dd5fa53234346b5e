//! How a customer file is found (CF-1): the terms a file and its cars are indexed under, and the
//! term a search query looks up. One rule for the write path, the migration's backfill and the
//! query, so what is indexed is exactly what can be found.
//!
//! A store looks a customer up by a fragment of the name, the full phone number or its last four
//! digits, the plate (with or without the province) or the VIN (whole, or its last 6 or 8).

use super::customer::{Customer, Vehicle};

/// The longest name fragment indexed; longer queries look up their first this many characters.
pub const MAX_FRAGMENT: usize = 12;

/// Lower case, no white space: names are compared the way people type them.
fn fold(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// The terms a customer file is found under: every fragment of the name (up to
/// [`MAX_FRAGMENT`] characters), the phone number and its last four digits.
pub fn customer_terms(customer: &Customer) -> Vec<String> {
    name_phone_terms(&customer.name, customer.phone.as_str())
}

/// [`customer_terms`] from the stored name and phone (for the migration's backfill).
pub fn name_phone_terms(name: &str, phone: &str) -> Vec<String> {
    let name: Vec<char> = fold(name).chars().collect();
    let mut terms = Vec::new();
    for start in 0..name.len() {
        for end in start + 1..=name.len().min(start + MAX_FRAGMENT) {
            terms.push(name[start..end].iter().collect::<String>());
        }
    }
    terms.push(phone.to_string());
    if phone.len() > 4 {
        terms.push(phone[phone.len() - 4..].to_string());
    }
    terms.sort();
    terms.dedup();
    terms
}

/// The terms a car makes its owner's file found under: the plate with and without its province,
/// the VIN and its last 6 and 8 characters.
pub fn vehicle_terms(vehicle: &Vehicle) -> Vec<String> {
    plate_vin_terms(vehicle.plate.as_ref().map(|p| p.to_string()).as_deref(), vehicle.vin.as_str())
}

/// [`vehicle_terms`] from the stored plate and VIN (for the migration's backfill).
pub fn plate_vin_terms(plate: Option<&str>, vin: &str) -> Vec<String> {
    let mut terms = Vec::new();
    if let Some(plate) = plate {
        let plate = fold(plate);
        terms.push(plate.chars().skip(1).collect());
        terms.push(plate);
    }
    let vin = fold(vin);
    for tail in [6, 8] {
        terms.push(vin[vin.len().saturating_sub(tail)..].to_string());
    }
    terms.push(vin);
    terms.sort();
    terms.dedup();
    terms
}

/// The term a search looks up: the query folded like the terms, phone separators dropped when it
/// is a number, cut to [`MAX_FRAGMENT`] characters unless it is a whole phone, plate or VIN.
pub fn query_term(q: &str) -> Option<String> {
    let folded = fold(q);
    let numeric: String = folded.chars().filter(|c| !matches!(c, '-' | '(' | ')' | '+' | '·')).collect();
    let term = if !numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit()) {
        numeric.strip_prefix("86").filter(|n| n.len() == 11).map(str::to_string).unwrap_or(numeric)
    } else {
        let plate_like: String = folded.chars().filter(|c| !matches!(c, '-' | '·' | '•')).collect();
        match plate_like.chars().count() {
            // A whole VIN is indexed as it is; any other long query looks up its first fragment.
            17 => plate_like,
            n if n > MAX_FRAGMENT => plate_like.chars().take(MAX_FRAGMENT).collect(),
            _ => plate_like,
        }
    };
    (!term.is_empty()).then_some(term)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{CustomerId, Phone, Plate, StoreCode, VehicleId, Vin};

    fn customer(name: &str, phone: &str) -> Customer {
        let at = chrono::DateTime::UNIX_EPOCH;
        Customer {
            id: CustomerId(uuid::Uuid::now_v7()),
            store: StoreCode::parse("SH001").unwrap(),
            name: name.into(),
            phone: Phone::parse(phone).unwrap(),
            address: None,
            company: None,
            preferred_channel: None,
            preferred_contact_time: None,
            wanted_services: None,
            marketing_consent: false,
            marketing_consent_changed_at: None,
            merged_into: None,
            credit_account: false,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    // CF-1: a customer is found by a name fragment, the phone or its last four digits.
    #[test]
    fn a_file_is_found_by_name_fragment_phone_and_its_last_four_digits() {
        let terms = customer_terms(&customer("欧阳 娜娜", "138 1234 5678"));
        for q in
            ["欧阳", "娜娜", "阳娜", "欧阳娜娜", "13812345678", "5678", "138-1234-5678", "+86 138 1234 5678"]
        {
            let term = query_term(q).unwrap();
            assert!(terms.contains(&term), "{q} -> {term} not in {terms:?}");
        }
        assert!(!terms.contains(&query_term("1234").unwrap()), "only the last four digits");
        let latin = customer_terms(&customer("Zhang Wei", "13912345678"));
        assert!(latin.contains(&query_term("zhangw").unwrap()));
    }

    // CF-1, CF-4: a car makes its owner found by plate (with or without province) and VIN tails.
    #[test]
    fn a_file_is_found_by_plate_and_vin_tails() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let v = Vehicle {
            id: VehicleId(uuid::Uuid::now_v7()),
            store: StoreCode::parse("SH001").unwrap(),
            customer_id: CustomerId(uuid::Uuid::now_v7()),
            vin: Vin::parse("LSVAU218XN2183294").unwrap(),
            plate: Some(Plate::parse("沪A12345").unwrap()),
            make: "大众".into(),
            model: "朗逸".into(),
            vehicle_type: None,
            color: None,
            registration_date: None,
            purchase_date: None,
            mileage_km: 0,
            maintenance_cycle_km: 5000,
            maintenance_cycle_months: 6,
            last_service_date: None,
            last_service_km: None,
            owner_since: at.date_naive(),
            version: 1,
            created_at: at,
            updated_at: at,
        };
        let terms = vehicle_terms(&v);
        for q in ["沪A12345", "沪a·12345", "a12345", "LSVAU218XN2183294", "183294", "n2183294"] {
            assert!(terms.contains(&query_term(q).unwrap()), "{q}");
        }
    }
}
