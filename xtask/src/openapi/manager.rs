//! The base documents (`openapi/base/<api>.json`): dropshot's output for
//! each API trait, kept in lockstep by dropshot-api-manager, which also
//! checks the house style of every operation.

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use camino::Utf8PathBuf;
use dropshot_api_manager::{Environment, ManagedApi, ManagedApiConfig, ManagedApis};
use dropshot_api_manager_types::{ManagedApiMetadata, ValidationContext, Versions};
use openapiv3::OpenAPI;

/// The command dropshot-api-manager prints before its subcommands.
const MANAGER_COMMAND: &str = "cargo xtask openapi";

/// Where the repository is and where its documents live.
pub fn environment() -> anyhow::Result<Environment> {
    let root = crate::project_root();
    let root = Utf8PathBuf::from_path_buf(root).map_err(|p| anyhow!("non-UTF-8 root {p:?}"))?;
    // Lockstep documents have no blessed history: compare against HEAD so
    // that a clone without an `origin` remote works too.
    Ok(Environment::new(MANAGER_COMMAND, root, "openapi/base")?.with_default_git_branch("HEAD"))
}

/// Every API of the registry (`campaign_api::apis::APIS`), one document
/// each.
pub fn all_apis() -> anyhow::Result<ManagedApis> {
    let mut apis = Vec::new();
    for api in &campaign_api::apis::APIS {
        let version: semver::Version = api
            .version
            .parse()
            .with_context(|| format!("the version of {}", api.ident))?;
        apis.push(ManagedApi::from(ManagedApiConfig {
            ident: api.ident,
            versions: Versions::new_lockstep(version),
            title: api.title,
            metadata: ManagedApiMetadata {
                description: Some(api.description),
                ..ManagedApiMetadata::default()
            },
            api_description: api.stub,
        }));
    }
    Ok(ManagedApis::new(apis)
        .context("listing managed APIs")?
        .with_validation(validate_operations))
}

/// Every operation: exactly one tag, a summary, a description, and a
/// camelCase operationId (`pauseCampaign`, `listCampaigns`, ...).
fn validate_operations(doc: &OpenAPI, mut cx: ValidationContext<'_>) {
    for problem in operation_problems(doc) {
        cx.report_error(anyhow!(problem));
    }
}

/// The house-style problems of a document, one line each.
pub fn operation_problems(doc: &OpenAPI) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, method, op) in doc.operations() {
        let name = format!("{} {path}", method.to_uppercase());
        if op.tags.len() != 1 {
            problems.push(format!(
                "{name}: has {} tags, needs exactly one",
                op.tags.len()
            ));
        }
        if op.summary.as_deref().is_none_or(str::is_empty) {
            problems.push(format!("{name}: has no summary"));
        }
        if op.description.as_deref().is_none_or(str::is_empty) {
            problems.push(format!("{name}: has no description"));
        }
        match op.operation_id.as_deref() {
            None => problems.push(format!("{name}: has no operationId")),
            Some(id) if !is_camel_case(id) => {
                problems.push(format!("{name}: operationId {id:?} is not camelCase"))
            }
            Some(_) => {}
        }
    }
    problems
}

/// `pauseCampaign` yes; `pause_campaign`, `PauseCampaign`, `pause` + digit-led no.
fn is_camel_case(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Runs the dropshot-api-manager CLI with the given arguments.
pub fn run(args: Vec<String>) -> anyhow::Result<ExitCode> {
    use clap::Parser;
    let app = dropshot_api_manager::App::try_parse_from(
        std::iter::once(MANAGER_COMMAND.to_string()).chain(args),
    )
    .unwrap_or_else(|e| e.exit());
    Ok(app.exec(&environment()?, &all_apis()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropshot_api_manager::test_util::{CheckResult, check_apis_up_to_date};

    #[test]
    fn documents_are_up_to_date() {
        let result = check_apis_up_to_date(&environment().unwrap(), &all_apis().unwrap()).unwrap();
        assert_eq!(
            result,
            CheckResult::Success,
            "openapi/base/ is stale or invalid: run `cargo xtask openapi generate` and commit"
        );
    }

    #[test]
    fn camel_case_rule() {
        assert!(is_camel_case("pauseCampaign"));
        assert!(is_camel_case("listCampaigns"));
        assert!(!is_camel_case("pause_campaign"));
        assert!(!is_camel_case("PauseCampaign"));
        assert!(!is_camel_case(""));
    }

    #[test]
    fn validation_flags_missing_tag_summary_and_bad_id() {
        let doc: OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {
                "operationId": "get_x",
                "responses": {}
            }}}
        }))
        .unwrap();
        let problems = operation_problems(&doc);
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }
}
