//! Client authentication with certificates (`private_key_jwt`, RFC 7523 §2.2, as Entra does
//! it): an application registers a certificate; it authenticates by a JWT it signs with the
//! certificate's key (RS256), naming itself in `iss` and `sub`, the token endpoint in `aud`,
//! and a `jti` that may be used once.

use crate::tokens::{TokenError, TokenErrorCode as C};
use crate::{App, AppError, Context};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_domain::application::KeyCredential;
use portico_domain::tenant::Tenant;
use portico_domain::{AppId, KeyId, TenantId, ValidationError};
use portico_store::StoredKeyCredential;
use serde_json::Value;

/// The only client assertion type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest assertion accepted.
const MAX_ASSERTION: usize = 16 * 1024;
/// Clock skew tolerated on `nbf`.
const SKEW: time::Duration = time::Duration::minutes(5);
/// Longest lifetime an assertion may claim.
const MAX_LIFETIME: time::Duration = time::Duration::days(1);

fn invalid_client(d: impl Into<String>) -> TokenError {
    TokenError::new(C::InvalidClient, d)
}

/// The `sub` of an assertion, unverified: who it claims to be (to find their keys).
#[must_use]
pub fn claimed_client(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    v.get("sub").and_then(Value::as_str).map(str::to_owned)
}

impl App {
    /// Adds a certificate credential to an application (Graph `keyCredentials`).
    pub async fn add_client_certificate(
        &self,
        ctx: &Context,
        tenant: TenantId,
        app_id: AppId,
        certificate: &[u8],
        display_name: Option<&str>,
    ) -> Result<KeyCredential, AppError> {
        let op = self.begin_credential_change(ctx, tenant).await?;
        let cert = portico_crypto::cert::parse_certificate(certificate)
            .map_err(|e| ValidationError::new("keyCredentials.key", e.to_string()))?;
        if cert.not_after <= self.clock.now() {
            return Err(ValidationError::new(
                "keyCredentials.endDateTime",
                "the certificate has expired",
            )
            .into());
        }
        let app = self
            .store
            .find_application_by_app_id(tenant, app_id)
            .await?;
        let credential = KeyCredential {
            key_id: KeyId::new(),
            display_name: portico_domain::validate::optional_text(
                "displayName",
                display_name,
                256,
            )?,
            custom_key_identifier: cert.x5t.clone(),
            start_date_time: cert.not_before,
            end_date_time: cert.not_after,
        };
        let audit = op
            .audit
            .target("Application", app.id, Some(&app.display_name));
        self.store
            .add_key_credential(
                tenant,
                app.id,
                &StoredKeyCredential {
                    credential: credential.clone(),
                    certificate: cert.der,
                },
                &audit,
            )
            .await?;
        Ok(credential)
    }

