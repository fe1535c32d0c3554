//! Sign-in through the tenant-less `common` and `organizations` endpoints, for multi-tenant
//! applications, as Entra does it: the user's tenant is unknown until they type their name;
//! home realm discovery then finds it by the name's domain, and the sign-in continues in that
//! tenant (tokens are issued there, with its issuer).

use super::request::{self, AuthorizeParams, Prompt, RequestError};
use super::steps::{UNKNOWN_USER, error_response, validated};
use super::{Browser, Next, Page, Screen, Step};
use crate::multitenant::MULTI_TENANT;
use crate::{App, AppError};
use portico_domain::TenantId;
use portico_domain::validate::DomainName;
use portico_store::StoreError;

/// The sealing context of flows that have no tenant yet.
const NO_TENANT: TenantId = TenantId(uuid::Uuid::nil());

impl App {
    /// `/common/oauth2/v2.0/authorize` (and `organizations`). `sessions` are the browser's
    /// session cookies by tenant: a live one signs in at once.
    pub async fn authorize_request_common(
        &self,
        params: &AuthorizeParams,
        browser: &Browser,
        sessions: &[(TenantId, String)],
    ) -> Result<Step, AppError> {
        let client_id = match request::parse_client_id(params) {
            Ok(c) => c,
            Err(RequestError::Page(m)) => return Ok(Step::next(Next::Error(m))),
            Err(RequestError::Redirect { .. }) => {
                return Ok(Step::next(Next::Error("Invalid request.".into())));
            }
        };
        let home = match self.store.application_home(client_id).await {
            Ok(h) => h,
            Err(StoreError::NotFound(_)) => {
                return Ok(Step::next(Next::Error(format!(
                    "AADSTS700016: Application with identifier '{client_id}' was not found in any directory."
                ))));
            }
            Err(e) => return Err(e.into()),
        };
        let app = self
            .store
            .find_application_by_app_id(home, client_id)
            .await?;
        if app.sign_in_audience != MULTI_TENANT {
            return Ok(Step::next(Next::Error(format!(
                "AADSTS50194: Application '{client_id}' ({}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications. Use a tenant-specific endpoint.",
                app.display_name
            ))));
        }
        // A live session continues in its tenant, unless the app asks to choose or re-enter
        // the account, or hints at someone else.
        let fresh = params.prompt.as_deref().is_some_and(|p| {
            p.split_whitespace()
                .any(|v| v == "login" || v == "select_account")
        });
        let hint = params
            .login_hint
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty());
        if !fresh {
            for (tenant_id, token) in sessions {
                let Some((_, user)) = self.session_from_cookie(*tenant_id, Some(token)).await?
                else {
                    continue;
                };
                let hinted = hint.is_none_or(|h| {
                    h.eq_ignore_ascii_case(&user.user_principal_name)
                        || user
                            .mail
                            .as_deref()
                            .is_some_and(|m| m.eq_ignore_ascii_case(h))
                });
                if hinted && let Ok(tenant) = self.store.get_tenant(*tenant_id).await {
                    return self
                        .authorize_request(&tenant, params, browser, Some(token))
                        .await;
                }
            }
        }
        let req = match validated(params, &app) {
            Ok(r) => r,
            Err(step) => return Ok(*step),
        };
        let flow = self.new_flow(req, browser);
        if flow.req.has_prompt(Prompt::None) {
            return Ok(Step::next(error_response(
                &flow,
                "login_required",
                "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
            )));
        }
        let hint = flow.req.login_hint.clone();
        self.common_screen(&flow, hint, None)
    }

    fn common_screen(
        &self,
        flow: &super::flow::Flow,
        hint: Option<String>,
        error: Option<String>,
    ) -> Result<Step, AppError> {
        Ok(Step::next(Next::Show(Screen {
            tenant: None,
            tenant_name: "Portico".into(),
            flow: self.seal_flow(NO_TENANT, flow)?,
            page: Page::Username { hint, error },
        })))
    }

    /// The username page of a tenant-less sign-in was posted: find the user's tenant by the
    /// domain of what they typed, and continue there.
    pub async fn signin_username_common(
        &self,
        sealed: &str,
        username: &str,
        browser: &Browser,
        sessions: &[(TenantId, String)],
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(NO_TENANT, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let username = username.trim();
        let tenant = match username
            .rsplit_once('@')
            .and_then(|(_, d)| DomainName::parse("username", d).ok())
        {
            Some(domain) => match self.store.find_tenant_by_domain(&domain).await {
                Ok(t) => Some(t),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let Some(tenant) = tenant else {
            return self.common_screen(
                &flow,
                Some(username.chars().take(256).collect()),
                Some(UNKNOWN_USER.into()),
            );
        };
        let token = sessions
            .iter()
            .find(|(t, _)| *t == tenant.id)
            .map(|(_, v)| v.as_str());
        let resealed = self.seal_flow(tenant.id, &flow)?;
        self.signin_username(&tenant, &resealed, username, browser, token)
            .await
    }
}
