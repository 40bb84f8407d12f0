//! Webhook subscriptions and delivery.

/// Checks a receiver URL: https anywhere, or plain http on loopback (a
/// sandbox allowance: the vendors require https).
pub fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("url {url:?} is not an absolute http(s) URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let hostname = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    if hostname.is_empty() {
        return Err(format!("url {url:?} has no host"));
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(hostname, "127.0.0.1" | "localhost" | "::1") => Ok(()),
        "http" => Err(format!(
            "url {url:?} must use https (plain http only on loopback)"
        )),
        _ => Err(format!("url {url:?} must use https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_must_be_https_or_loopback() {
        assert!(check_url("https://hooks.example.com/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://localhost/hook").is_ok());
        assert!(check_url("http://example.com/hook").is_err());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("not a url").is_err());
    }
}
