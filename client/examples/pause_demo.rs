//! Pauses the Alta demo campaign on a running `campaignd serve --demo`,
//! reads its state, resumes it, and handles Alta's documented errors
//! through the generated client's typed errors: a 404 for an unknown
//! campaign, and a 429 once the account's rate limit is used up (the
//! example lowers it through the sandbox API, then restores the default).
//!
//! `cargo run -p campaign-client --example pause_demo [SANDBOX_URL [ALTA_URL]]`
//! (defaults `http://127.0.0.1:7070` and `http://127.0.0.1:7071/v1`).

use anyhow::{Context, bail};
use campaign_client::{alta, sandbox};

const DEMO_TOKEN: &str = "alta_demo_token";
const DEMO_CAMPAIGN: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const DEMO_WORKSPACE: &str = "alta-demo";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let sandbox_url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:7070".into());
    let alta_url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:7071/v1".into());
    let client =
        alta::Client::new_with_client(&alta_url, campaign_client::bearer_client(DEMO_TOKEN)?);
    let id: uuid::Uuid = DEMO_CAMPAIGN.parse()?;

    // Pause answers 200 with no body, as Alta publishes: read with GET.
    client
        .pause_campaign()
        .campaign_id(id)
        .body(alta::types::PauseCampaignBody {
            pause_prospects: Some(false),
        })
        .send()
        .await
        .with_context(|| format!("pausing the demo campaign at {alta_url}"))?;
    let campaign = client.get_campaign().campaign_id(id).send().await?;
    println!("paused:  {} is {:?}", campaign.id, campaign.status);
    client
        .resume_campaign()
        .campaign_id(id)
        .body(alta::types::ResumeCampaignBody {
            resume_prospects: Some(false),
        })
        .send()
        .await
        .context("resuming the demo campaign")?;
    let campaign = client.get_campaign().campaign_id(id).send().await?;
    println!("resumed: {} is {:?}", campaign.id, campaign.status);

    // A 404: the error body is typed (`error`, `message`).
    match client
        .get_campaign()
        .campaign_id(uuid::Uuid::nil())
        .send()
        .await
    {
        Err(alta::Error::ErrorResponse(answer)) if answer.status() == 404 => {
            println!("404:     {}: {}", answer.error, answer.message);
        }
        other => bail!("expected a 404 for an unknown campaign, got {other:?}"),
    }

    // A 429: lower the account's limit to 2 per minute, then ask a third
    // time; the answer says when to retry.
    let control = sandbox::Client::new(&sandbox_url);
    let limits = |per_minute: Option<u32>| sandbox::types::RateLimits {
        per_minute: per_minute.and_then(std::num::NonZeroU32::new),
        per_day: None,
        prospects_per_minute: None,
    };
    control
        .set_rate_limits()
        .workspace_id(DEMO_WORKSPACE)
        .body(limits(Some(2)))
        .send()
        .await
        .context("lowering the demo account's rate limit")?;
    let mut refused = None;
    for _ in 0..3 {
        match client.get_campaign().campaign_id(id).send().await {
            Ok(_) => {}
            Err(alta::Error::ErrorResponse(answer)) if answer.status() == 429 => {
                let retry_after = answer
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
                    .to_string();
                refused = Some((answer.into_inner(), retry_after));
                break;
            }
            Err(other) => bail!("expected a 429, got {other}"),
        }
    }
    control
        .set_rate_limits()
        .workspace_id(DEMO_WORKSPACE)
        .body(limits(None))
        .send()
        .await
        .context("restoring the demo account's rate limit")?;
    let (body, retry_after) = refused.context("the third request was not refused")?;
    println!(
        "429:     {}: {} (Retry-After: {retry_after} s)",
        body.error, body.message
    );
    Ok(())
}
