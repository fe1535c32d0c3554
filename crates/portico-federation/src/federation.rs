//! [`Federation`]: the relying party's two steps, begin (authorization URL) and finish (code
//! exchange and id_token validation), over a shared HTTP client and metadata cache.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdToken, CoreTokenResponse,
};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientSecret, CsrfToken, JsonWebKeySet, LoginHint, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope, StandardErrorResponse,
    TokenResponse, TokenUrl,
};

use crate::begin::Begin;
use crate::cache::MetadataCache;
use crate::claims::IdClaims;
use crate::error::{FederationError, MAX_ECHO_CHARS, bounded};
use crate::http::{HttpClient, TransportError, shown_url};
use crate::metadata::{self, ProviderInfo};
use crate::provider::{CheckedProvider, OPENID_SCOPE, OidcProvider};
use crate::settings::FederationSettings;
use crate::url_check;
use crate::verify::{self, VerifyError};

/// Longest OAuth `error` code kept from a token endpoint's refusal.
const MAX_ERROR_CODE_CHARS: usize = 64;

/// The OpenID Connect relying party. Cheap to clone: clones share the HTTP client and the
/// metadata/JWKS cache (keyed by discovery URL).
#[derive(Clone)]
pub struct Federation {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    cache: MetadataCache,
    settings: FederationSettings,
}

