//! wrk runs and what they print, and the facts about the machine that a
//! figure needs beside it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One wrk measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers other than 2xx (zero unless the run tolerates them).
    pub refused: u64,
    /// Every answer.
    pub requests: u64,
}

/// How wrk is run: one thread, `connections` connections, `seconds` long.
pub struct Wrk {
    pub connections: u32,
    pub seconds: u32,
}

/// The share of non-2xx answers a tolerant run accepts (see
/// [`Wrk::run_tolerant`]).
const TOLERATED: f64 = 0.001;

impl Wrk {
    /// Measures `url`, with a Lua `script` if given. Any non-2xx answer
    /// is an error: a benchmark of refusals measures nothing.
    pub fn run(&self, url: &str, script: Option<&Path>) -> anyhow::Result<Measure> {
        let measure = self.run_tolerant(url, script)?;
        if measure.refused > 0 {
            bail!("wrk on {url} saw {} non-2xx answers", measure.refused);
        }
        Ok(measure)
    }

    /// [`Wrk::run`], accepting up to 0.1% non-2xx answers (counted in the
    /// measure): for loads on vendors whose pause and start are not
    /// idempotent, where a request sent out of the script's order would be
    /// refused.
    pub fn run_tolerant(&self, url: &str, script: Option<&Path>) -> anyhow::Result<Measure> {
        let mut command = Command::new("wrk");
        command.args([
            "-t1",
            &format!("-c{}", self.connections),
            &format!("-d{}s", self.seconds),
            "--latency",
        ]);
        if let Some(script) = script {
            command.arg("-s").arg(script);
        }
        let output = command.arg(url).output().context("running wrk")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!("wrk on {url} failed:\n{text}");
        }
        let measure = parse(&text).with_context(|| format!("reading wrk's output:\n{text}"))?;
        if measure.refused as f64 > TOLERATED * measure.requests as f64 {
            bail!("wrk on {url} saw too many non-2xx answers:\n{text}");
        }
        Ok(measure)
    }
}

/// Requests/sec and the 50% and 99% latencies of wrk's `--latency` output.
fn parse(text: &str) -> anyhow::Result<Measure> {
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .context("no Requests/sec")?
        .trim()
        .parse()?;
    let percentile = |which: &str| -> anyhow::Result<f64> {
        let value = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(which))
            .with_context(|| format!("no {which} latency"))?
            .trim();
        millis(value)
    };
    let refused = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map_or(Ok(0), |n| n.trim().parse())?;
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .context("no request count")?
        .0
        .trim()
        .parse()?;
    Ok(Measure {
        rps,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        refused,
        requests,
    })
}

/// wrk's durations (`748.00us`, `7.34ms`, `1.02s`) in milliseconds.
fn millis(value: &str) -> anyhow::Result<f64> {
    for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] {
        if let Some(number) = value.strip_suffix(unit) {
            return Ok(number.parse::<f64>()? * factor);
        }
    }
    bail!("unknown duration {value:?}")
}

/// The median time of 100 fsyncs of a 4 KiB write in `dir`.
pub fn fsync_time(dir: &Path) -> anyhow::Result<Duration> {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let mut times = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        file.write_all(&[0u8; 4096])?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    let _ = std::fs::remove_file(path);
    times.sort();
    Ok(times[times.len() / 2])
}

/// CPU model, core count and memory, from /proc.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cores} cores ({model}), {memory_gib:.0} GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_latency_output_is_read() {
        let text = "Running 3s test @ http://127.0.0.1:1\n  Latency Distribution\n     50%  748.00us\n     75%    1.10ms\n     90%    2.00ms\n     99%    7.34ms\n  56000 requests in 3.00s\nRequests/sec:  18582.93\nTransfer/sec:  1.2MB\n";
        let measure = parse(text).unwrap();
        assert_eq!(
            measure,
            Measure {
                rps: 18582.93,
                p50_ms: 0.748,
                p99_ms: 7.34,
                refused: 0,
                requests: 56000,
            }
        );
        let refused = parse(&text.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 3\nRequests/sec",
        ))
        .unwrap();
        assert_eq!((refused.refused, refused.requests), (3, 56000));
        assert_eq!(millis("1.5s").unwrap(), 1500.0);
        assert!(millis("3min").is_err());
        assert!(parse("no figures").is_err());
    }
}
