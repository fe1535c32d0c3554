//! The authorization request: parameters as received, validated against the client's
//! registration. Errors before the redirect URI is trusted become an error page; later ones
//! go back to the client (RFC 6749 §4.1.2.1).

use portico_domain::AppId;
use portico_domain::application::Application;
use portico_domain::well_known::{OIDC_SCOPES, is_graph_resource};
use serde::{Deserialize, Serialize};

/// Longest accepted value of any authorization parameter.
pub const MAX_PARAM: usize = 2048;
/// Longest the parameters may be together (they travel sealed in every sign-in form).
const MAX_TOTAL: usize = 6 * 1024;
/// Most scope items in one request.
const MAX_SCOPES: usize = 50;

/// `/authorize` parameters as received (query or form).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `response_type`.
    pub response_type: Option<String>,
    /// `response_mode`.
    pub response_mode: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `domain_hint`.
    pub domain_hint: Option<String>,
    /// `max_age`.
    pub max_age: Option<String>,
}

/// How the response travels back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// In the redirect's query string.
    Query,
    /// As an auto-submitted HTML form POST.
    FormPost,
}

/// `prompt` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prompt {
    /// Ask for credentials even with a session.
    Login,
    /// Never show a page: fail if one would be needed.
    None,
    /// Show the consent page even if consent was given.
    Consent,
    /// Let the user pick or change the account.
    SelectAccount,
}

/// Which resource the non-OpenID scopes name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResourceName {
    /// Microsoft Graph (bare scope names, Graph's URI or appId, or Portico's URL).
    Graph,
    /// Another API, by identifier URI or appId.
    Named(String),
}

/// A parsed `scope` parameter: OpenID scopes, one resource and its scope values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRequest {
    /// `openid`, `profile`, `email`, `offline_access` as asked.
    pub oidc: Vec<String>,
    /// The resource.
    pub resource: ResourceName,
    /// Scope values on it (without the resource prefix).
    pub values: Vec<String>,
    /// `<resource>/.default` was asked: every statically configured or granted scope.
    pub default: bool,
}

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// The client.
    pub client_app_id: AppId,
    /// The client's name, for pages.
    pub client_name: String,
    /// Exactly as registered.
    pub redirect_uri: String,
    /// Whether the redirect URI is a public-client (native/SPA) one: PKCE is then required
    /// and the token request carries no secret.
    pub public_client: bool,
    /// Response mode.
    pub response_mode: ResponseMode,
    /// Scopes.
    pub scopes: ScopeRequest,
    /// The scope string as sent (echoed in pages and logs).
    pub scope_text: String,
    /// Client state, echoed.
    pub state: Option<String>,
    /// Nonce for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// Prompts.
    pub prompt: Vec<Prompt>,
    /// Username to prefill.
    pub login_hint: Option<String>,
    /// Where the user's account lives (kept for home realm discovery).
    pub domain_hint: Option<String>,
    /// Maximum seconds since the user last entered credentials.
    pub max_age: Option<i64>,
}

impl AuthorizeRequest {
    /// Whether `p` was asked.
    #[must_use]
    pub fn has_prompt(&self, p: Prompt) -> bool {
        self.prompt.contains(&p)
    }
}

/// An error sent back to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    /// OAuth error code.
    pub error: &'static str,
    /// For the developer.
    pub description: String,
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The client or redirect URI cannot be trusted: show a page, never redirect.
    Page(String),
    /// Send the error to the (trusted) redirect URI.
    Redirect {
        /// Where.
        redirect_uri: String,
        /// How.
        mode: ResponseMode,
        /// State to echo.
        state: Option<String>,
        /// What.
        error: RedirectError,
    },
}

fn too_long(v: &Option<String>) -> bool {
    v.as_ref().is_some_and(|s| s.len() > MAX_PARAM)
}

/// Step one: the client id, parsed. Errors are pages.
pub fn parse_client_id(p: &AuthorizeParams) -> Result<AppId, RequestError> {
    let raw = p
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| RequestError::Page("The request has no client_id. The application that sent you here must include its application (client) id.".into()))?;
    raw.parse().map_err(|_| {
        RequestError::Page(format!(
            "Application identifier '{}' is not a valid application (client) id.",
            raw.chars().take(100).collect::<String>()
        ))
    })
}

