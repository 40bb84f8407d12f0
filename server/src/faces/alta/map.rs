//! Alta's wire mapping: ids, statuses, campaigns and prospects as Alta
//! shows them, field checks, and opaque cursors over the engine's pages.

use campaign_api::alta::{
    Campaign, CampaignObjectType, CampaignStatus, Prospect, ProspectObjectType, ProspectStatus,
};
use campaign_api::wire::Iso8601;
use campaign_engine::{CampaignView, EngineStatus, Page, PageFrom, ProspectState, ProspectView};

use super::Failure;

/// An id that must be a UUID (Alta's campaign and prospect ids).
pub(super) fn uuid_id(raw: &str, what: &str) -> Result<String, Failure> {
    crate::faces::canonical_uuid(raw)
        .ok_or_else(|| Failure::validation(format!("{what} must be a UUID, got {raw:?}")))
}

pub(super) fn alta_status(status: EngineStatus) -> CampaignStatus {
    match status {
        EngineStatus::Draft => CampaignStatus::Draft,
        EngineStatus::Active | EngineStatus::PendingApproval => CampaignStatus::Active,
        EngineStatus::Paused | EngineStatus::Stopped => CampaignStatus::Paused,
        EngineStatus::Completed => CampaignStatus::Completed,
    }
}

pub(super) fn campaign_wire(view: &CampaignView) -> Result<Campaign, Failure> {
    Ok(Campaign {
        id: uuid::Uuid::try_parse(&view.id).map_err(|_| Failure::internal())?,
        object_type: CampaignObjectType::Campaign,
        created_at: view.created_at.into(),
        updated_at: view.updated_at.into(),
        name: view.name.clone(),
        description: view.description.clone(),
        status: alta_status(view.status),
        is_archived: view.is_archived,
        launched_at: view.launched_at.map(Iso8601),
    })
}

pub(super) fn prospect_wire(view: &ProspectView) -> Result<Prospect, Failure> {
    Ok(Prospect {
        id: uuid::Uuid::try_parse(&view.id).map_err(|_| Failure::internal())?,
        object_type: ProspectObjectType::Prospect,
        campaign_id: uuid::Uuid::try_parse(&view.campaign_id).map_err(|_| Failure::internal())?,
        email: view.email.clone(),
        first_name: view.first_name.clone(),
        last_name: view.last_name.clone(),
        company: view.company.clone(),
        phone: view.phone.clone(),
        linkedin_url: view.linkedin_url.clone(),
        status: match view.status {
            ProspectState::Active => ProspectStatus::Active,
            ProspectState::Paused => ProspectStatus::Paused,
            ProspectState::Completed => ProspectStatus::Completed,
            ProspectState::Bounced => ProspectStatus::Bounced,
            ProspectState::Replied => ProspectStatus::Replied,
        },
        current_step: view.position,
        created_at: view.created_at.into(),
        updated_at: view.updated_at.into(),
    })
}

pub(super) fn check_text(field: &str, value: Option<&str>, required: bool) -> Result<(), Failure> {
    match value {
        None if required => Err(Failure::validation(format!("{field} is required"))),
        Some(v) if required && v.trim().is_empty() => {
            Err(Failure::validation(format!("{field} must not be empty")))
        }
        Some(v) if v.chars().count() > 255 => Err(Failure::validation(format!(
            "{field} must be at most 255 characters"
        ))),
        _ => Ok(()),
    }
}

// ----- cursors ----------------------------------------------------------

/// A cursor names a position and the filter it was made under, so that a
/// changed filter between pages is detected. Encoded as hex: opaque to
/// callers, trivially decoded here.
pub(super) fn encode_cursor(direction: char, seq: i64, filter: &str) -> String {
    format!("{direction}:{seq}:{filter}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn decode_cursor(cursor: &str, filter: &str) -> Result<PageFrom, Failure> {
    let invalid = || Failure::validation("cursor is not valid");
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            cursor
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    let (Some(direction), Some(seq), Some(cursor_filter)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let seq: i64 = seq.parse().map_err(|_| invalid())?;
    if cursor_filter != filter {
        return Err(Failure::validation(
            "filters must not change between pages of a cursor",
        ));
    }
    match direction {
        "n" => Ok(PageFrom::After(seq)),
        "p" => Ok(PageFrom::Before(seq)),
        _ => Err(invalid()),
    }
}

pub(super) fn page_limit(limit: Option<u32>) -> Result<u32, Failure> {
    match limit.unwrap_or(10) {
        limit @ 1..=100 => Ok(limit),
        other => Err(Failure::validation(format!(
            "limit must be between 1 and 100, got {other}"
        ))),
    }
}

/// The wire fields of a page: `data`, `hasMore`, `next`, `previous`.
pub(super) struct PageParts<W> {
    pub(super) data: Vec<W>,
    pub(super) has_more: bool,
    pub(super) next: Option<String>,
    pub(super) previous: Option<String>,
}

pub(super) fn page_parts<T, W>(
    page: Page<T>,
    filter: &str,
    wire: impl Fn(&T) -> Result<W, Failure>,
) -> Result<PageParts<W>, Failure> {
    let next = page
        .items
        .last()
        .filter(|_| page.more_after)
        .map(|(seq, _)| encode_cursor('n', *seq, filter));
    let previous = page
        .items
        .first()
        .filter(|_| page.more_before)
        .map(|(seq, _)| encode_cursor('p', *seq, filter));
    let data = page
        .items
        .iter()
        .map(|(_, item)| wire(item))
        .collect::<Result<_, _>>()?;
    Ok(PageParts {
        data,
        has_more: page.more_after,
        next,
        previous,
    })
}

pub(super) fn page_from(cursor: Option<&str>, filter: &str) -> Result<PageFrom, Failure> {
    cursor.map_or(Ok(PageFrom::Start), |c| decode_cursor(c, filter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_detect_filter_changes() {
        let cursor = encode_cursor('n', 42, "abc");
        assert!(matches!(
            decode_cursor(&cursor, "abc"),
            Ok(PageFrom::After(42))
        ));
        let previous = encode_cursor('p', 7, "");
        assert!(matches!(
            decode_cursor(&previous, ""),
            Ok(PageFrom::Before(7))
        ));
        assert_eq!(
            decode_cursor(&cursor, "other").unwrap_err().body.message,
            "filters must not change between pages of a cursor"
        );
        assert_eq!(
            decode_cursor("zz", "").unwrap_err().body.message,
            "cursor is not valid"
        );
    }
}
