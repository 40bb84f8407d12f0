//! What every vendor face does the same way: injected faults, reading
//! credentials, and finding the caller's key. Each face keeps only its
//! vendor's rules and shapes.

use dropshot::RequestContext;
use http::HeaderMap;

use crate::app::FaceContext;
use crate::engine::KeyRecord;
use crate::faults::FaultAction;

/// Applies an injected fault to this request: sleeps through a delay, and
/// returns true when the request must fail with the face's internal error.
pub async fn must_fail(rqctx: &RequestContext<FaceContext>) -> bool {
    let cx = rqctx.context();
    let Some(dialect) = cx.dialect else {
        return false;
    };
    match cx.app.faults.take(dialect, &rqctx.endpoint.operation_id) {
        Some(FaultAction::Fail) => true,
        Some(FaultAction::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            false
        }
        None => false,
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A header's value as text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No key was sent.
    Missing,
    /// Unknown, of another face, or a demo key outside demo mode.
    Invalid,
    /// Known but past its expiry.
    Expired,
}

/// Finds the key's record for this face.
pub fn find_key(cx: &FaceContext, key: Option<&str>) -> Result<KeyRecord, KeyRefusal> {
    let key = key.ok_or(KeyRefusal::Missing)?;
    let record = cx
        .app
        .engine
        .find_key(key)
        .map_err(|_| KeyRefusal::Invalid)?
        .ok_or(KeyRefusal::Invalid)?;
    if Some(record.workspace.dialect) != cx.dialect || (record.demo && !cx.app.demo) {
        return Err(KeyRefusal::Invalid);
    }
    if record
        .expires_at_ms
        .is_some_and(|t| t <= cx.app.engine.clock().now_ms())
    {
        return Err(KeyRefusal::Expired);
    }
    Ok(record)
}
