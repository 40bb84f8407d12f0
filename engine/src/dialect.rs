//! What the engine asks of the faces. A workspace speaks a *dialect*: a tag
//! the engine stores and hands back without reading it. The rules that
//! differ by vendor (id formats, webhook events and their bodies) come in
//! through [`Dialects`], which the server implements from its registry of
//! faces; the engine itself names no vendor.

use crate::outbox::DomainEvent;

/// How a dialect's campaign ids look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignIds {
    /// Lower-case hyphenated UUIDs.
    Uuid,
    /// Fresh ids are this prefix and 12 hex digits; given ids are any
    /// non-empty run of ASCII letters, digits, `_` and `-`.
    Prefixed(&'static str),
    /// Integers without leading zeros from 1 to `max`; fresh ids count up
    /// from `floor + 1` past the highest id of any workspace of the dialect.
    Sequential {
        /// Fresh ids start above this.
        floor: u64,
        /// The highest id.
        max: u64,
    },
}

/// How a dialect's prospect ids look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProspectIds {
    /// Lower-case hyphenated UUIDs.
    Uuid,
    /// Any non-empty text without control characters.
    Text,
}

/// A dialect's id formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdScheme {
    /// Campaign ids.
    pub campaigns: CampaignIds,
    /// Prospect ids.
    pub prospects: ProspectIds,
}

impl IdScheme {
    /// Whether `id` is a campaign id of this scheme.
    pub fn accepts_campaign(&self, id: &str) -> bool {
        match self.campaigns {
            // Stored as given and looked up as given: only the form the
            // faces answer with stays reachable.
            CampaignIds::Uuid => is_canonical_uuid(id),
            CampaignIds::Prefixed(_) => {
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            }
            CampaignIds::Sequential { max, .. } => {
                !id.starts_with('0') && id.parse::<u64>().is_ok_and(|n| n > 0 && n <= max)
            }
        }
    }

    /// Whether `id` is a prospect id of this scheme.
    pub fn accepts_prospect(&self, id: &str) -> bool {
        match self.prospects {
            ProspectIds::Uuid => is_canonical_uuid(id),
            ProspectIds::Text => !id.is_empty() && !id.chars().any(char::is_control),
        }
    }
}

/// A UUID in the lower-case hyphenated form the faces answer with.
pub fn is_canonical_uuid(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok_and(|u| u.to_string() == id)
}

/// The vendor rules the engine needs, by dialect tag. An unknown tag gets
/// whatever the implementation chooses as its default.
pub trait Dialects: Send + Sync {
    /// The dialect's name in messages (`"x" is not a valid <label> campaign id`).
    fn label(&self, dialect: &str) -> &'static str;
    /// The dialect's id formats.
    fn ids(&self, dialect: &str) -> IdScheme;
    /// The events a webhook of the dialect may subscribe to (empty: the
    /// dialect has no webhooks).
    fn webhook_events(&self, dialect: &str) -> &'static [&'static str];
    /// The dialect's webhook deliveries for a domain event recorded at
    /// `now_ms`: (event name, exact body) pairs, in order; one domain
    /// event may be several vendor events, or none.
    fn event_bodies(
        &self,
        dialect: &str,
        event: &DomainEvent<'_>,
        now_ms: i64,
    ) -> Vec<(&'static str, String)>;
}

/// Every dialect alike: one id scheme and no webhooks (tests, benchmarks).
#[derive(Debug, Clone, Copy)]
pub struct Uniform(pub IdScheme);

impl Dialects for Uniform {
    fn label(&self, _dialect: &str) -> &'static str {
        "sandbox"
    }

    fn ids(&self, _dialect: &str) -> IdScheme {
        self.0
    }

    fn webhook_events(&self, _dialect: &str) -> &'static [&'static str] {
        &[]
    }

    fn event_bodies(
        &self,
        _dialect: &str,
        _event: &DomainEvent<'_>,
        _now_ms: i64,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_accept_their_own_ids_only() {
        let uuid = IdScheme {
            campaigns: CampaignIds::Uuid,
            prospects: ProspectIds::Uuid,
        };
        assert!(uuid.accepts_campaign("6f1c1d56-3b0a-4c4b-9d2e-1a2b3c4d5e6f"));
        assert!(!uuid.accepts_campaign("6F1C1D56-3B0A-4C4B-9D2E-1A2B3C4D5E6F"));
        let numbers = IdScheme {
            campaigns: CampaignIds::Sequential {
                floor: 100_000,
                max: 99,
            },
            prospects: ProspectIds::Text,
        };
        assert!(numbers.accepts_campaign("99"));
        assert!(!numbers.accepts_campaign("100"));
        assert!(!numbers.accepts_campaign("07"));
        assert!(!numbers.accepts_campaign("0"));
        assert!(numbers.accepts_prospect("p 1"));
        assert!(!numbers.accepts_prospect("p\n1"));
        let prefixed = IdScheme {
            campaigns: CampaignIds::Prefixed("camp_"),
            ..numbers
        };
        assert!(prefixed.accepts_campaign("camp_x-1"));
        assert!(!prefixed.accepts_campaign("camp x"));
    }
}
