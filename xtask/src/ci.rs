//! `cargo xtask ci`: everything CI checks, in order, stopping at the first
//! failure: formatting, clippy, the OpenAPI documents, the whole test suite,
//! the conformance run (report and schemathesis), and the ecosystem's
//! contract tools on the documents (Redocly, Prism, a generated Python
//! client, Specmatic), the inspector in headless Chromium, and a two-minute
//! fault soak.

use std::process::{Command, ExitCode};

use anyhow::Context;

/// One step: a name and the cargo arguments that run it.
const STEPS: &[(&str, &[&str])] = &[
    ("format", &["fmt", "--all", "--check"]),
    (
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ),
    ("openapi", &["xtask", "openapi", "check"]),
    ("tests", &["test", "--workspace"]),
    ("conformance", &["xtask", "conformance"]),
    ("contract tools", &["xtask", "contract"]),
    ("browser", &["xtask", "browser"]),
    ("fault soak", &["xtask", "soak", "--minutes", "2"]),
];

/// Runs every step.
pub fn run() -> anyhow::Result<ExitCode> {
    let cargo = crate::cargo();
    for (name, args) in STEPS {
        eprintln!("==> {name}: cargo {}", args.join(" "));
        let status = Command::new(&cargo)
            .args(*args)
            .current_dir(crate::project_root())
            .status()
            .with_context(|| format!("running cargo for step {name}"))?;
        if !status.success() {
            eprintln!("==> {name} FAILED ({status})");
            // A full disk fails a build with a message easily lost in a
            // long log; say how much room there was.
            let target = crate::tools::target_dir(&crate::project_root());
            if let Ok(df) = Command::new("df").arg("-h").arg(&target).output() {
                eprint!("==> room left:\n{}", String::from_utf8_lossy(&df.stdout));
            }
            return Ok(ExitCode::FAILURE);
        }
    }
    eprintln!("==> all checks passed");
    Ok(ExitCode::SUCCESS)
}
