//! Value types: each parses its input once and is valid from then on (CF-4, CF-5).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares a UUID-backed id newtype: time-ordered generation, parsing that names the field, and
/// a transparent string form. Every id of the domain is one of these.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// Creates a new time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Parses an id from its string form, naming `field` on failure.
            pub fn parse(field: &str, raw: &str) -> crate::Result<Self> {
                uuid::Uuid::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| crate::DomainError::invalid(field, "must be a UUID"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use uuid_id;

uuid_id!(
    /// Identifies a customer file.
    CustomerId
);
uuid_id!(
    /// Identifies a vehicle.
    VehicleId
);
uuid_id!(
    /// Identifies an audit event, an odometer reading or another appended record.
    RecordId
);

/// A store's code, e.g. `SH001`: 2–16 upper-case letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoreCode(String);

impl StoreCode {
    /// Parses a store code; lower-case letters are folded to upper case.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        let valid_len = (2..=16).contains(&code.len());
        let valid_chars =
            code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if valid_len && valid_chars && code.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            Ok(Self(code))
        } else {
            Err("must be 2 to 16 letters, digits, '-' or '_' (e.g. SH001)".into())
        }
    }

    /// Returns the code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StoreCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<StoreCode> for String {
    fn from(value: StoreCode) -> Self {
        value.0
    }
}

impl fmt::Display for StoreCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Vehicle Identification Number per ISO 3779 with a valid check digit (CF-4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vin(String);

impl Vin {
    /// Parses a VIN: 17 characters, no I, O or Q, position 9 the check digit.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let vin = raw.trim().to_ascii_uppercase();
        if vin.chars().count() != 17 {
            return Err("must be 17 characters".into());
        }
        let mut sum = 0u32;
        for (i, c) in vin.chars().enumerate() {
            let value = transliterate(c).ok_or_else(|| {
                format!("character {} ('{c}') is not allowed (letters I, O and Q never appear)", i + 1)
            })?;
            sum += value * WEIGHTS[i];
        }
        let expected = match sum % 11 {
            10 => 'X',
            n => char::from_digit(n, 10).unwrap_or('X'),
        };
        if vin.as_bytes()[8] as char != expected {
            return Err(format!("check digit (9th character) should be '{expected}'"));
        }
        Ok(Self(vin))
    }

    /// Returns the VIN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

fn transliterate(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c.to_digit(10)?,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        _ => return None,
    })
}

impl TryFrom<String> for Vin {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Vin> for String {
    fn from(value: Vin) -> Self {
        value.0
    }
}

impl fmt::Display for Vin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Chinese licence plate (CF-4): 7 characters, or 8 for new-energy vehicles.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Plate(String);

const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
const PLATE_SUFFIXES: &str = "学警挂港澳领试超";

fn plate_letter(c: char) -> bool {
    c.is_ascii_uppercase() && c != 'I' && c != 'O'
}

fn plate_alnum(c: char) -> bool {
    plate_letter(c) || c.is_ascii_digit()
}

/// A plate in the form the API answers it (ECMA-262 regex for the OpenAPI document); every match
/// parses (tested), and [`Plate::parse`] also takes lower case and separators.
pub const PLATE_PATTERN: &str = "^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z]([A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9学警挂港澳领试超]|[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF])$";

/// A phone number as [`Phone::parse`] takes it without separators: a mobile or a landline.
pub const PHONE_PATTERN: &str = r"^(\+86)?(1[3-9][0-9]{9}|0[1-9][0-9]{8,10})$";

/// What [`Phone::parse`] skips between digits (white space, dashes and brackets).
const PHONE_SEPARATORS: &str = r"[\t\n\r \u3000()-]*";

/// Every spelling of a plate [`Plate::parse`] takes: [`PLATE_PATTERN`] in either case, with
/// white space, `·`, `•` or `-` anywhere (a regex for the OpenAPI document; tested against the parser).
pub fn plate_input_pattern() -> String {
    let s = r"[\t\n\r \u3000·•-]*";
    let letter = "A-HJ-NP-Za-hj-np-z";
    let alnum = format!("[{letter}0-9]{s}");
    let digit = format!("[0-9]{s}");
    let ordinary = format!("{}[{letter}0-9{PLATE_SUFFIXES}]{s}", alnum.repeat(4));
    let small = format!("[DFdf]{s}{alnum}{}", digit.repeat(4));
    let large = format!("{}[DFdf]{s}", digit.repeat(5));
    format!("^{s}[{PROVINCES}]{s}[{letter}]{s}({ordinary}|{small}|{large})$")
}

/// Every spelling of a phone number [`Phone::parse`] takes: [`PHONE_PATTERN`] with spaces,
/// dashes and brackets anywhere, and `+86` or `0086` before it.
pub fn phone_input_pattern() -> String {
    let s = PHONE_SEPARATORS;
    let digit = format!("[0-9]{s}");
    format!(
        "^{s}(\\+{s}8{s}6{s}|0{s}0{s}8{s}6{s})?(1{s}[3-9]{s}({digit}){{9}}|0{s}[1-9]{s}({digit}){{8,10}})$"
    )
}

/// Free text: no control characters but tab and line breaks (see [`has_control_chars`]).
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// Free text that must say something: like [`TEXT_PATTERN`], with at least one character that is
/// not white space (required text is trimmed and must not be empty).
pub const REQUIRED_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

impl Plate {
    /// Parses a plate; spaces, '·' and '-' are dropped and letters upper-cased.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let plate: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '·' && *c != '-' && *c != '•')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let chars: Vec<char> = plate.chars().collect();
        let Some((&province, rest)) = chars.split_first() else {
            return Err("must not be empty".into());
        };
        if !PROVINCES.contains(province) {
            return Err("must start with a province abbreviation (e.g. 沪, 京, 粤)".into());
        }
        let Some((&authority, serial)) = rest.split_first() else {
            return Err("must be 7 characters, or 8 for a new-energy vehicle".into());
        };
        if !plate_letter(authority) {
            return Err("second character must be a letter (not I or O)".into());
        }
        let ok = match serial.len() {
            5 => {
                let (body, last) = serial.split_at(4);
                body.iter().all(|&c| plate_alnum(c))
                    && (plate_alnum(last[0]) || PLATE_SUFFIXES.contains(last[0]))
            }
            // New-energy: small cars D/F first, large vehicles D/F last.
            6 => {
                let small = matches!(serial[0], 'D' | 'F')
                    && plate_alnum(serial[1])
                    && serial[2..].iter().all(char::is_ascii_digit);
                let large = serial[..5].iter().all(char::is_ascii_digit) && matches!(serial[5], 'D' | 'F');
                small || large
            }
            _ => return Err("must be 7 characters, or 8 for a new-energy vehicle".into()),
        };
        if ok {
            Ok(Self(plate))
        } else {
            Err("is not a valid plate number (letters I and O are not used)".into())
        }
    }