/// Step two: everything else, given the registered application.
pub fn validate(p: &AuthorizeParams, app: &Application) -> Result<AuthorizeRequest, RequestError> {
    let redirect_uri = p
        .redirect_uri
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            RequestError::Page(format!(
                "The request to application '{}' has no redirect_uri.",
                app.display_name
            ))
        })?;
    if redirect_uri.len() > MAX_PARAM {
        return Err(RequestError::Page("The redirect_uri is too long.".into()));
    }
    let uris = &app.redirect_uris;
    let web = uris.web.iter().any(|u| u == redirect_uri);
    let public_client = !web
        && (uris.public_client.iter().any(|u| u == redirect_uri)
            || uris.spa.iter().any(|u| u == redirect_uri));
    if !web && !public_client {
        return Err(RequestError::Page(format!(
            "The redirect URI '{}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application.",
            redirect_uri.chars().take(200).collect::<String>(),
            app.app_id
        )));
    }
    let mode = match p.response_mode.as_deref() {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(other) => Err(other),
    };
    let back =
        |mode: ResponseMode, error: &'static str, description: String| RequestError::Redirect {
            redirect_uri: redirect_uri.to_owned(),
            mode,
            state: p.state.clone().filter(|s| s.len() <= MAX_PARAM),
            error: RedirectError { error, description },
        };
    let mode = mode.map_err(|other| {
        back(
            ResponseMode::Query,
            "invalid_request",
            format!(
                "The response_mode '{}' is not supported; use query or form_post.",
                other.chars().take(50).collect::<String>()
            ),
        )
    })?;
    for (name, v) in [
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("scope", &p.scope),
        ("login_hint", &p.login_hint),
        ("domain_hint", &p.domain_hint),
        ("code_challenge", &p.code_challenge),
        ("prompt", &p.prompt),
    ] {
        if too_long(v) {
            return Err(back(
                mode,
                "invalid_request",
                format!("The {name} parameter is too long."),
            ));
        }
    }
    let total: usize = [
        &p.state,
        &p.nonce,
        &p.scope,
        &p.login_hint,
        &p.domain_hint,
        &p.code_challenge,
        &p.prompt,
    ]
    .iter()
    .filter_map(|v| v.as_ref().map(String::len))
    .sum::<usize>()
        + redirect_uri.len();
    if total > MAX_TOTAL {
        return Err(back(
            mode,
            "invalid_request",
            format!(
                "The request's parameters are too long together (more than {MAX_TOTAL} bytes)."
            ),
        ));
    }
    match p.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => {
            return Err(back(
                mode,
                "invalid_request",
                "The request must contain the response_type parameter (code).".into(),
            ));
        }
        Some(_) => {
            return Err(back(
                mode,
                "unsupported_response_type",
                "The only response_type supported is 'code'.".into(),
            ));
        }
    }
    let scope_text = p.scope.as_deref().unwrap_or("").trim().to_owned();
    if scope_text.is_empty() {
        return Err(back(
            mode,
            "invalid_request",
            "The request must contain a 'scope' parameter, e.g. 'openid profile'.".into(),
        ));
    }
    let scopes = parse_scopes(&scope_text).map_err(|d| back(mode, "invalid_scope", d))?;
    let code_challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
        (None | Some(""), None | Some("")) => None,
        (Some(c), Some("S256")) if is_pkce_value(c) && c.len() == 43 => Some(c.to_owned()),
        (Some(_), Some("S256")) => return Err(back(mode, "invalid_request", "The code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).".into())),
        (Some(_), None | Some("plain")) => return Err(back(mode, "invalid_request", "The code_challenge_method must be S256; 'plain' is not accepted.".into())),
        (_, Some(m)) => return Err(back(mode, "invalid_request", format!("The code_challenge_method '{}' is not supported; use S256 with a code_challenge.", m.chars().take(20).collect::<String>()))),
    };
    if public_client && code_challenge.is_none() {
        return Err(back(mode, "invalid_request", "Proof Key for Code Exchange is required for public clients: send code_challenge with code_challenge_method=S256.".into()));
    }
    let mut prompt = Vec::new();
    for v in p.prompt.as_deref().unwrap_or("").split_whitespace() {
        prompt.push(match v {
            "login" => Prompt::Login,
            "none" => Prompt::None,
            "consent" => Prompt::Consent,
            "select_account" => Prompt::SelectAccount,
            other => return Err(back(mode, "invalid_request", format!("Invalid value '{}' for the prompt parameter; use login, none, consent or select_account.", other.chars().take(30).collect::<String>()))),
        });
    }
    if prompt.contains(&Prompt::None) && prompt.len() > 1 {
        return Err(back(
            mode,
            "invalid_request",
            "prompt=none cannot be combined with other prompt values.".into(),
        ));
    }
    let max_age = match p
        .max_age
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            back(
                mode,
                "invalid_request",
                "max_age must be a whole number of seconds.".into(),
            )
        })?),
    };
    Ok(AuthorizeRequest {
        client_app_id: app.app_id,
        client_name: app.display_name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        public_client,
        response_mode: mode,
        scopes,
        scope_text,
        state: p.state.clone(),
        nonce: p.nonce.clone(),
        code_challenge,
        prompt,
        login_hint: p
            .login_hint
            .clone()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        domain_hint: p
            .domain_hint
            .clone()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        max_age,
    })
}

