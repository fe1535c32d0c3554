//! Outbound HTTP: a reqwest client over rustls (aws-lc-rs, Mozilla roots plus an optional
//! extra CA) that never follows redirects, caps every body at [`MAX_BODY_BYTES`], and reports
//! failures without echoing URLs' queries, request bodies or credentials.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use reqwest::StatusCode;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use url::Url;

use crate::error::{FederationError, MAX_ECHO_CHARS, bounded};
use crate::settings::FederationSettings;

/// The largest response body read from a provider (1 MiB); a longer one is an error.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The HTTP client shared by every call of one [`crate::Federation`].
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
}

/// Why an outbound call produced no usable answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    /// Connection, DNS, TLS, timeout or a 5xx answer.
    #[error("{0}")]
    Unreachable(String),
    /// A 3xx answer, which is never followed.
    #[error("answered with a redirect (HTTP {0}), which is not followed")]
    Redirect(u16),
    /// The body exceeds [`MAX_BODY_BYTES`].
    #[error("the answer is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// A 4xx answer to the token request without an OAuth error object.
    #[error("answered with HTTP {0} without an OAuth error")]
    Refused(u16),
}

impl HttpClient {
    /// Builds the client from the settings' timeouts and trust anchors.
    pub(crate) fn new(settings: &FederationSettings) -> Result<Self, FederationError> {
        let tls = tls_config(settings.extra_root_pem.as_deref())?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .no_proxy()
            .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                FederationError::Config(format!(
                    "the HTTP client cannot be built: {}",
                    error_chain(&e)
                ))
            })?;
        Ok(Self {
            client,
            timeout: settings.timeout,
        })
    }

    /// GETs a JSON document (discovery or JWKS) and returns its body; `what` names it in
    /// errors.
    pub(crate) async fn get_document(
        &self,
        url: &Url,
        what: &str,
    ) -> Result<Vec<u8>, FederationError> {
        self.get_as(url, what, "application/json").await
    }

    /// GETs a document of the given media type (e.g. SAML metadata) and returns its body.
    pub(crate) async fn get_as(
        &self,
        url: &Url,
        what: &str,
        accept: &'static str,
    ) -> Result<Vec<u8>, FederationError> {
        let request = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept);
        let (status, _headers, body) = self.send(request).await.map_err(|e| match e {
            TransportError::Unreachable(m) => {
                FederationError::Unreachable(format!("{what} at {}: {m}", shown_url(url)))
            }
            other => FederationError::BadMetadata(format!("{what} at {}: {other}", shown_url(url))),
        })?;
        if !status.is_success() {
            return Err(FederationError::BadMetadata(format!(
                "{what} at {}: answered with HTTP {}",
                shown_url(url),
                status.as_u16()
            )));
        }
        Ok(body)
    }

    /// Sends a request and reads the capped body. 3xx and 5xx answers are errors; 2xx and 4xx
    /// are returned.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>), TransportError> {
        let response = request.send().await.map_err(|e| self.describe(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(TransportError::Redirect(status.as_u16()));
        }
        if status.is_server_error() {
            return Err(TransportError::Unreachable(format!(
                "answered with HTTP {}",
                status.as_u16()
            )));
        }
        let headers = response.headers().clone();
        let body = read_capped(response).await.map_err(|e| match e {
            ReadError::TooLarge => TransportError::TooLarge,
            ReadError::Failed(e) => self.describe(&e),
        })?;
        Ok((status, headers, body))
    }

    fn describe(&self, error: &reqwest::Error) -> TransportError {
        if error.is_timeout() {
            TransportError::Unreachable(format!("no answer within {:?}", self.timeout))
        } else {
            TransportError::Unreachable(bounded(&error_chain(error), MAX_ECHO_CHARS))
        }
    }
}

/// The oauth2 crate's hook: the token request goes through the same client and rules.
impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(|e| {
                TransportError::Unreachable(format!(
                    "the request cannot be built: {}",
                    bounded(&error_chain(&e), MAX_ECHO_CHARS)
                ))
            })?;
            let builder = reqwest::RequestBuilder::from_parts(self.client.clone(), request);
            let (status, headers, body) = self.send(builder).await?;
            if status.is_client_error() && !is_oauth_error(&body) {
                return Err(TransportError::Refused(status.as_u16()));
            }
            let mut response = HttpResponse::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            Ok(response)
        })
    }
}

/// Whether a body is a JSON object with a string `error` member (RFC 6749, section 5.2).
fn is_oauth_error(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body).is_ok_and(|object| {
        object
            .get("error")
            .is_some_and(serde_json::Value::is_string)
    })
}

enum ReadError {
    TooLarge,
    Failed(reqwest::Error),
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Failed)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// rustls with the aws-lc-rs provider, Mozilla's roots, and the extra CA(s) when given.
fn tls_config(extra_root_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, FederationError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_root_pem {
        let mut added = 0_usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| {
                FederationError::Config(format!(
                    "the extra root certificate is not valid PEM ({e})"
                ))
            })?;
            roots.add(cert).map_err(|e| {
                FederationError::Config(format!("the extra root certificate is unusable ({e})"))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(FederationError::Config(
                "the extra root PEM holds no certificate".into(),
            ));
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FederationError::Config(format!("TLS cannot be set up ({e})")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// An error and its sources joined with `: `, without repeating a source already contained
/// in the text before it. reqwest's URL is never part of it (callers name the URL themselves,
/// without its query).
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = match error.downcast_ref::<reqwest::Error>() {
        Some(e) if e.url().is_some() => strip_url(e),
        _ => error.to_string(),
    };
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

fn strip_url(error: &reqwest::Error) -> String {
    let text = error.to_string();
    match error.url() {
        Some(url) => text
            .replace(&format!(" for url ({url})"), "")
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "<url>"),
        None => text,
    }
}

/// A URL as shown in messages: scheme, host, port and path; no query (it might carry
/// something a provider considers sensitive).
pub(crate) fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_url_drops_query_and_credentials() {
        let url = Url::parse("https://u:p@idp.example.com/jwks?key=abc#x").unwrap();
        assert_eq!(shown_url(&url), "https://idp.example.com/jwks");
    }

    #[test]
    fn the_client_builds_with_default_settings() {
        assert!(HttpClient::new(&FederationSettings::default()).is_ok());
    }

    #[test]
    fn an_extra_root_that_is_not_pem_is_a_config_error() {
        let settings = FederationSettings {
            extra_root_pem: Some(b"not pem".to_vec()),
            ..FederationSettings::default()
        };
        assert!(matches!(
            HttpClient::new(&settings),
            Err(FederationError::Config(_))
        ));
    }
}
