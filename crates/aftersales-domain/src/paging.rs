//! Keyset pagination: opaque page tokens that stay stable under inserts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{DomainError, Result};

/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 500;

const TOKEN_PREFIX: &str = "k1:";

/// A request for one page: how many, and after which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items at most.
    pub size: u64,
    /// The sort key of the last item of the previous page.
    pub after: Option<String>,
    /// Only records changed after this instant (incremental sync, EV-2); every list honours it,
    /// on the time its records change (append-only records: the time they were made).
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { size: DEFAULT_PAGE_SIZE, after: None, updated_since: None }
    }
}

impl PageRequest {
    /// Parses `page_size` and `page_token` as clients send them.
    pub fn parse(size: Option<i64>, token: Option<&str>) -> Result<Self> {
        let size = match size {
            None | Some(0) => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => n as u64,
            Some(_) => {
                return Err(DomainError::invalid(
                    "page_size",
                    format!("must be between 1 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        let after =
            match token.map(str::trim).filter(|t| !t.is_empty()) {
                None => None,
                Some(t) => Some(decode(t).ok_or_else(|| {
                    DomainError::invalid("page_token", "is not a token this service issued")
                })?),
            };
        Ok(Self { size, after, updated_since: None })
    }

    /// The same request, for records changed after `since` only.
    pub fn changed_after(self, since: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        Self { updated_since: since, ..self }
    }
}

fn decode(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(TOKEN_PREFIX).map(str::to_string)
}

/// Encodes a sort key as an opaque page token.
pub fn encode_token(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{key}"))
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// Token for the next page; `None` at the end.
    pub next_page_token: Option<String>,
}

/// Reads every page of a list, in key order, the largest pages at a time; `read` is one page.
pub async fn all_pages<T, F, Fut>(mut read: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest { size: MAX_PAGE_SIZE, ..PageRequest::default() };
    loop {
        let batch = read(page).await?;
        items.extend(batch.items);
        match batch.next_page_token {
            Some(token) => page = PageRequest::parse(Some(MAX_PAGE_SIZE as i64), Some(&token))?,
            None => return Ok(items),
        }
    }
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` rows: the extra row only says that more exist.
    pub fn from_overfetch(mut rows: Vec<T>, size: u64, key: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let next_page_token = if more { rows.last().map(|last| encode_token(&key(last))) } else { None };
        Self { items: rows, next_page_token }
    }

    /// Converts each item, keeping the token.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_page_token: self.next_page_token }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_foreign_tokens_are_refused() {
        let token = encode_token("0190c3c4-aaaa");
        assert_eq!(PageRequest::parse(None, Some(&token)).unwrap().after.as_deref(), Some("0190c3c4-aaaa"));
        let err = PageRequest::parse(None, Some("garbage!")).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "page_token");
    }

    #[test]
    fn page_size_defaults_to_50_and_is_capped_at_500() {
        assert_eq!(PageRequest::parse(None, None).unwrap().size, 50);
        assert_eq!(PageRequest::parse(Some(500), None).unwrap().size, 500);
        assert!(PageRequest::parse(Some(501), None).is_err());
        assert!(PageRequest::parse(Some(-1), None).is_err());
    }

    #[test]
    fn an_overfetched_row_yields_a_token_and_a_short_page_none() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_page_token, Some(encode_token("2")));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_page_token, None);
    }
}
