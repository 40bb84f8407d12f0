//! Pauses the Alta demo campaign on a running `campaignd serve --demo`,
//! then resumes it, through the generated client.
//!
//! `cargo run -p campaign-client --example pause_demo [ALTA_ORIGIN]`
//! (default `http://127.0.0.1:7071`).

use anyhow::Context;
use campaign_client::alta;

const DEMO_TOKEN: &str = "alta_demo_token";
const DEMO_CAMPAIGN: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let origin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:7071".into());
    let client =
        alta::Client::new_with_client(&origin, campaign_client::bearer_client(DEMO_TOKEN)?);
    let id: uuid::Uuid = DEMO_CAMPAIGN.parse()?;
    let paused = client
        .pause_campaign()
        .campaign_id(id)
        .body(alta::types::PauseCampaignBody {
            pause_prospects: Some(false),
        })
        .send()
        .await
        .with_context(|| format!("pausing the demo campaign at {origin}"))?;
    println!("paused:  {} is {:?}", paused.id, paused.status);
    let resumed = client
        .resume_campaign()
        .campaign_id(id)
        .body(alta::types::ResumeCampaignBody {
            resume_prospects: Some(false),
        })
        .send()
        .await
        .context("resuming the demo campaign")?;
    println!("resumed: {} is {:?}", resumed.id, resumed.status);
    Ok(())
}
