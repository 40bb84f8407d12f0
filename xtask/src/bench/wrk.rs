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
}

/// How wrk is run: one thread, `connections` connections, `seconds` long.
pub struct Wrk {
    pub connections: u32,
    pub seconds: u32,
}

impl Wrk {
    /// Measures `url`, with a Lua `script` if given. Any non-2xx answer
    /// is an error: a benchmark of refusals measures nothing.
    pub fn run(&self, url: &str, script: Option<&Path>) -> anyhow::Result<Measure> {
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
        if !output.status.success() || text.contains("Non-2xx") {
            bail!("wrk on {url} failed or saw non-2xx answers:\n{text}");
        }
        parse(&text).with_context(|| format!("reading wrk's output:\n{text}"))
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
    Ok(Measure {
        rps,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
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
                p99_ms: 7.34
            }
        );
        assert_eq!(millis("1.5s").unwrap(), 1500.0);
        assert!(millis("3min").is_err());
        assert!(parse("no figures").is_err());
    }
}
