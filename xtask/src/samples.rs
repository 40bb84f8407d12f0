//! The vendors' own request samples (`conformance/samples/`), run as the
//! pages print them, with only the vendor's host replaced: curl with bash,
//! Python with `requests`, JavaScript with node, Java with `java` (source
//! launch). Each runs against the world proxy started for its case
//! (`world-proxy --case <vendor>/<case>`), which sets up the case's world
//! and judges the answer the sample got against the case's documented one.
//! A sample passes when it exits 0 and exactly one request reached the
//! proxy, judged as documented.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::tools::Tools;
use crate::world_proxy::WorldProxy;

#[derive(Deserialize)]
struct Catalogue {
    hosts: std::collections::BTreeMap<String, String>,
    samples: Vec<Sample>,
}

#[derive(Deserialize)]
struct Sample {
    file: String,
    label: String,
    case: String,
}

/// One sample's outcome.
pub struct SampleResult {
    /// `<vendor>/<file> (<label>)`.
    pub name: String,
    /// The case it stands for.
    pub case: String,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// Runs every sample; builds the world proxy first.
pub fn run_all(root: &Path, tools: &Tools) -> anyhow::Result<Vec<SampleResult>> {
    WorldProxy::build(root)?;
    let dir = root.join("conformance/samples");
    let catalogue: Catalogue = serde_json::from_slice(&std::fs::read(dir.join("samples.json"))?)
        .context("reading conformance/samples/samples.json")?;
    let work = crate::tools::target_dir(root).join("conformance/samples");
    let mut results = Vec::new();
    for sample in &catalogue.samples {
        let vendor = sample.file.split('/').next().unwrap_or_default();
        let host = catalogue
            .hosts
            .get(vendor)
            .with_context(|| format!("no host for {vendor}"))?;
        let outcome = run_one(root, tools, &dir, &work, sample, vendor, host);
        results.push(SampleResult {
            name: format!("{} ({})", sample.file, sample.label),
            case: sample.case.clone(),
            failure: outcome.err().map(|e| format!("{e:#}")),
        });
    }
    Ok(results)
}

fn run_one(
    root: &Path,
    tools: &Tools,
    dir: &Path,
    work: &Path,
    sample: &Sample,
    vendor: &str,
    host: &str,
) -> anyhow::Result<()> {
    let proxy = WorldProxy::start(root, Some(&sample.case))?;
    let base = proxy.base(vendor)?;
    let rest = base.trim_start_matches("http://");
    let origin = format!("http://{}", &rest[..rest.find('/').unwrap_or(rest.len())]);

    let text = std::fs::read_to_string(dir.join(&sample.file))?.replace(host, &origin);
    let file_name = sample.file.replace('/', "-");
    let sample_dir = work.join(file_name.trim_end_matches(".snippet"));
    std::fs::create_dir_all(&sample_dir)?;
    // Each runtime: the file the sample is written to, its text, and the
    // program that runs it.
    let (file, text, program) = match Path::new(&sample.file).extension().and_then(|e| e.to_str()) {
        Some("sh") => ("sample.sh", text, "bash".into()),
        Some("py") => ("sample.py", text, tools.venv_bin("python")),
        Some("mjs") => ("sample.mjs", text, "node".into()),
        Some("snippet") => ("Sample.java", java_program(&text), "java".into()),
        other => bail!("no runtime for a sample ending in {other:?}"),
    };
    let path = sample_dir.join(file);
    std::fs::write(&path, text)?;
    let mut command = Command::new(program);
    command.arg(path);
    let output = command
        .current_dir(&sample_dir)
        .output()
        .with_context(|| format!("running {}", sample.file))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(sample_dir.join("output.txt"), &printed)?;
    if !output.status.success() {
        bail!("the sample exited with {}: {printed}", output.status);
    }
    let verdicts = proxy.verdicts();
    match verdicts.as_slice() {
        [verdict] if verdict["passed"] == true => Ok(()),
        [verdict] => bail!(
            "{} answered {}, not as the case documents: {}",
            verdict["request"],
            verdict["status"],
            verdict["failures"]
        ),
        other => bail!(
            "{} requests reached the sandbox, not one: {printed}",
            other.len()
        ),
    }
}

/// Woodpecker's Java sample is a fragment (imports, then statements): it
/// runs as the body of a `main`, its imports kept at the top.
fn java_program(fragment: &str) -> String {
    let (imports, statements): (Vec<&str>, Vec<&str>) = fragment
        .lines()
        .partition(|line| line.trim_start().starts_with("import "));
    format!(
        "{}\n\npublic class Sample {{\n    public static void main(String[] args) throws Exception {{\n{}\n        System.out.println(response.statusCode());\n    }}\n}}\n",
        imports.join("\n"),
        statements.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_java_fragment_becomes_a_program_with_its_imports_on_top() {
        let program = java_program("import java.net.URI;\nint response = 1;\n");
        assert!(program.starts_with("import java.net.URI;\n\npublic class Sample {"));
        assert!(program.contains("int response = 1;\n        System.out.println"));
    }
}