impl fmt::Debug for Federation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Federation")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Federation {
    /// Builds the HTTP client (timeouts, TLS roots, no redirects) and an empty cache.
    pub fn new(settings: FederationSettings) -> Result<Self, FederationError> {
        Ok(Self {
            inner: Arc::new(Inner {
                http: HttpClient::new(&settings)?,
                cache: MetadataCache::new(settings.metadata_ttl),
                settings,
            }),
        })
    }

    /// The settings this federation was built with.
    pub fn settings(&self) -> &FederationSettings {
        &self.inner.settings
    }

    /// Checks a configured URL: https, or http only for loopback hosts (127.0.0.0/8, ::1,
    /// localhost); no userinfo, no fragment. Used by the caller when an admin configures a
    /// provider.
    pub fn check_url(url: &str) -> Result<url::Url, String> {
        url_check::check_url(url)
    }

    /// Fetches a SAML IdP's metadata document (for certificate rollover) over the same
    /// bounded client: no redirects, 1 MiB at most, the configured timeouts.
    pub async fn fetch_saml_metadata(&self, url: &str) -> Result<String, FederationError> {
        let url = url_check::check_url(url).map_err(FederationError::Config)?;
        let body = self
            .inner
            .http
            .get_as(
                &url,
                "SAML metadata",
                "application/samlmetadata+xml, application/xml, text/xml",
            )
            .await?;
        String::from_utf8(body)
            .map_err(|_| FederationError::BadMetadata("SAML metadata is not UTF-8".into()))
    }

    /// Fetches (or reuses cached) metadata and builds the authorization URL. `state` is chosen
    /// by the caller (an opaque sealed string).
    pub async fn begin(
        &self,
        provider: &OidcProvider,
        state: &str,
        login_hint: Option<&str>,
    ) -> Result<Begin, FederationError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = Nonce::new_random();
        let url = self
            .authorization_url(provider, state, &nonce, challenge, login_hint)
            .await?;
        Ok(Begin {
            url,
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// As [`Federation::begin`], with a nonce and PKCE verifier the caller chose (e.g. derived
    /// under its own key from the state's random id, so nothing has to be stored): returns the
    /// authorization URL. The verifier must be 43–128 unreserved characters (RFC 7636).
    pub async fn begin_with(
        &self,
        provider: &OidcProvider,
        state: &str,
        nonce: &str,
        pkce_verifier: &str,
        login_hint: Option<&str>,
    ) -> Result<String, FederationError> {
        let ok = (43..=128).contains(&pkce_verifier.len())
            && pkce_verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !ok || nonce.is_empty() {
            return Err(FederationError::Config(
                "the PKCE verifier must be 43 to 128 unreserved characters and the nonce not empty"
                    .into(),
            ));
        }
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            pkce_verifier.to_owned(),
        ));
        self.authorization_url(
            provider,
            state,
            &Nonce::new(nonce.to_owned()),
            challenge,
            login_hint,
        )
        .await
    }

    async fn authorization_url(
        &self,
        provider: &OidcProvider,
        state: &str,
        nonce: &Nonce,
        challenge: PkceCodeChallenge,
        login_hint: Option<&str>,
    ) -> Result<String, FederationError> {
        let checked = provider.checked()?;
        let info = self.provider_info(&checked, false).await?;
        info.check_issuer(&provider.issuer)?;
        let client = CoreClient::new(
            checked.client_id.clone(),
            checked.issuer.clone(),
            JsonWebKeySet::new(Vec::new()),
        )
        .set_auth_uri(AuthUrl::from_url(info.authorization_endpoint.clone()))
        .set_redirect_uri(checked.redirect_uri.clone());
        let state = state.to_owned();
        let nonce = nonce.clone();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || nonce,
            )
            .add_scopes(
                provider
                    .effective_scopes()
                    .into_iter()
                    .filter(|s| s != OPENID_SCOPE)
                    .map(Scope::new),
            )
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
            request = request.set_login_hint(LoginHint::new(hint.to_owned()));
        }
        let (url, _state, _nonce) = request.url();
        Ok(url.into())
    }

    /// Exchanges the code (with the PKCE verifier) at the token endpoint, then validates the
    /// id_token: signature against the provider's JWKS (asymmetric algorithms only; never
    /// `none` or `HS*`), `iss` equal to the configured issuer, `aud` containing the client id
    /// (and `azp` equal to it when present or when there are several audiences), `exp` in the
    /// future, `iat` at most 5 minutes in the future, and the nonce (constant-time compare).
    ///
    /// When the token's key is not in the cached JWKS, metadata and JWKS are refetched once
    /// (at most once per discovery URL per 10 s) and the check is retried.
    pub async fn finish(
        &self,
        provider: &OidcProvider,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, FederationError> {
        let checked = provider.checked()?;
        let info = self.provider_info(&checked, false).await?;
        info.check_issuer(&provider.issuer)?;

        let token = self
            .exchange(provider, &checked, &info, code, pkce_verifier)
            .await
            .map_err(|e| e.scrubbed(&[code, pkce_verifier, &provider.client_secret, nonce]))?;

        match verify::verify(&token, &checked, &info, nonce) {
            Ok(claims) => Ok(claims),
            Err(VerifyError::Invalid(reason)) => Err(FederationError::InvalidIdToken(reason)),
            Err(VerifyError::UnknownKey) => {
                let url = checked.discovery_url.as_str();
                if !self.inner.cache.claim_forced_refresh(url) {
                    return Err(unknown_key());
                }
                tracing::info!(
                    discovery_url = %shown_url(&checked.discovery_url),
                    "id_token signed with an unknown key; refreshing the provider's JWKS"
                );
                let info = self.provider_info(&checked, true).await?;
                info.check_issuer(&provider.issuer)?;
                verify::verify(&token, &checked, &info, nonce).map_err(|e| match e {
                    VerifyError::UnknownKey => unknown_key(),
                    VerifyError::Invalid(reason) => FederationError::InvalidIdToken(reason),
                })
            }
        }
    }

    /// The provider's info from the cache, or fetched (always fetched when `force`).
    async fn provider_info(
        &self,
        checked: &CheckedProvider,
        force: bool,
    ) -> Result<Arc<ProviderInfo>, FederationError> {
        let key = checked.discovery_url.as_str();
        if !force && let Some(info) = self.inner.cache.fresh(key) {
            return Ok(info);
        }
        let info = Arc::new(metadata::fetch(&self.inner.http, &checked.discovery_url).await?);
        self.inner.cache.store(key, Arc::clone(&info));
        Ok(info)
    }

    /// The token request, and its id_token.
    async fn exchange(
        &self,
        provider: &OidcProvider,
        checked: &CheckedProvider,
        info: &ProviderInfo,
        code: &str,
        pkce_verifier: &str,
    ) -> Result<CoreIdToken, FederationError> {
        let client = CoreClient::new(
            checked.client_id.clone(),
            checked.issuer.clone(),
            JsonWebKeySet::new(Vec::new()),
        )
        .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
        .set_token_uri(TokenUrl::from_url(info.token_endpoint.clone()))
        .set_redirect_uri(checked.redirect_uri.clone())
        .set_auth_type(info.token_auth.clone());

        let response: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.inner.http)
            .await
            .map_err(|e| token_error(e, &info.token_endpoint))?;
        response.id_token().cloned().ok_or_else(|| {
            FederationError::InvalidIdToken("the token response has no id_token".into())
        })
    }
}