    /// Checks a client assertion for `client_id` (or, when empty, the client it names) and
    /// returns the authenticated client.
    pub(crate) async fn verify_client_assertion(
        &self,
        tenant: &Tenant,
        client_id: &str,
        assertion: &str,
    ) -> Result<AppId, TokenError> {
        if assertion.len() > MAX_ASSERTION {
            return Err(TokenError::new(
                C::InvalidRequest,
                "The client_assertion is too long.",
            ));
        }
        let header = portico_crypto::jws::jws_header(assertion)
            .map_err(|_| invalid_client("AADSTS50027: The client_assertion is not a valid JWT (header, payload and signature, base64url)."))?;
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg != "RS256" {
            return Err(invalid_client(format!(
                "AADSTS5002738: The client_assertion is signed with '{}'; only RS256 with a registered certificate is accepted.",
                alg.chars().take(20).collect::<String>()
            )));
        }
        let claimed = if client_id.trim().is_empty() {
            claimed_client(assertion).unwrap_or_default()
        } else {
            client_id.trim().to_owned()
        };
        let app_id: AppId = claimed.parse().map_err(|_| {
            invalid_client("The client_assertion must name the application (client) id in 'sub', or the request must carry client_id.")
        })?;
        let now = self.clock.now();
        // Certificates live with the registration, in the app's home tenant.
        let home = match self.store.application_home(app_id).await {
            Ok(h) => h,
            Err(portico_store::StoreError::NotFound(_)) => tenant.id,
            Err(e) => return Err(AppError::from(e).into()),
        };
        let keys = self
            .store
            .key_credentials_by_app_id(home, app_id)
            .await
            .map_err(AppError::from)?;
        if keys.is_empty() {
            return Err(invalid_client(format!(
                "AADSTS700027: Application '{app_id}' has no certificate registered in the directory '{}', or does not exist.",
                tenant.display_name
            )));
        }
        // MSAL pads x5t with '='; the stored thumbprint is unpadded base64url.
        let x5t = header
            .get("x5t")
            .and_then(Value::as_str)
            .map(|t| t.trim_end_matches('='));
        let candidates = keys.iter().filter(|k| {
            k.credential.start_date_time <= now
                && now < k.credential.end_date_time
                && x5t.is_none_or(|t| t == k.credential.custom_key_identifier)
        });
        let mut claims = None;
        for key in candidates {
            let Ok(cert) = portico_crypto::cert::parse_certificate(&key.certificate) else {
                continue;
            };
            if let Ok(c) = portico_crypto::jws::verify_rs256_with(assertion, &cert.n, &cert.e) {
                claims = Some(c);
                break;
            }
        }
        let claims = claims.ok_or_else(|| {
            invalid_client("AADSTS700027: Client assertion failed signature validation: no current certificate of the application verifies it (check x5t and the certificate's validity).")
        })?;
        let text = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or("");
        if !text("iss").eq_ignore_ascii_case(&app_id.to_string())
            || !text("sub").eq_ignore_ascii_case(&app_id.to_string())
        {
            return Err(invalid_client(
                "AADSTS700021: The client_assertion's iss and sub must both be the application (client) id.",
            ));
        }
        let base = self.config.public_url.trim_end_matches('/');
        let accepted = [
            format!("{base}/{}/oauth2/v2.0/token", tenant.id),
            format!(
                "{base}/{}/oauth2/v2.0/token",
                tenant.initial_domain.as_str()
            ),
            format!("{base}/{}/v2.0", tenant.id),
        ];
        let aud_ok = |a: &str| {
            accepted
                .iter()
                .any(|x| x.eq_ignore_ascii_case(a.trim_end_matches('/')))
        };
        let audience_ok = match claims.get("aud") {
            Some(Value::String(a)) => aud_ok(a),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(aud_ok),
            _ => false,
        };
        if !audience_ok {
            return Err(invalid_client(format!(
                "AADSTS700016: The client_assertion's aud must be this token endpoint, {}.",
                accepted.first().map_or("", String::as_str)
            )));
        }
        let t = now.unix_timestamp();
        // NumericDate may carry fractions (MSAL Python sends time.time()).
        let seconds = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_f64)
                .filter(|f| f.is_finite() && f.abs() < 1e12)
                .map(|f| f.floor() as i64)
        };
        let exp =
            seconds("exp").ok_or_else(|| invalid_client("The client_assertion has no exp."))?;
        if exp <= t {
            return Err(invalid_client(
                "AADSTS700024: The client_assertion has expired.",
            ));
        }
        if exp > t + MAX_LIFETIME.whole_seconds() {
            return Err(invalid_client(
                "The client_assertion lives too long: exp may be at most one day ahead.",
            ));
        }
        if seconds("nbf").is_some_and(|n| n > t + SKEW.whole_seconds()) {
            return Err(invalid_client(
                "AADSTS700024: The client_assertion is not yet valid (nbf).",
            ));
        }
        let jti = text("jti");
        if jti.is_empty() || jti.len() > 256 {
            return Err(invalid_client(
                "The client_assertion must carry a jti (a unique id, at most 256 characters).",
            ));
        }
        let jti_hash = self.keys.hash_secret(&format!("{app_id}:{jti}"));
        let expires = time::OffsetDateTime::from_unix_timestamp(exp).unwrap_or(now + MAX_LIFETIME);
        if !self
            .store
            .remember_assertion(tenant.id, &jti_hash, expires)
            .await
            .map_err(AppError::from)?
        {
            return Err(invalid_client(
                "AADSTS700025: The client_assertion was already used: each assertion (jti) is accepted once.",
            ));
        }
        Ok(app_id)
    }
}
