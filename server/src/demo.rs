//! The demo world's names, for tests and tools: the world itself is the
//! data file `worlds/demo.yaml` ([`crate::world::DEMO`]), loaded by
//! `campaignd serve --demo`.

/// Alta's demo token.
pub const ALTA_TOKEN: &str = "alta_demo_token";

/// Alta's demo campaign.
pub const ALTA_CAMPAIGN: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// VoiceGenie's demo key (the page's placeholder).
pub const VOICEGENIE_KEY: &str = "your-api-key-here";

/// VoiceGenie's demo campaign.
pub const VOICEGENIE_CAMPAIGN: &str = "550e8400-e29b-41d4-a716-446655440000";

/// Leadterra's demo key.
pub const LEADTERRA_KEY: &str = "sk_live_YOUR_KEY";

/// Leadterra's demo campaign.
pub const LEADTERRA_CAMPAIGN: &str = "camp_123";

/// Woodpecker's demo keys: the Java and Node.js samples send
/// `YOUR_API_KEY`, the curl sample `{YOUR_API_KEY}`.
pub const WOODPECKER_KEYS: [&str; 2] = ["YOUR_API_KEY", "{YOUR_API_KEY}"];

/// Woodpecker's demo campaign.
pub const WOODPECKER_CAMPAIGN: &str = "12345";

/// Leadlex's read-and-write demo key.
pub const LEADLEX_KEY: &str = "wbk_your_api_key_here";

/// Leadlex's read-only demo key.
pub const LEADLEX_READONLY_KEY: &str = "wbk_readonly_demo_key";

/// Leadlex's demo campaign.
pub const LEADLEX_CAMPAIGN: &str = "cmp_abc123";

#[cfg(test)]
mod tests {
    use campaign_api::sandbox::Dialect;

    /// Every name above is in the demo world, where it says.
    #[test]
    fn the_names_are_those_of_the_demo_world() {
        let world = crate::world::demo();
        let find = |dialect: Dialect| {
            world
                .workspaces
                .iter()
                .find(|w| w.dialect == dialect)
                .expect("a demo workspace per face")
        };
        for (dialect, keys, campaign) in [
            (
                Dialect::Alta,
                &[super::ALTA_TOKEN][..],
                super::ALTA_CAMPAIGN,
            ),
            (
                Dialect::Voicegenie,
                &[super::VOICEGENIE_KEY],
                super::VOICEGENIE_CAMPAIGN,
            ),
            (
                Dialect::Leadterra,
                &[super::LEADTERRA_KEY],
                super::LEADTERRA_CAMPAIGN,
            ),
            (
                Dialect::Leadlex,
                &[super::LEADLEX_KEY, super::LEADLEX_READONLY_KEY],
                super::LEADLEX_CAMPAIGN,
            ),
            (
                Dialect::Woodpecker,
                &super::WOODPECKER_KEYS,
                super::WOODPECKER_CAMPAIGN,
            ),
        ] {
            let workspace = find(dialect);
            let listed: Vec<&str> = workspace.keys.iter().map(|k| k.key.as_str()).collect();
            assert_eq!(listed, keys, "{dialect:?}'s keys");
            assert_eq!(
                workspace.campaigns[0].id.as_deref(),
                Some(campaign),
                "{dialect:?}'s campaign"
            );
        }
    }
}