    /// Returns the plate as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Plate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Plate> for String {
    fn from(value: Plate) -> Self {
        value.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Chinese phone number: an 11-digit mobile or a landline with its area code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number; spaces, dashes and a +86 prefix are dropped.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut digits: String =
            raw.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '(' && *c != ')').collect();
        if let Some(rest) = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")) {
            digits = rest.to_string();
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err("must contain only digits, spaces, dashes and an optional +86".into());
        }
        let bytes = digits.as_bytes();
        let mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        let landline = (10..=12).contains(&bytes.len()) && bytes[0] == b'0' && bytes[1] != b'0';
        if mobile || landline {
            Ok(Self(digits))
        } else {
            Err("must be an 11-digit mobile number (1xx) or a landline with area code (0xx)".into())
        }
    }

    /// Returns the number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns a display-only copy with the middle digits hidden; never store it.
    pub fn to_masked(&self) -> Phone {
        Phone(self.masked())
    }

    /// Returns the number with all but the first 3 and last 4 digits hidden (CF-5).
    pub fn masked(&self) -> String {
        let len = self.0.len();
        let head = &self.0[..3.min(len)];
        let tail = &self.0[len.saturating_sub(4)..];
        format!("{head}{}{tail}", "*".repeat(len.saturating_sub(7).max(4)))
    }
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

/// An opaque version tag; changes on every write (GEN-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Etag(pub i64);

impl Etag {
    /// Renders the tag as clients see it.
    pub fn render(version: i64) -> String {
        format!("v{version}")
    }

    /// Parses a tag as sent in `If-Match` or an `etag` field (quotes and `W/` tolerated).
    pub fn parse(raw: &str) -> crate::Result<Self> {
        let trimmed = raw.trim().trim_start_matches("W/").trim_matches('"');
        trimmed
            .strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok())
            .map(Self)
            .ok_or_else(|| crate::DomainError::invalid("etag", "is not an etag this service issued"))
    }

    /// Parses a write's precondition as either front receives it (`If-Match` on REST, `etag` on
    /// gRPC): absent, empty or `*` means any version (GEN-2); errors name `field`.
    pub fn parse_condition(field: &str, raw: Option<&str>) -> crate::Result<Option<Self>> {
        match raw.map(str::trim) {
            None | Some("") | Some("*") => Ok(None),
            Some(tag) => Self::parse(tag)
                .map(Some)
                .map_err(|_| crate::DomainError::invalid(field, "is not an etag this service issued")),
        }
    }
}

