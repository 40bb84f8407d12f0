//! Replays a case through the generated client (progenitor, `client/`):
//! the case's path and query values and JSON body are handed to the typed
//! builder of its operation, and the typed answer (a success value or the
//! operation's typed error) is compared with the documented answer, as the
//! raw replay is. This proves the client a Rust integrator uses reads every
//! documented answer, errors included.
//!
//! Progenitor always sends a body for an operation that has one, even an
//! optional one: where the documented request sends none, the client sends
//! `{}`, which every face reads as no body.
//!
//! A case whose request the typed client cannot express (a malformed id,
//! an out-of-range query value, a body that is not JSON or not of the
//! operation's type) is *not expressible*: it is reported as such, not as a
//! failure, since the client rightly refuses to send it.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use campaign_client::{alta, leadlex, leadterra, voicegenie, woodpecker};
use progenitor_client::{Error, ResponseValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::case::Case;

/// What the typed client got.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAnswer {
    /// The status.
    pub status: u16,
    /// The typed body, serialized back to JSON; `None` when there was none.
    pub body: Option<Value>,
}

/// Why a case could not be replayed through the client.
#[derive(Debug)]
pub enum NotReplayed {
    /// The typed client cannot express the request (the reason).
    NotExpressible(String),
    /// The client failed (a transport error, or an answer it could not
    /// read: the document and the server disagree).
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for NotReplayed {
    fn from(e: anyhow::Error) -> Self {
        NotReplayed::Failed(e)
    }
}

type Replayed = Result<ClientAnswer, NotReplayed>;

/// The request's values as the typed client needs them.
struct Values<'a> {
    path: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    case: &'a Case,
}

impl Values<'_> {
    /// A path parameter, parsed to the client's type.
    fn path<T: std::str::FromStr>(&self, name: &str) -> Result<T, NotReplayed> {
        let raw = self
            .path
            .get(name)
            .ok_or_else(|| anyhow!("no path parameter {name}"))?;
        raw.parse().map_err(|_| {
            NotReplayed::NotExpressible(format!("{name} {raw:?} is not of the client's type"))
        })
    }

    /// A query parameter, if sent, parsed to the client's type.
    fn query<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, NotReplayed> {
        self.query
            .get(name)
            .map(|raw| {
                raw.parse().map_err(|_| {
                    NotReplayed::NotExpressible(format!("{name}={raw} is not of the client's type"))
                })
            })
            .transpose()
    }

    /// The JSON body as the operation's type; `None` when none was sent.
    fn body<T: DeserializeOwned>(&self) -> Result<Option<T>, NotReplayed> {
        let raw = self.case.request.raw.as_deref().unwrap_or_default();
        if !raw.trim().is_empty() {
            return Err(NotReplayed::NotExpressible(
                "the body is not JSON".to_string(),
            ));
        }
        self.case
            .request
            .json
            .clone()
            .map(|json| {
                serde_json::from_value(json).map_err(|e| {
                    NotReplayed::NotExpressible(format!(
                        "the body is not of the client's type: {e}"
                    ))
                })
            })
            .transpose()
    }

    /// The JSON object body of an operation whose body is optional and
    /// free-form; `{}` when none was sent (progenitor always sends one).
    fn object_body(&self) -> Result<serde_json::Map<String, Value>, NotReplayed> {
        Ok(self.body()?.unwrap_or_default())
    }

    /// The JSON body, which the operation requires.
    fn required_body<T: DeserializeOwned>(&self) -> Result<T, NotReplayed> {
        self.body()?
            .ok_or_else(|| NotReplayed::NotExpressible("the operation requires a body".to_string()))
    }
}

/// Sends a builder and reads its typed answer.
macro_rules! call {
    ($builder:expr) => {
        answer($builder.send().await).await
    };
}