fn unknown_key() -> FederationError {
    FederationError::InvalidIdToken(
        "no key of the provider's JWKS matches the token's key id and algorithm".into(),
    )
}

/// Maps a failed token request to the error the caller sees.
fn token_error(
    error: RequestTokenError<TransportError, StandardErrorResponse<CoreErrorResponseType>>,
    endpoint: &url::Url,
) -> FederationError {
    let at = shown_url(endpoint);
    match error {
        RequestTokenError::ServerResponse(refusal) => FederationError::TokenRefused {
            error: bounded(
                &serde_json::to_value(refusal.error())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "unknown_error".to_owned()),
                MAX_ERROR_CODE_CHARS,
            ),
            description: refusal
                .error_description()
                .map(|d| bounded(d, MAX_ECHO_CHARS)),
        },
        RequestTokenError::Request(TransportError::Unreachable(m)) => {
            FederationError::Unreachable(format!("the token endpoint at {at}: {m}"))
        }
        RequestTokenError::Request(TransportError::Refused(status)) => {
            FederationError::TokenRefused {
                error: format!("http_{status}"),
                description: Some(format!(
                    "the token endpoint answered HTTP {status} without an OAuth error object"
                )),
            }
        }
        RequestTokenError::Request(other) => {
            FederationError::BadMetadata(format!("the token endpoint at {at}: {other}"))
        }
        RequestTokenError::Parse(e, body) => {
            parse_failure(&e.path().to_string(), &e.inner().to_string(), &body, &at)
        }
        RequestTokenError::Other(m) => FederationError::BadMetadata(format!(
            "the token endpoint at {at}: {}",
            bounded(&m, MAX_ECHO_CHARS)
        )),
    }
}

/// Classifies a token response that did not parse: a malformed id_token is the token's
/// fault, anything else the endpoint's. Only the path and the kind of problem are shown:
/// serde messages can quote values, and a value here could be a token.
fn parse_failure(path: &str, message: &str, body: &[u8], at: &str) -> FederationError {
    let kind = |text: &str| bounded(text.split(':').next().unwrap_or_default(), 80);
    let object = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body).ok();
    match object.as_ref().and_then(|o| o.get("id_token")) {
        Some(serde_json::Value::String(raw)) => {
            if let Err(e) = CoreIdToken::from_str(raw) {
                return FederationError::InvalidIdToken(format!(
                    "the id_token is malformed ({})",
                    kind(&e.to_string())
                ));
            }
        }
        Some(_) => {
            return FederationError::InvalidIdToken("the id_token is not a string".into());
        }
        None => {}
    }
    FederationError::BadMetadata(format!(
        "the token endpoint at {at} sent an answer that is not a token response (at `{}`: {})",
        bounded(path, 64),
        kind(message)
    ))
}