/// Lowercase hex of a digest (SHA-256 of tokens, contents, request fingerprints).
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether text holds control characters (NUL and the like) that no field may contain; tabs and
/// line breaks are allowed.
pub fn has_control_chars(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

/// Trims a free-text field and turns an empty one into `None`.
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    // CF-4
    #[test]
    fn a_vin_with_its_check_digit_is_accepted() {
        assert_eq!(Vin::parse("1m8gdm9axkp042788").unwrap().as_str(), "1M8GDM9AXKP042788");
        assert!(Vin::parse("LSVAU218XN2183294").is_ok());
    }

    // CF-4
    #[test]
    fn a_vin_with_a_wrong_check_digit_is_refused_with_the_expected_one() {
        let err = Vin::parse("1M8GDM9A1KP042788").unwrap_err();
        assert!(err.contains("'X'"), "{err}");
    }

    // CF-4
    #[test]
    fn a_vin_with_i_o_or_q_or_the_wrong_length_is_refused() {
        assert!(Vin::parse("1M8GDM9AXKP04278").unwrap_err().contains("17"));
        assert!(Vin::parse("IM8GDM9AXKP042788").unwrap_err().contains("not allowed"));
        assert!(Vin::parse("1M8GDM9AXKP0427Q8").is_err());
    }

    // CF-4
    #[test]
    fn ordinary_and_new_energy_plates_are_accepted() {
        for ok in ["沪A12345", "京N·8U2F7", "粤B D12345", "沪AD12345", "苏E12345F", "沪A1234学", "京A1234警"]
        {
            assert!(Plate::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Plate::parse("沪a 12345").unwrap().as_str(), "沪A12345");
    }

    // CF-4
    #[test]
    fn malformed_plates_are_refused() {
        for bad in ["", "AA12345", "沪12345", "沪A1234", "沪A123456", "沪AI2345", "沪A12345678", "沪AX12345"]
        {
            assert!(Plate::parse(bad).is_err(), "{bad}");
        }
    }

    // CF-5
    #[test]
    fn phones_are_normalised_and_masked_keeping_head_and_tail() {
        let mobile = Phone::parse("+86 138-1234-5678").unwrap();
        assert_eq!(mobile.as_str(), "13812345678");
        assert_eq!(mobile.masked(), "138****5678");
        let landline = Phone::parse("021-6888 1234").unwrap();
        assert_eq!(landline.masked(), "021****1234");
        assert!(!landline.masked().contains("6888"));
    }

    #[test]
    fn bad_phones_are_refused() {
        for bad in ["12345", "12812345678", "abc", "1381234567x", "00212345678"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn store_codes_are_folded_to_upper_case_and_checked() {
        assert_eq!(StoreCode::parse("sh001").unwrap().as_str(), "SH001");
        assert!(StoreCode::parse("S").is_err());
        assert!(StoreCode::parse("SH 01").is_err());
        assert!(StoreCode::parse("-SH").is_err());
    }

    #[test]
    fn etags_round_trip_with_or_without_quotes() {
        assert_eq!(Etag::parse("\"v3\"").unwrap(), Etag(3));
        assert_eq!(Etag::parse("W/\"v12\"").unwrap(), Etag(12));
        assert!(Etag::parse("3").is_err());
    }

    proptest::proptest! {
        // CF-5: a masked phone never shows the middle digits.
        #[test]
        fn masking_hides_everything_but_head_and_tail(mid in 0u32..100_000_000) {
            let raw = format!("139{mid:08}");
            let phone = Phone::parse(&raw).unwrap();
            let masked = phone.masked();
            proptest::prop_assert_eq!(&masked[..3], &raw[..3]);
            proptest::prop_assert_eq!(&masked[7..], &raw[7..]);
            proptest::prop_assert_eq!(&masked[3..7], "****");
        }
    }
}

#[cfg(test)]
mod pattern_tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        // CF-4: every plate and phone the OpenAPI document calls valid is accepted (the fuzzer's
        // positive data relies on it).
        #[test]
        fn every_plate_the_pattern_allows_parses(plate in proptest::string::string_regex(PLATE_PATTERN.trim_matches(['^', '$'])).unwrap()) {
            prop_assert!(Plate::parse(&plate).is_ok(), "{plate}");
        }

        #[test]
        fn every_phone_the_pattern_allows_parses(phone in proptest::string::string_regex(PHONE_PATTERN.trim_matches(['^', '$'])).unwrap()) {
            prop_assert!(Phone::parse(&phone).is_ok(), "{phone}");
        }

        #[test]
        fn every_plate_spelling_the_input_pattern_allows_parses(plate in proptest::string::string_regex(plate_input_pattern().trim_matches(['^', '$'])).unwrap()) {
            prop_assert!(Plate::parse(&plate).is_ok(), "{plate:?}");
        }

        #[test]
        fn every_phone_spelling_the_input_pattern_allows_parses(phone in proptest::string::string_regex(phone_input_pattern().trim_matches(['^', '$'])).unwrap()) {
            prop_assert!(Phone::parse(&phone).is_ok(), "{phone:?}");
        }

        #[test]
        fn required_text_the_pattern_allows_passes_the_text_check(text in proptest::string::string_regex(r"[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}-\u{9f}]{0,5}[^\s\u{0}-\u{1f}\u{7f}-\u{9f}][^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}-\u{9f}]{0,5}").unwrap()) {
            let mut v = crate::error::Validator::new();
            v.text("f", &text, crate::error::limits::NAME);
            prop_assert!(v.finish().is_ok(), "{text:?}");
        }
    }
}
