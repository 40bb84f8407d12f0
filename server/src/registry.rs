//! The one list of the faces this server speaks: for each, its name, its
//! dialect, its base path, its checked-in document, its routes, its gate
//! and the vendor rules the engine asks for. Its order is the port order
//! (the sandbox API on P, then P+1, ...). Adding a face means a folder in
//! `faces/` and one entry here.

use std::sync::Arc;

use campaign_api::apis::{APIS, Api};
use campaign_api::sandbox::Dialect;
use campaign_engine::{CampaignIds, Dialects, DomainEvent, IdScheme, ProspectIds};
use dropshot::ApiDescription;

use crate::app::FaceContext;
use crate::delivery::WebhookRules;
use crate::faces;
use crate::front::Gate;

/// The vendor rules of a dialect that the engine and the delivery worker
/// need.
pub struct DialectRules {
    /// The vendor's name in messages.
    pub label: &'static str,
    /// Its id formats.
    pub ids: IdScheme,
    /// Its webhooks, if it has any.
    pub webhooks: Option<&'static WebhookRules>,
}

/// A face to serve.
pub struct FaceSpec {
    /// Its entry in the API registry (ident, port offset, path prefix).
    pub info: &'static Api,
    /// The checked-in OpenAPI document it serves.
    pub document: &'static str,
    /// Its dropshot routes.
    pub api: fn() -> Result<ApiDescription<FaceContext>, dropshot::ApiDescriptionBuildErrors>,
    /// Its front layer's key check.
    pub gate: fn() -> Arc<dyn Gate>,
    /// Its vendor rules (none for the sandbox API).
    pub rules: Option<&'static DialectRules>,
}

/// Every face, in port order.
pub static FACES: [FaceSpec; 6] = [
    FaceSpec {
        info: &APIS[0],
        document: include_str!("../../openapi/sandbox.json"),
        api: campaign_api::sandbox::sandbox_api_mod::api_description::<
            faces::sandbox::SandboxApiImpl,
        >,
        gate: crate::front::sandbox,
        rules: None,
    },
    FaceSpec {
        info: &APIS[1],
        document: include_str!("../../openapi/alta.json"),
        api: campaign_api::alta::alta_api_mod::api_description::<faces::alta::AltaApiImpl>,
        gate: crate::front::vendor::<faces::alta::AltaApiImpl>,
        rules: Some(&faces::alta::RULES),
    },
    FaceSpec {
        info: &APIS[2],
        document: include_str!("../../openapi/voicegenie.json"),
        api: campaign_api::voicegenie::voice_genie_api_mod::api_description::<
            faces::voicegenie::VoiceGenieApiImpl,
        >,
        gate: crate::front::vendor::<faces::voicegenie::VoiceGenieApiImpl>,
        rules: Some(&faces::voicegenie::RULES),
    },
    FaceSpec {
        info: &APIS[3],
        document: include_str!("../../openapi/leadterra.json"),
        api: campaign_api::leadterra::leadterra_api_mod::api_description::<
            faces::leadterra::LeadterraApiImpl,
        >,
        gate: crate::front::vendor::<faces::leadterra::LeadterraApiImpl>,
        rules: Some(&faces::leadterra::RULES),
    },
    FaceSpec {
        info: &APIS[4],
        document: include_str!("../../openapi/leadlex.json"),
        api: campaign_api::leadlex::leadlex_api_mod::api_description::<
            faces::leadlex::LeadlexApiImpl,
        >,
        gate: crate::front::vendor::<faces::leadlex::LeadlexApiImpl>,
        rules: Some(&faces::leadlex::RULES),
    },
    FaceSpec {
        info: &APIS[5],
        document: include_str!("../../openapi/woodpecker.json"),
        api: campaign_api::woodpecker::woodpecker_api_mod::api_description::<
            faces::woodpecker::WoodpeckerApiImpl,
        >,
        gate: crate::front::vendor::<faces::woodpecker::WoodpeckerApiImpl>,
        rules: Some(&faces::woodpecker::RULES),
    },
];

impl FaceSpec {
    /// Its name: the registry's ident.
    pub fn name(&self) -> &'static str {
        self.info.ident
    }

    /// The dialect of its workspaces (none: the sandbox control API).
    pub fn dialect(&self) -> Option<Dialect> {
        Dialect::from_tag(self.info.ident)
    }
}

/// The rules of a stored dialect tag.
fn rules(tag: &str) -> Option<&'static DialectRules> {
    FACES
        .iter()
        .find(|face| face.info.ident == tag)
        .and_then(|face| face.rules)
}

/// The webhook rules of a stored dialect tag, if it has webhooks.
pub fn webhooks(tag: &str) -> Option<&'static WebhookRules> {
    rules(tag).and_then(|r| r.webhooks)
}

/// The engine's view of the registry.
pub struct Registry;

/// What a tag no face claims gets (it cannot be stored: the sandbox API
/// accepts only the registry's dialects).
const UNKNOWN: DialectRules = DialectRules {
    label: "unknown",
    ids: IdScheme {
        campaigns: CampaignIds::Uuid,
        prospects: ProspectIds::Uuid,
    },
    webhooks: None,
};

impl Dialects for Registry {
    fn label(&self, dialect: &str) -> &'static str {
        rules(dialect).unwrap_or(&UNKNOWN).label
    }

    fn ids(&self, dialect: &str) -> IdScheme {
        rules(dialect).unwrap_or(&UNKNOWN).ids
    }

    fn webhook_events(&self, dialect: &str) -> &'static [&'static str] {
        webhooks(dialect).map_or(&[], |w| w.events)
    }

    fn event_bodies(
        &self,
        dialect: &str,
        event: &DomainEvent<'_>,
        now_ms: i64,
    ) -> Vec<(&'static str, String)> {
        webhooks(dialect).map_or_else(Vec::new, |w| (w.bodies)(event, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_api_is_served_once_in_port_order() {
        assert_eq!(FACES.len(), APIS.len());
        for (face, api) in FACES.iter().zip(&APIS) {
            assert!(
                std::ptr::eq(face.info, api),
                "{} is out of order",
                api.ident
            );
            assert_eq!(
                face.rules.is_some(),
                face.dialect().is_some(),
                "{}",
                api.ident
            );
        }
    }
}
