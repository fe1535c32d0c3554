//! The rule for every URL Portico calls or sends a browser to on a provider's behalf: `https`,
//! or `http` only for loopback hosts; no userinfo, no fragment.

use url::{Host, Url};

/// Parses `raw` and checks it against the rule in the module docs; the error says what is
/// wrong (it echoes no part of the URL).
pub(crate) fn check_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a valid absolute URL ({e})"))?;
    let host = url.host().ok_or_else(|| "the URL has no host".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(
                "http is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost); use https"
                    .to_owned(),
            );
        }
        other => return Err(format!("the scheme must be https, not `{other}`")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry a user name or password".to_owned());
    }
    if url.fragment().is_some() {
        return Err("the URL must not have a fragment".to_owned());
    }
    Ok(url)
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case("localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://idp.example.com/.well-known/openid-configuration",
            "https://idp.example.com:8443/tenant?x=1",
            "http://127.0.0.1:8080/",
            "http://127.3.4.5/",
            "http://[::1]:9000/x",
            "http://localhost:3000/cb",
            "http://LOCALHOST/cb",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_the_rest() {
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://localhost.example.com/",
            "ftp://idp.example.com/",
            "https://user:pw@idp.example.com/",
            "https://user@idp.example.com/",
            "https://idp.example.com/#frag",
            "/relative",
            "not a url",
            "data:text/plain,hi",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
