//! Tokens for signed-in users: the authorization code grant (with PKCE) and the refresh token
//! grant (rotating; a replayed token revokes its family), ID and access tokens with Entra v2
//! claim names and pairwise subjects, `client_info` for MSAL, and the userinfo answer.

use crate::signin::request::{is_pkce_value, parse_scopes};
use crate::tokens::{
    ACCESS_TOKEN_SECONDS, ClientCredentials, TokenError, TokenErrorCode as C, audience, truncate,
};
use crate::{App, AppError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_domain::application::Application;
use portico_domain::grant::AuthorizationGrant;
use portico_domain::tenant::Tenant;
use portico_domain::user::User;
use portico_domain::well_known::{self, GRAPH_APP_ID};
use portico_domain::{AppId, TenantId, TokenFamilyId, UserId};
use portico_store::{Redemption, StoreError};
use serde_json::{Value, json};

/// How long a refresh token may go unused (Entra's default inactivity lifetime).
pub const REFRESH_TOKEN_LIFETIME: time::Duration = time::Duration::days(90);
/// Longest code, token or verifier accepted.
const MAX_PARAM: usize = 4096;

/// The tokens a user grant returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTokens {
    /// Access token.
    pub access_token: String,
    /// Seconds it lives.
    pub expires_in: i64,
    /// Granted scopes.
    pub scope: String,
    /// ID token, when `openid` was granted.
    pub id_token: Option<String>,
    /// Refresh token, when `offline_access` was granted.
    pub refresh_token: Option<String>,
    /// `client_info` for MSAL, when asked.
    pub client_info: Option<String>,
}

/// Parameters of the authorization code grant.
#[derive(Debug, Clone, Copy)]
pub struct CodeParams<'a> {
    /// `code`.
    pub code: Option<&'a str>,
    /// `redirect_uri`.
    pub redirect_uri: Option<&'a str>,
    /// `code_verifier`.
    pub code_verifier: Option<&'a str>,
    /// `client_info=1`.
    pub client_info: bool,
}

/// A new code or refresh token: random, prefixed with its tenant (`<tenant id, hex>.<random>`)
/// so that the tenant-less `common` endpoint can route it. Only its keyed hash is stored.
pub(crate) fn routed_token(tenant: TenantId, random_bytes: usize) -> String {
    format!(
        "{}.{}",
        tenant.0.simple(),
        portico_crypto::secret::random_token(random_bytes)
    )
}

/// The tenant a code or refresh token belongs to (for `/common/oauth2/v2.0/token`).
#[must_use]
pub fn token_tenant(token: &str) -> Option<TenantId> {
    let (prefix, rest) = token.split_once('.')?;
    if prefix.len() != 32 || rest.is_empty() {
        return None;
    }
    uuid::Uuid::try_parse(prefix).ok().map(TenantId)
}