/// Turns a typed result into the answer.
async fn answer<T: Serialize, E: Serialize + std::fmt::Debug>(
    result: Result<ResponseValue<T>, Error<E>>,
) -> Replayed {
    let body_of = |value: Value| (!value.is_null()).then_some(value);
    match result {
        Ok(value) => Ok(ClientAnswer {
            status: value.status().as_u16(),
            body: body_of(serde_json::to_value(value.into_inner()).context("serializing")?),
        }),
        Err(Error::ErrorResponse(value)) => Ok(ClientAnswer {
            status: value.status().as_u16(),
            body: body_of(serde_json::to_value(value.into_inner()).context("serializing")?),
        }),
        Err(Error::UnexpectedResponse(response)) => Err(NotReplayed::Failed(anyhow!(
            "the client got an undocumented status {}",
            response.status()
        ))),
        Err(Error::InvalidRequest(why)) => Err(NotReplayed::NotExpressible(why)),
        Err(other) => Err(NotReplayed::Failed(anyhow!("the client failed: {other}"))),
    }
}

/// A reqwest client sending the case's headers (credentials, account).
fn http_client(case: &Case) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &case.request.headers {
        if name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes())?,
            reqwest::header::HeaderValue::from_str(value)?,
        );
    }
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// Replays `case` (of `operation_id`, whose path template is `template`)
/// through the generated client of `vendor` at `base_url`.
pub async fn replay(
    vendor: &str,
    operation_id: &str,
    template: &str,
    base_url: &str,
    case: &Case,
) -> Replayed {
    if case.request.raw_repeat.is_some() {
        return Err(NotReplayed::NotExpressible(
            "a body over the size limit is no value of the client's types".to_string(),
        ));
    }
    let (path, query) = case
        .request
        .path
        .split_once('?')
        .unwrap_or((&case.request.path, ""));
    let values = Values {
        path: path_values(template, path, base_url),
        query: query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        case,
    };
    let http = http_client(case)?;
    let v = &values;
    let uuid = |name: &str| v.path::<uuid::Uuid>(name);
    let text = |name: &str| v.path::<String>(name);
    let integer = |name: &str| v.path::<std::num::NonZeroU64>(name);
    match (vendor, operation_id) {
        ("alta", op) => {
            let c = alta::Client::new_with_client(base_url, http);
            match op {
                "createCampaign" => call!(
                    c.create_campaign()
                        .body(v.required_body::<alta::types::CampaignCreate>()?)
                ),
                "listCampaigns" => {
                    let mut b = c.list_campaigns();
                    if let Some(limit) = v.query::<std::num::NonZeroU32>("limit")? {
                        b = b.limit(limit);
                    }
                    if let Some(cursor) = v.query::<String>("cursor")? {
                        b = b.cursor(cursor);
                    }
                    call!(b)
                }
                "getCampaign" => call!(c.get_campaign().campaign_id(uuid("campaignId")?)),
                "pauseCampaign" => {
                    let mut b = c.pause_campaign().campaign_id(uuid("campaignId")?);
                    if let Some(body) = v.body::<alta::types::PauseCampaignBody>()? {
                        b = b.body(body);
                    }
                    call!(b)
                }
                "resumeCampaign" => {
                    let mut b = c.resume_campaign().campaign_id(uuid("campaignId")?);
                    if let Some(body) = v.body::<alta::types::ResumeCampaignBody>()? {
                        b = b.body(body);
                    }
                    call!(b)
                }
                "addProspects" => call!(
                    c.add_prospects()
                        .campaign_id(uuid("campaignId")?)
                        .body(v.required_body::<alta::types::ProspectsAdd>()?)
                ),
                "listProspects" => {
                    let mut b = c.list_prospects();
                    if let Some(id) = v.query::<uuid::Uuid>("campaignId")? {
                        b = b.campaign_id(id);
                    }
                    if let Some(limit) = v.query::<std::num::NonZeroU32>("limit")? {
                        b = b.limit(limit);
                    }
                    call!(b)
                }
                "pauseProspect" => call!(c.pause_prospect().prospect_id(uuid("prospectId")?)),
                "resumeProspect" => call!(c.resume_prospect().prospect_id(uuid("prospectId")?)),
                other => Err(anyhow!("no client call for alta {other}").into()),
            }
        }
        ("voicegenie", op) => {
            let c = voicegenie::Client::new_with_client(base_url, http);
            match op {
                "pauseCampaign" => call!(c.pause_campaign().campaign_id(text("campaignId")?)),
                "startCampaign" => call!(c.start_campaign().campaign_id(text("campaignId")?)),
                "deleteCampaign" => call!(c.delete_campaign().campaign_id(text("campaignId")?)),
                "getCampaign" => call!(c.get_campaign().id(text("id")?)),
                "listCampaigns" => {
                    let mut b = c.list_campaigns();
                    if let Some(limit) = v.query::<std::num::NonZeroU32>("limit")? {
                        b = b.limit(limit);
                    }
                    if let Some(offset) = v.query::<u64>("offset")? {
                        b = b.offset(offset);
                    }
                    call!(b)
                }
                "uploadCampaignData" => call!(
                    c.upload_campaign_data()
                        .body(v.required_body::<voicegenie::types::CampaignUpload>()?)
                ),
                other => Err(anyhow!("no client call for voicegenie {other}").into()),
            }
        }
        ("leadterra", op) => {
            let c = leadterra::Client::new_with_client(base_url, http);
            match op {
                "pauseCampaign" if !v.query.is_empty() => Err(NotReplayed::NotExpressible(
                    "the operation takes no query parameters".into(),
                )),
                "pauseCampaign" => call!(c.pause_campaign().id(text("id")?).body(v.object_body()?)),
                "startCampaign" => call!(c.start_campaign().id(text("id")?).body(v.object_body()?)),
                "createCampaign" => call!(
                    c.create_campaign()
                        .body(v.required_body::<leadterra::types::CampaignCreate>()?)
                ),
                "enrollLeads" => call!(
                    c.enroll_leads()
                        .id(text("id")?)
                        .body(v.required_body::<leadterra::types::LeadsBulk>()?)
                ),
                "getCampaignStats" => call!(c.get_campaign_stats().id(text("id")?)),
                "createWebhook" => call!(
                    c.create_webhook()
                        .body(v.required_body::<leadterra::types::WebhookCreate>()?)
                ),
                other => Err(anyhow!("no client call for leadterra {other}").into()),
            }
        }
        ("leadlex", op) => {
            let c = leadlex::Client::new_with_client(base_url, http);
            match op {
                "pauseCampaign" => call!(c.pause_campaign().id(text("id")?).body(v.object_body()?)),
                "startCampaign" => call!(c.start_campaign().id(text("id")?).body(v.object_body()?)),
                "getCampaign" => call!(c.get_campaign().id(text("id")?)),
                "listCampaigns" => {
                    let mut b = c.list_campaigns();
                    if let Some(page) = v.query::<std::num::NonZeroU32>("page")? {
                        b = b.page(page);
                    }
                    if let Some(per_page) = v.query::<std::num::NonZeroU32>("per_page")? {
                        b = b.per_page(per_page);
                    }
                    call!(b)
                }
                "listCampaignContacts" => call!(c.list_campaign_contacts().id(text("id")?)),
                other => Err(anyhow!("no client call for leadlex {other}").into()),
            }
        }
        ("woodpecker", op) => {
            let c = woodpecker::Client::new_with_client(base_url, http);
            match op {
                "pauseCampaign" => call!(
                    c.pause_campaign()
                        .campaign_id(integer("campaign_id")?)
                        .body(v.object_body()?)
                ),
                "runCampaign" => call!(
                    c.run_campaign()
                        .campaign_id(integer("campaign_id")?)
                        .body(v.object_body()?)
                ),
                "stopCampaign" => call!(
                    c.stop_campaign()
                        .campaign_id(integer("campaign_id")?)
                        .body(v.object_body()?)
                ),
                "getCampaign" => call!(c.get_campaign().campaign_id(integer("campaign_id")?)),
                "deleteCampaign" => call!(c.delete_campaign().campaign_id(integer("campaign_id")?)),
                "createCampaign" => call!(
                    c.create_campaign()
                        .body(v.required_body::<woodpecker::types::CampaignCreate>()?)
                ),
                other => Err(anyhow!("no client call for woodpecker {other}").into()),
            }
        }
        (other, _) => Err(anyhow!("no generated client for {other}").into()),
    }
}

/// The path parameters of `path` (under `base_url`'s path) by `template`.
fn path_values(template: &str, path: &str, base_url: &str) -> BTreeMap<String, String> {
    let path = path.strip_prefix(crate::url_path(base_url)).unwrap_or(path);
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, p)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_string(), p.to_string()))
        })
        .collect()
}