/// PKCE's alphabet (RFC 7636 §4.1).
#[must_use]
pub fn is_pkce_value(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Parses a `scope` string: OpenID scopes plus the scopes of exactly one resource, named by
/// prefix (`api://orders/Orders.Read`, `https://graph.microsoft.com/User.Read`) or bare
/// (`User.Read`, which means Graph, as in Entra).
pub fn parse_scopes(text: &str) -> Result<ScopeRequest, String> {
    let mut oidc = Vec::new();
    let mut resource: Option<ResourceName> = None;
    let mut values = Vec::new();
    let mut default = false;
    let items: Vec<&str> = text.split_whitespace().collect();
    if items.len() > MAX_SCOPES {
        return Err(format!(
            "At most {MAX_SCOPES} scopes may be requested at once."
        ));
    }
    for item in items {
        if OIDC_SCOPES.contains(&item) {
            if !oidc.iter().any(|s| s == item) {
                oidc.push(item.to_owned());
            }
            continue;
        }
        let (res, value) = match item.rsplit_once('/') {
            Some((prefix, value)) if !prefix.is_empty() && !value.is_empty() => {
                let prefix = prefix.trim_end_matches('/');
                let res = if is_graph_resource(prefix, "") {
                    ResourceName::Graph
                } else {
                    ResourceName::Named(prefix.to_owned())
                };
                (res, value)
            }
            Some(_) => {
                return Err(format!(
                    "The scope '{}' is not valid.",
                    item.chars().take(100).collect::<String>()
                ));
            }
            None => (ResourceName::Graph, item),
        };
        if let Some(prev) = &resource
            && *prev != res
        {
            return Err("AADSTS28000: The scope parameter names more than one resource. Request the scopes of one resource at a time.".into());
        }
        resource = Some(res);
        if value == ".default" {
            default = true;
        } else if !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
        }
    }
    Ok(ScopeRequest {
        oidc,
        resource: resource.unwrap_or(ResourceName::Graph),
        values,
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_into_one_resource() {
        let s = parse_scopes(
            "openid profile offline_access User.Read https://graph.microsoft.com/Mail.Read",
        )
        .unwrap();
        assert_eq!(s.oidc, vec!["openid", "profile", "offline_access"]);
        assert_eq!(s.resource, ResourceName::Graph);
        assert_eq!(s.values, vec!["User.Read", "Mail.Read"]);
        let s = parse_scopes("openid api://orders/Orders.Read api://orders/Orders.Write").unwrap();
        assert_eq!(s.resource, ResourceName::Named("api://orders".into()));
        assert_eq!(s.values.len(), 2);
        let s = parse_scopes("api://orders/.default").unwrap();
        assert!(s.default);
        assert!(s.values.is_empty());
        let s = parse_scopes("openid").unwrap();
        assert_eq!(s.resource, ResourceName::Graph);
        assert!(parse_scopes("User.Read api://orders/Orders.Read").is_err());
        assert!(parse_scopes("/x").is_err());
        assert!(parse_scopes(&"a ".repeat(51)).is_err());
    }

    #[test]
    fn pkce_alphabet() {
        assert!(is_pkce_value("abc-._~XYZ09"));
        assert!(!is_pkce_value("a b"));
        assert!(!is_pkce_value("a+b"));
    }
}