/// `azpacr`: how the client authenticated (0 public, 1 secret, 2 certificate).
fn auth_class(client: &ClientCredentials<'_>) -> &'static str {
    if client.client_assertion.is_some() {
        "2"
    } else if client.client_secret.is_some() {
        "1"
    } else {
        "0"
    }
}

fn invalid_grant(d: impl Into<String>) -> TokenError {
    TokenError::new(C::InvalidGrant, d)
}

fn pkce_s256(verifier: &str) -> String {
    let digest = aws_lc_digest(verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

fn aws_lc_digest(data: &[u8]) -> Vec<u8> {
    portico_crypto::digest::sha256(data)
}

impl App {
    /// The subject a user has towards one application: stable, different per app, and not
    /// linkable across apps without the master key (Entra's pairwise `sub`).
    #[must_use]
    pub fn pairwise_subject(&self, tenant: TenantId, user: UserId, app: AppId) -> String {
        self.keys.derive("sub", &format!("{tenant}:{user}:{app}"))
    }

    /// Authenticates a client at the token endpoint for a user grant. Public clients (whose
    /// redirect URI is a native or SPA one) send no secret; confidential ones must.
    async fn authenticate_for_user_grant(
        &self,
        tenant: &Tenant,
        client: &ClientCredentials<'_>,
    ) -> Result<Application, TokenError> {
        let app_id: AppId = match client.client_assertion {
            Some(a) => {
                self.verify_client_assertion(tenant, client.client_id, a)
                    .await?
            }
            None => client.client_id.trim().parse().map_err(|_| {
                TokenError::new(
                    C::InvalidClient,
                    format!(
                        "Client '{}' is not a valid application (client) id; use the appId GUID.",
                        truncate(client.client_id)
                    ),
                )
            })?,
        };
        let Some(client_app) = self.client_in_tenant(tenant.id, app_id).await? else {
            return Err(TokenError::new(
                C::InvalidClient,
                format!(
                    "AADSTS700016: Application with identifier '{app_id}' was not found in the directory '{}'.",
                    tenant.display_name
                ),
            ));
        };
        if let Some(secret) = client.client_secret {
            if secret.len() > MAX_PARAM {
                return Err(TokenError::new(
                    C::InvalidRequest,
                    "A parameter is too long.",
                ));
            }
            let now = self.clock.now();
            // Secrets live with the registration, in the app's home tenant.
            let secrets = self
                .store
                .application_secrets(client_app.home, client_app.app.id)
                .await
                .map_err(AppError::from)?;
            let ok = secrets
                .iter()
                .filter(|s| s.credential.start_date_time <= now && now < s.credential.end_date_time)
                .any(|s| self.keys.verify_secret(secret, &s.secret_hash));
            if !ok {
                return Err(TokenError::new(
                    C::InvalidClient,
                    format!(
                        "AADSTS7000215: Invalid client secret provided for application '{app_id}'. Use a current secret, not its id."
                    ),
                ));
            }
        }
        match client_app.service_principal {
            Some(sp) if sp.account_enabled => Ok(client_app.app),
            _ => Err(TokenError::new(
                C::UnauthorizedClient,
                format!(
                    "AADSTS7000112: Application '{app_id}' is disabled in this tenant, or no user of it has signed in to it yet."
                ),
            )),
        }
    }

    fn require_secret_unless_public(
        app: &Application,
        client: &ClientCredentials<'_>,
        redirect_uri: Option<&str>,
    ) -> Result<(), TokenError> {
        let public = redirect_uri.is_some_and(|r| {
            !app.redirect_uris.web.iter().any(|u| u == r)
                && (app.redirect_uris.public_client.iter().any(|u| u == r)
                    || app.redirect_uris.spa.iter().any(|u| u == r))
        });
        if !public && client.client_secret.is_none() && client.client_assertion.is_none() {
            return Err(TokenError::new(
                C::InvalidClient,
                "AADSTS7000218: The request body must contain the following parameter: 'client_secret' or 'client_assertion' (this is a confidential client: its redirect URI is a web one).",
            ));
        }
        Ok(())
    }

    /// Tokens through `common`/`organizations` are for multi-tenant apps only (AADSTS50194),
    /// as their sign-in is.
    pub async fn require_multi_tenant_client(
        &self,
        tenant: &Tenant,
        client: &ClientCredentials<'_>,
    ) -> Result<(), TokenError> {
        let claimed = match (client.client_id.trim(), client.client_assertion) {
            ("", Some(a)) => crate::client_auth::claimed_client(a).unwrap_or_default(),
            (id, _) => id.to_owned(),
        };
        let multi = match claimed.parse::<AppId>() {
            Ok(app_id) => self
                .client_in_tenant(tenant.id, app_id)
                .await?
                .is_some_and(|c| c.app.sign_in_audience == crate::multitenant::MULTI_TENANT),
            Err(_) => false,
        };
        if multi {
            Ok(())
        } else {
            Err(TokenError::new(
                C::InvalidClient,
                format!(
                    "AADSTS50194: Application '{}' is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications. Use a tenant-specific endpoint.",
                    truncate(&claimed)
                ),
            ))
        }
    }

    /// The authorization code grant.
    pub async fn authorization_code_token(
        &self,
        tenant: &Tenant,
        client: &ClientCredentials<'_>,
        p: CodeParams<'_>,
    ) -> Result<UserTokens, TokenError> {
        let code = p.code.filter(|c| !c.is_empty()).ok_or_else(|| {
            TokenError::new(
                C::InvalidRequest,
                "AADSTS900144: The request body must contain the following parameter: 'code'.",
            )
        })?;
        let redirect_uri = p.redirect_uri.filter(|r| !r.is_empty()).ok_or_else(|| TokenError::new(C::InvalidRequest, "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'."))?;
        if code.len() > MAX_PARAM
            || redirect_uri.len() > MAX_PARAM
            || p.code_verifier.is_some_and(|v| v.len() > MAX_PARAM)
        {
            return Err(TokenError::new(
                C::InvalidRequest,
                "A parameter is too long.",
            ));
        }
        let app = self.authenticate_for_user_grant(tenant, client).await?;
        Self::require_secret_unless_public(&app, client, Some(redirect_uri))?;
        let now = self.clock.now();
        let code_hash = self.keys.hash_secret(code);
        // Look first, spend last: a request that fails the checks below (wrong client,
        // redirect URI or verifier) does not burn the code of the client it belongs to.
        let (family, grant) = match self
            .store
            .peek_authorization_code(tenant.id, &code_hash, now)
            .await
            .map_err(AppError::from)?
        {
            Redemption::Redeemed { family, grant } => (family, *grant),
            Redemption::Replayed => {
                self.store
                    .redeem_authorization_code(tenant.id, &code_hash, now)
                    .await
                    .map_err(AppError::from)?;
                tracing::warn!(tenant = %tenant.id, client = %app.app_id, "authorization code replayed; its tokens are revoked");
                return Err(invalid_grant(
                    "AADSTS54005: The authorization code was already redeemed. The refresh tokens issued with it have been revoked; sign in again.",
                ));
            }
            Redemption::Expired => {
                return Err(invalid_grant(
                    "AADSTS70008: The provided authorization code has expired. Sign in again.",
                ));
            }
            Redemption::Revoked => {
                return Err(invalid_grant(
                    "AADSTS70000: The provided authorization code has been revoked (the session it came from ended).",
                ));
            }
            Redemption::Unknown => {
                return Err(invalid_grant(
                    "AADSTS70000: The provided authorization code is invalid: it is malformed, was issued to another tenant, or does not exist.",
                ));
            }
        };
        if grant.client_app_id != app.app_id {
            return Err(invalid_grant(
                "AADSTS70000: The authorization code was issued to another client.",
            ));
        }
        if grant.redirect_uri.as_deref() != Some(redirect_uri) {
            return Err(invalid_grant(
                "AADSTS50148: The redirect_uri does not match the one used in the authorization request.",
            ));
        }
        match (&grant.code_challenge, p.code_verifier) {
            (Some(challenge), Some(v)) => {
                if !(43..=128).contains(&v.len()) || !is_pkce_value(v) {
                    return Err(invalid_grant(
                        "AADSTS501491: The code_verifier is malformed: it must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.",
                    ));
                }
                if !portico_crypto::secret::constant_time_eq(
                    pkce_s256(v).as_bytes(),
                    challenge.as_bytes(),
                ) {
                    return Err(invalid_grant(
                        "AADSTS501481: The code_verifier does not match the code_challenge supplied in the authorization request.",
                    ));
                }
            }
            (Some(_), None) => {
                return Err(invalid_grant(
                    "AADSTS50148: The code_verifier is missing: the authorization request carried a PKCE code_challenge.",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid_grant(
                    "AADSTS50148: A code_verifier was sent but the authorization request had no code_challenge.",
                ));
            }
            (None, None) => {}
        }
        match self
            .store
            .redeem_authorization_code(tenant.id, &code_hash, now)
            .await
            .map_err(AppError::from)?
        {
            Redemption::Redeemed { .. } => {}
            _ => {
                return Err(invalid_grant(
                    "AADSTS54005: The authorization code was redeemed by a concurrent request.",
                ));
            }
        }
        self.issue_user_tokens(
            tenant,
            &app,
            family,
            &grant,
            grant.nonce.as_deref(),
            p.client_info,
            auth_class(client),
        )
        .await
    }

    /// The refresh token grant: rotates the token; a replayed one revokes its family.
    pub async fn refresh_token_grant(
        &self,
        tenant: &Tenant,
        client: &ClientCredentials<'_>,
        refresh_token: Option<&str>,
        scope: Option<&str>,
        client_info: bool,
    ) -> Result<UserTokens, TokenError> {
        let token = refresh_token.filter(|t| !t.is_empty()).ok_or_else(|| TokenError::new(C::InvalidRequest, "AADSTS900144: The request body must contain the following parameter: 'refresh_token'."))?;
        if token.len() > MAX_PARAM || scope.is_some_and(|s| s.len() > MAX_PARAM) {
            return Err(TokenError::new(
                C::InvalidRequest,
                "A parameter is too long.",
            ));
        }
        let app = self.authenticate_for_user_grant(tenant, client).await?;
        let now = self.clock.now();
        let token_hash = self.keys.hash_secret(token);
        let (family, mut grant) = match self
            .store
            .peek_refresh_token(tenant.id, &token_hash, now)
            .await
            .map_err(AppError::from)?
        {
            Redemption::Redeemed { family, grant } => (family, *grant),
            Redemption::Replayed => {
                self.store
                    .redeem_refresh_token(tenant.id, &token_hash, now)
                    .await
                    .map_err(AppError::from)?;
                tracing::warn!(tenant = %tenant.id, client = %app.app_id, "refresh token replayed; its family is revoked");
                return Err(invalid_grant(
                    "AADSTS54005: The refresh token was already used. Every token issued with it has been revoked; sign in again.",
                ));
            }
            Redemption::Expired => {
                return Err(invalid_grant(
                    "AADSTS700082: The refresh token has expired due to inactivity. Sign in again.",
                ));
            }
            Redemption::Revoked => {
                return Err(invalid_grant(
                    "AADSTS50173: The refresh token has been revoked (sign-out, password change, or reuse). Sign in again.",
                ));
            }
            Redemption::Unknown => {
                return Err(invalid_grant(
                    "AADSTS9002313: The refresh token is malformed or not valid in this tenant.",
                ));
            }
        };
        if grant.client_app_id != app.app_id {
            return Err(invalid_grant(
                "AADSTS70000: The refresh token was issued to another client.",
            ));
        }
        Self::require_secret_unless_public(&app, client, grant.redirect_uri.as_deref())?;
        self.check_user_assignment(tenant, &app, grant.user_id)
            .await?;
        if let Some(scope) = scope.map(str::trim).filter(|s| !s.is_empty()) {
            grant = self.rescope(tenant, &app, grant, scope).await?;
        }
        match self
            .store
            .redeem_refresh_token(tenant.id, &token_hash, now)
            .await
            .map_err(AppError::from)?
        {
            Redemption::Redeemed { .. } => {}
            _ => {
                return Err(invalid_grant(
                    "AADSTS54005: The refresh token was used by a concurrent request; its family has been revoked. Sign in again.",
                ));
            }
        }
        self.issue_user_tokens(
            tenant,
            &app,
            family,
            &grant,
            None,
            client_info,
            auth_class(client),
        )
        .await
    }

    /// A refresh may ask for other scopes: of the same or another resource, as far as they
    /// were consented to; OpenID scopes no wider than first granted.
    async fn rescope(
        &self,
        tenant: &Tenant,
        app: &Application,
        grant: AuthorizationGrant,
        scope: &str,
    ) -> Result<AuthorizationGrant, TokenError> {
        let req = parse_scopes(scope).map_err(|d| TokenError::new(C::InvalidScope, d))?;
        let user = self.user_for_tokens(tenant, grant.user_id).await?;
        let sp = self
            .store
            .find_service_principal_by_app_id(tenant.id, app.app_id)
            .await
            .map_err(AppError::from)?;
        let resolved = match self
            .resolve_scopes(tenant, app, sp, &req, Some(&user))
            .await?
        {
            Ok(r) => r,
            Err(e) => return Err(TokenError::new(C::InvalidScope, e.description)),
        };
        let missing = self
            .missing_consent(tenant, &user, &resolved, false)
            .await?;
        if let Some(m) = missing
            .iter()
            .find(|m| !grant.oidc_scopes.contains(&m.value))
        {
            return Err(invalid_grant(format!(
                "AADSTS65001: The user or administrator has not consented to use the application with scope '{}'. Send an interactive authorization request for this user and resource.",
                m.value
            )));
        }
        Ok(AuthorizationGrant {
            resource_app_id: resolved.resource_app.app_id,
            resource_scopes: resolved.values,
            oidc_scopes: grant
                .oidc_scopes
                .iter()
                .filter(|s| req.oidc.contains(s) || *s == "offline_access")
                .cloned()
                .collect(),
            ..grant
        })
    }

    /// Refreshing re-checks what signing in checked: the app may require an assignment,
    /// which may have been removed since.
    async fn check_user_assignment(
        &self,
        tenant: &Tenant,
        app: &Application,
        user: UserId,
    ) -> Result<(), TokenError> {
        let sp = self
            .store
            .find_service_principal_by_app_id(tenant.id, app.app_id)
            .await
            .map_err(AppError::from)?;
        if sp.app_role_assignment_required
            && self
                .store
                .app_role_assignments_of(tenant.id, user.0, Some(sp.id))
                .await
                .map_err(AppError::from)?
                .is_empty()
        {
            return Err(invalid_grant(format!(
                "AADSTS50105: The user is no longer assigned to the application {}.",
                app.display_name
            )));
        }
        Ok(())
    }

    async fn user_for_tokens(&self, tenant: &Tenant, id: UserId) -> Result<User, TokenError> {
        match self.store.get_user(tenant.id, id).await {
            Ok(u) if u.account_enabled => Ok(u),
            Ok(_) => Err(invalid_grant("AADSTS50057: The user account is disabled.")),
            Err(StoreError::NotFound(_)) => Err(invalid_grant(
                "AADSTS50034: The user account does not exist in this directory.",
            )),
            Err(e) => Err(AppError::from(e).into()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn issue_user_tokens(
        &self,
        tenant: &Tenant,
        app: &Application,
        family: TokenFamilyId,
        grant: &AuthorizationGrant,
        nonce: Option<&str>,
        want_client_info: bool,
        azpacr: &'static str,
    ) -> Result<UserTokens, TokenError> {
        let user = self.user_for_tokens(tenant, grant.user_id).await?;
        let now = self.clock.now();
        let iat = now.unix_timestamp();
        let iss = format!(
            "{}/{}/v2.0",
            self.config.public_url.trim_end_matches('/'),
            tenant.id
        );
        let oid = user.id.to_string();
        let tid = tenant.id.to_string();
        let has = |s: &str| grant.oidc_scopes.iter().any(|g| g == s);
        let resource = self
            .resource_application(tenant, grant.resource_app_id)
            .await?;
        let resource_prefix = match (&resource, grant.resource_app_id == GRAPH_APP_ID) {
            (_, true) | (None, _) => String::new(),
            (Some(r), false) => format!(
                "{}/",
                r.identifier_uris
                    .first()
                    .cloned()
                    .unwrap_or_else(|| r.app_id.to_string())
                    .trim_end_matches('/')
            ),
        };
        let mut scp: Vec<String> = grant.resource_scopes.clone();
        if grant.resource_app_id == GRAPH_APP_ID {
            scp.extend(
                grant
                    .oidc_scopes
                    .iter()
                    .filter(|s| *s != "offline_access")
                    .cloned(),
            );
        }
        let roles = self
            .user_roles_on(tenant, &user, grant.resource_app_id, resource.as_ref())
            .await?;
        let sid = grant.session_id.map(|s| s.to_string());
        let (acct, idp) = self.account_claims(&user).await;
        let mut access = json!({
            "aud": audience(grant.resource_app_id),
            "iss": iss,
            "iat": iat,
            "nbf": iat,
            "exp": iat + ACCESS_TOKEN_SECONDS,
            "azp": app.app_id.to_string(),
            "azpacr": azpacr,
            "idtyp": "user",
            "name": user.display_name,
            "oid": oid,
            "preferred_username": user.user_principal_name,
            "scp": scp.join(" "),
            "sub": self.pairwise_subject(tenant.id, user.id, grant.resource_app_id),
            "tid": tid,
            "uti": portico_crypto::secret::random_token(16),
            "ver": "2.0",
            "auth_time": grant.auth_time,
        });
        if let Some(map) = access.as_object_mut() {
            map.insert("acct".into(), Value::from(acct));
            if let Some(idp) = &idp {
                map.insert("idp".into(), Value::from(idp.clone()));
            }
            if !roles.is_empty() {
                map.insert("roles".into(), Value::from(roles));
            }
            if let Some(sid) = &sid {
                map.insert("sid".into(), Value::from(sid.clone()));
            }
        }
        let key = self.signing_key().await?;
        let access_token = key
            .sign_jwt(&access)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let id_token = if has("openid") {
            let mut id = json!({
                "aud": app.app_id.to_string(),
                "iss": format!("{}/{}/v2.0", self.config.public_url.trim_end_matches('/'), tenant.id),
                "iat": iat,
                "nbf": iat,
                "exp": iat + ACCESS_TOKEN_SECONDS,
                "sub": self.pairwise_subject(tenant.id, user.id, app.app_id),
                "oid": user.id.to_string(),
                "tid": tenant.id.to_string(),
                "ver": "2.0",
                "uti": portico_crypto::secret::random_token(16),
                "auth_time": grant.auth_time,
                "amr": grant.amr,
            });
            if let Some(map) = id.as_object_mut() {
                map.insert("acct".into(), Value::from(acct));
                if let Some(idp) = &idp {
                    map.insert("idp".into(), Value::from(idp.clone()));
                }
                if let Some(n) = nonce {
                    map.insert("nonce".into(), Value::from(n));
                }
                if let Some(sid) = &sid {
                    map.insert("sid".into(), Value::from(sid.clone()));
                }
                if has("profile") {
                    map.insert("name".into(), Value::from(user.display_name.clone()));
                    map.insert(
                        "preferred_username".into(),
                        Value::from(user.user_principal_name.clone()),
                    );
                }
                if has("email")
                    && let Some(mail) = &user.mail
                {
                    map.insert("email".into(), Value::from(mail.clone()));
                }
            }
            Some(
                key.sign_jwt(&id)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            )
        } else {
            None
        };
        let refresh_token = if grant.offline() {
            let token = routed_token(tenant.id, 48);
            match self
                .store
                .insert_refresh_token(
                    tenant.id,
                    &self.keys.hash_secret(&token),
                    family,
                    grant,
                    now,
                    now + REFRESH_TOKEN_LIFETIME,
                )
                .await
            {
                Ok(()) => Some(token),
                Err(StoreError::NotFound(_)) => {
                    return Err(invalid_grant(
                        "AADSTS50173: The grant was revoked while the request was processed. Sign in again.",
                    ));
                }
                Err(e) => return Err(AppError::from(e).into()),
            }
        } else {
            None
        };
        let mut scope: Vec<String> = grant
            .resource_scopes
            .iter()
            .map(|s| format!("{resource_prefix}{s}"))
            .collect();
        scope.extend(grant.oidc_scopes.iter().cloned());
        let client_info = want_client_info.then(|| {
            URL_SAFE_NO_PAD.encode(
                json!({"uid": user.id.to_string(), "utid": tenant.id.to_string()}).to_string(),
            )
        });
        Ok(UserTokens {
            access_token,
            expires_in: ACCESS_TOKEN_SECONDS,
            scope: scope.join(" "),
            id_token,
            refresh_token,
            client_info,
        })
    }

    /// Values of the app roles a user holds (directly) on a resource.
    async fn user_roles_on(
        &self,
        tenant: &Tenant,
        user: &User,
        resource: AppId,
        app: Option<&Application>,
    ) -> Result<Vec<String>, AppError> {
        let Some(app) = app.filter(|_| resource != GRAPH_APP_ID) else {
            return Ok(Vec::new());
        };
        let sp = match self
            .store
            .find_service_principal_by_app_id(tenant.id, resource)
            .await
        {
            Ok(sp) => sp,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let assigned = self
            .store
            .app_role_assignments_of(tenant.id, user.id.0, Some(sp.id))
            .await?;
        let mut roles: Vec<String> = app
            .app_roles
            .iter()
            .filter(|r| r.is_enabled && r.allowed_member_types.iter().any(|t| t == "User"))
            .filter(|r| assigned.iter().any(|a| a.app_role_id == r.id))
            .filter_map(|r| r.value.clone())
            .collect();
        roles.sort_unstable();
        Ok(roles)
    }

    /// The userinfo answer for a bearer access token, or why it is refused (for
    /// `WWW-Authenticate: Bearer error="invalid_token"`).
    pub async fn userinfo(&self, bearer: &str) -> Result<Value, String> {
        if bearer.is_empty() || bearer.len() > 16 * 1024 {
            return Err("The access token is missing or malformed.".into());
        }
        let Some(claims) = self.verify_own_jwt(bearer).await else {
            return Err("The access token's signature is not valid.".into());
        };
        let now = self.clock.now().unix_timestamp();
        if claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_none_or(|e| e <= now)
        {
            return Err("The access token has expired.".into());
        }
        if claims
            .get("nbf")
            .and_then(Value::as_i64)
            .is_some_and(|n| n > now + 300)
        {
            return Err("The access token is not valid yet.".into());
        }
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if !well_known::is_graph_resource(aud, &self.config.public_url) {
            return Err("The access token's audience is not this userinfo endpoint: request a token for Microsoft Graph (openid profile email).".into());
        }
        if claims.get("idtyp").and_then(Value::as_str) != Some("user") {
            return Err("The access token was not issued to a user.".into());
        }
        let scp = claims.get("scp").and_then(Value::as_str).unwrap_or("");
        if !scp.split_whitespace().any(|s| s == "openid") {
            return Err("The access token lacks the openid scope.".into());
        }
        let parse = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<uuid::Uuid>().ok())
        };
        let (Some(tid), Some(oid), Some(azp)) = (parse("tid"), parse("oid"), parse("azp")) else {
            return Err("The access token lacks tid, oid or azp.".into());
        };
        let user = match self.store.get_user(TenantId(tid), UserId(oid)).await {
            Ok(u) if u.account_enabled => u,
            _ => return Err("The user no longer exists or is disabled.".into()),
        };
        let mut out = json!({
            "sub": self.pairwise_subject(TenantId(tid), user.id, AppId(azp)),
        });
        let profile = scp.split_whitespace().any(|s| s == "profile");
        if let Some(map) = out.as_object_mut() {
            if profile {
                map.insert("name".into(), Value::from(user.display_name.clone()));
            }
            if let Some(g) = user.given_name.as_ref().filter(|_| profile) {
                map.insert("given_name".into(), Value::from(g.clone()));
            }
            if let Some(f) = user.surname.as_ref().filter(|_| profile) {
                map.insert("family_name".into(), Value::from(f.clone()));
            }
            if scp.split_whitespace().any(|s| s == "email")
                && let Some(m) = &user.mail
            {
                map.insert("email".into(), Value::from(m.clone()));
            }
        }
        Ok(out)
    }
}

impl App {
    /// `acct` (0 member, 1 guest) and, for guests, `idp`: the issuer that authenticated them —
    /// `mail` for email passcodes, the home tenant's issuer for a tenant on this instance.
    async fn account_claims(&self, user: &portico_domain::user::User) -> (u8, Option<String>) {
        if user.user_type != portico_domain::user::UserType::Guest {
            return (0, None);
        }
        let idp = match crate::redeem::realm::external_identity(user) {
            Some(i) if i.issuer == crate::redeem::realm::MAIL_ISSUER => Some(i.issuer.clone()),
            Some(i) => match self.resolve_tenant(&i.issuer).await {
                Ok(home) => Some(format!(
                    "{}/{}/v2.0",
                    self.config.public_url.trim_end_matches('/'),
                    home.id
                )),
                Err(_) => Some(i.issuer.clone()),
            },
            None => None,
        };
        (1, idp)
    }
}
