//! The sign-in steps, one public method per page the browser posts, each returning what to
//! show next.

use super::consent::Resolved;
use super::flow::Flow;
use super::realm::Realm;
use super::request::{self, AuthorizeParams, Prompt, RequestError};
use super::{AuthResponse, Browser, CODE_LIFETIME, Next, Page, Screen, Step};
use crate::{App, AppError};
use portico_domain::application::Application;
use portico_domain::grant::AuthorizationGrant;
use portico_domain::signin::{Session, codes};
use portico_domain::tenant::Tenant;
use portico_domain::user::User;
use portico_domain::well_known::{PORTAL_APP_ID, portal_application};
use portico_domain::{TokenFamilyId, validate};
use portico_store::StoreError;

pub(super) const WRONG_PASSWORD: &str = "Your account or password is incorrect. If you don't remember your password, ask your administrator to reset it.";
pub(super) const LOCKED: &str = "Your account is temporarily locked to prevent unauthorized use. Try again later, and if you still have trouble, contact your admin.";
pub(super) const USED_FORM: &str =
    "This sign-in page was already used. Go back to the application and sign in again.";
pub(super) const UNKNOWN_USER: &str =
    "We couldn't find an account with that username. Check it and try again, or ask your admin.";

pub(super) fn error_response(flow: &Flow, error: &str, description: &str) -> Next {
    let mut params = vec![
        ("error".to_owned(), error.to_owned()),
        ("error_description".to_owned(), description.to_owned()),
    ];
    if let Some(s) = &flow.req.state {
        params.push(("state".into(), s.clone()));
    }
    Next::Respond(AuthResponse {
        redirect_uri: flow.req.redirect_uri.clone(),
        mode: flow.req.response_mode,
        params,
    })
}

/// Validates the request against the client's registration; the error is what to answer.
pub(super) fn validated(
    params: &AuthorizeParams,
    app: &Application,
) -> Result<super::request::AuthorizeRequest, Box<Step>> {
    match request::validate(params, app) {
        Ok(r) => Ok(r),
        Err(RequestError::Page(m)) => Err(Box::new(Step::next(Next::Error(m)))),
        Err(RequestError::Redirect {
            redirect_uri,
            mode,
            state,
            error,
        }) => {
            let mut p = vec![
                ("error".to_owned(), error.error.to_owned()),
                ("error_description".to_owned(), error.description),
            ];
            if let Some(s) = state {
                p.push(("state".into(), s));
            }
            Err(Box::new(Step::next(Next::Respond(AuthResponse {
                redirect_uri,
                mode,
                params: p,
            }))))
        }
    }
}

impl App {
    pub(super) fn screen(
        &self,
        tenant: &Tenant,
        flow: &Flow,
        page: Page,
    ) -> Result<Step, AppError> {
        Ok(Step::next(Next::Show(Screen {
            tenant: Some(tenant.id),
            tenant_name: tenant
                .branding
                .name
                .clone()
                .unwrap_or_else(|| tenant.display_name.clone()),
            flow: self.seal_flow(tenant.id, flow)?,
            page,
        })))
    }

    /// The client as this tenant sees it (see `multitenant`), with its service principal.
    /// With `provision` (the user has authenticated) a multi-tenant app gets one in this
    /// tenant if it has none; without, a transient stand-in (enabled, stored nowhere) serves the
    /// checks made before sign-in, so that nobody can create service principals by visiting
    /// authorization URLs.
    async fn client_application(
        &self,
        tenant: &Tenant,
        app_id: portico_domain::AppId,
        provision: bool,
    ) -> Result<Option<(Application, portico_domain::application::ServicePrincipal)>, AppError>
    {
        if app_id == PORTAL_APP_ID {
            let app = portal_application(tenant.id, &self.config.public_url);
            let sp = portico_domain::application::ServicePrincipal::for_application(
                app_id,
                &app.display_name,
                tenant.id,
                self.clock.now(),
            );
            return Ok(Some((app, sp)));
        }
        let Some(client) = self.client_in_tenant(tenant.id, app_id).await? else {
            return Ok(None);
        };
        let sp = match (&client.service_principal, provision) {
            (Some(sp), _) => sp.clone(),
            (None, true) => self.provision_service_principal(tenant, &client).await?,
            (None, false) => portico_domain::application::ServicePrincipal::for_application(
                app_id,
                &client.app.display_name,
                client.home,
                self.clock.now(),
            ),
        };
        Ok(Some((client.app, sp)))
    }

    /// `GET|POST /authorize`: validates the request and signs in with the session, or shows
    /// the first page. `session_token` is the tenant's session cookie, if any.
    pub async fn authorize_request(
        &self,
        tenant: &Tenant,
        params: &AuthorizeParams,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let client_id = match request::parse_client_id(params) {
            Ok(c) => c,
            Err(RequestError::Page(m)) => return Ok(Step::next(Next::Error(m))),
            Err(RequestError::Redirect { .. }) => {
                return Ok(Step::next(Next::Error("Invalid request.".into())));
            }
        };
        let Some((app, sp)) = self.client_application(tenant, client_id, false).await? else {
            return Ok(Step::next(Next::Error(format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'. The application may not have been installed by the administrator of the tenant, or you may have sent your sign-in request to the wrong tenant.",
                tenant.display_name
            ))));
        };
        let req = match validated(params, &app) {
            Ok(r) => r,
            Err(step) => return Ok(*step),
        };
        let mut flow = self.new_flow(req, browser);
        if !sp.account_enabled {
            return Ok(Step::next(error_response(
                &flow,
                "unauthorized_client",
                &format!("AADSTS7000112: Application '{}' is disabled.", app.app_id),
            )));
        }
        // Unknown resources and scopes are refused before anyone signs in.
        if let Err(e) = self
            .resolve_scopes(tenant, &app, sp, &flow.req.scopes, None)
            .await?
        {
            return Ok(Step::next(error_response(&flow, e.error, &e.description)));
        }
        if let Some((session, user)) = self.session_from_cookie(tenant.id, session_token).await? {
            let fresh_enough = flow
                .req
                .max_age
                .is_none_or(|m| (self.clock.now() - session.auth_time).whole_seconds() <= m);
            if flow.req.has_prompt(Prompt::SelectAccount) {
                return self.screen(
                    tenant,
                    &flow,
                    Page::Username {
                        hint: Some(user.user_principal_name.clone()),
                        error: None,
                    },
                );
            }
            if !flow.req.has_prompt(Prompt::Login) && fresh_enough {
                let hint_matches = flow.req.login_hint.as_deref().is_none_or(|h| {
                    h.eq_ignore_ascii_case(&user.user_principal_name)
                        || user
                            .mail
                            .as_deref()
                            .is_some_and(|m| m.eq_ignore_ascii_case(h))
                });
                if hint_matches {
                    flow.user = Some(user.id);
                    flow.username = Some(user.user_principal_name.clone());
                    self.log_sign_in(
                        tenant,
                        browser,
                        Some(&user),
                        None,
                        Some((app.app_id, &app.display_name)),
                        false,
                        codes::SUCCESS,
                        None,
                    )
                    .await?;
                    return self
                        .after_authentication(tenant, flow, &app, &user, &session, browser)
                        .await;
                }
            }
        }
        if flow.req.has_prompt(Prompt::None) {
            return Ok(Step::next(error_response(
                &flow,
                "login_required",
                "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
            )));
        }
        if let Some(hint) = flow.req.login_hint.clone()
            && !self.address_locked(tenant, browser).await?
        {
            match self.home_realm(tenant, &hint).await? {
                Realm::Password(user) => {
                    flow.user = Some(user.id);
                    flow.username = Some(hint.clone());
                    return self.screen(
                        tenant,
                        &flow,
                        Page::Password {
                            username: hint,
                            error: None,
                        },
                    );
                }
                // a guest named by the hint goes straight to its way of signing in
                Realm::NoPassword(user)
                    if user.user_type == portico_domain::user::UserType::Guest =>
                {
                    flow.user = Some(user.id);
                    flow.username = Some(hint);
                    return self.guest_start(tenant, flow, &user, browser).await;
                }
                _ => {}
            }
        }
        let hint = flow.req.login_hint.clone();
        self.screen(tenant, &flow, Page::Username { hint, error: None })
    }

    /// The username page was posted.
    pub async fn signin_username(
        &self,
        tenant: &Tenant,
        sealed: &str,
        username: &str,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let mut flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let username = username.trim();
        if username.is_empty() {
            return self.screen(
                tenant,
                &flow,
                Page::Username {
                    hint: None,
                    error: Some("Enter a valid email address or username.".into()),
                },
            );
        }
        if username.len() > super::realm::MAX_USERNAME {
            return self.screen(
                tenant,
                &flow,
                Page::Username {
                    hint: None,
                    error: Some("That username is too long.".into()),
                },
            );
        }
        // An address that looked up too many unknown names learns nothing more for a while.
        if self.address_locked(tenant, browser).await? {
            return self.screen(
                tenant,
                &flow,
                Page::Username {
                    hint: Some(username.to_owned()),
                    error: Some(LOCKED.into()),
                },
            );
        }
        match self.home_realm(tenant, username).await? {
            Realm::Password(user) => {
                // Choosing the account already signed in continues without a password.
                if !flow.req.has_prompt(Prompt::Login)
                    && let Some((session, current)) =
                        self.session_from_cookie(tenant.id, session_token).await?
                    && current.id == user.id
                    && flow
                        .req
                        .max_age
                        .is_none_or(|m| (self.clock.now() - session.auth_time).whole_seconds() <= m)
                    && let Some((app, _)) = self
                        .client_application(tenant, flow.req.client_app_id, false)
                        .await?
                {
                    flow.user = Some(user.id);
                    flow.username = Some(username.to_owned());
                    return self
                        .after_authentication(tenant, flow, &app, &current, &session, browser)
                        .await;
                }
                flow.user = Some(user.id);
                flow.username = Some(username.to_owned());
                self.screen(
                    tenant,
                    &flow,
                    Page::Password {
                        username: username.to_owned(),
                        error: None,
                    },
                )
            }
            Realm::NoPassword(user) if user.user_type == portico_domain::user::UserType::Guest => {
                flow.user = Some(user.id);
                flow.username = Some(username.to_owned());
                self.guest_start(tenant, flow, &user, browser).await
            }
            Realm::NoPassword(user) => {
                self.log_sign_in(tenant, browser, Some(&user), Some(username), Some((flow.req.client_app_id, &flow.req.client_name)), true, codes::NO_PASSWORD, Some("The account has no password; it signs in with another identity provider or an invitation.")).await?;
                self.screen(tenant, &flow, Page::Username { hint: Some(username.to_owned()), error: Some("This account can't sign in with a password here. Use the invitation you received, or ask your admin.".into()) })
            }
            _ => {
                self.log_sign_in(
                    tenant,
                    browser,
                    None,
                    Some(username),
                    Some((flow.req.client_app_id, &flow.req.client_name)),
                    true,
                    codes::USER_NOT_FOUND,
                    Some("User account not found in the directory."),
                )
                .await?;
                let error = if self.count_unknown_user(tenant, browser).await? {
                    UNKNOWN_USER
                } else {
                    LOCKED
                };
                self.screen(
                    tenant,
                    &flow,
                    Page::Username {
                        hint: Some(username.to_owned()),
                        error: Some(error.into()),
                    },
                )
            }
        }
    }

    /// The password page was posted.
    pub async fn signin_password(
        &self,
        tenant: &Tenant,
        sealed: &str,
        password: &str,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let (Some(user_id), Some(username)) = (flow.user, flow.username.clone()) else {
            return self.screen(
                tenant,
                &flow,
                Page::Username {
                    hint: None,
                    error: None,
                },
            );
        };
        let user = match self.store.get_user(tenant.id, user_id).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => {
                return self.screen(
                    tenant,
                    &flow,
                    Page::Username {
                        hint: None,
                        error: Some(UNKNOWN_USER.into()),
                    },
                );
            }
            Err(e) => return Err(e.into()),
        };
        let app_ref = Some((flow.req.client_app_id, flow.req.client_name.as_str()));
        let attempt = self.begin_password_attempt(tenant, &user, browser).await?;
        if attempt.locked {
            self.log_sign_in(tenant, browser, Some(&user), None, app_ref, true, codes::LOCKED, Some("Account is locked because the user tried to sign in too many times with an incorrect user ID or password.")).await?;
            return self.screen(
                tenant,
                &flow,
                Page::Password {
                    username,
                    error: Some(LOCKED.into()),
                },
            );
        }
        let hash = self.store.password_hash(tenant.id, user.id).await?;
        let ok = match (&hash, password.chars().count()) {
            (Some(h), 1..=256) => self.passwords.verify(password, h).await?,
            _ => false,
        };
        if !ok {
            self.password_failed(attempt).await;
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                None,
                app_ref,
                true,
                codes::INVALID_PASSWORD,
                Some("Error validating credentials due to invalid username or password."),
            )
            .await?;
            return self.screen(
                tenant,
                &flow,
                Page::Password {
                    username,
                    error: Some(WRONG_PASSWORD.into()),
                },
            );
        }
        self.password_succeeded(tenant, &user, browser, attempt)
            .await?;
        if !self.consume_flow(tenant.id, &flow, "password").await? {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        }
        if !user.account_enabled {
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                None,
                app_ref,
                true,
                codes::DISABLED,
                Some("User account is disabled."),
            )
            .await?;
            return Ok(Step::next(Next::Error(
                "AADSTS50057: Your account has been disabled. Contact your administrator.".into(),
            )));
        }
        if user.force_change_password_next_sign_in {
            if flow.req.has_prompt(Prompt::None) {
                return Ok(Step::next(error_response(
                    &flow,
                    "interaction_required",
                    "AADSTS50055: The password must be changed.",
                )));
            }
            let mut flow = flow;
            flow.pwd_verified_at = Some(self.clock.now().unix_timestamp());
            return self.screen(
                tenant,
                &flow,
                Page::ChangePassword {
                    username,
                    error: None,
                },
            );
        }
        self.finish_password(tenant, flow, &user, browser, session_token)
            .await
    }

    /// The forced password change page was posted.
    pub async fn signin_change_password(
        &self,
        tenant: &Tenant,
        sealed: &str,
        new_password: &str,
        confirm: &str,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let (Some(user_id), Some(username), Some(_)) =
            (flow.user, flow.username.clone(), flow.pwd_verified_at)
        else {
            return Ok(Step::next(Next::Error("Your sign-in session has expired or is not valid. Go back to the application and sign in again.".into())));
        };
        let user = match self.store.get_user(tenant.id, user_id).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => return Ok(Step::next(Next::Error(USED_FORM.into()))),
            Err(e) => return Err(e.into()),
        };
        // The change is only for the user who just proved the old password and still has to
        // change it, while the account is usable.
        if !user.force_change_password_next_sign_in || !user.account_enabled {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        }
        if self.lockout_gate(tenant, &user, browser).await? == super::lockout::Gate::Locked {
            return Ok(Step::next(Next::Error(LOCKED.into())));
        }
        if new_password != confirm {
            return self.screen(
                tenant,
                &flow,
                Page::ChangePassword {
                    username,
                    error: Some("The passwords don't match.".into()),
                },
            );
        }
        if let Err(e) = validate::password_strength(new_password) {
            return self.screen(
                tenant,
                &flow,
                Page::ChangePassword {
                    username,
                    error: Some(e.message),
                },
            );
        }
        if let Some(old) = self.store.password_hash(tenant.id, user.id).await?
            && self.passwords.verify(new_password, &old).await?
        {
            return self.screen(
                tenant,
                &flow,
                Page::ChangePassword {
                    username,
                    error: Some("Choose a password different from your current one.".into()),
                },
            );
        }
        if !self
            .consume_flow(tenant.id, &flow, "change-password")
            .await?
        {
            return Ok(Step::next(Next::Error(USED_FORM.into())));
        }
        let hash = self.passwords.hash(new_password).await?;
        let audit = crate::Context {
            actor: crate::Actor::User {
                tenant: tenant.id,
                id: user.id,
                user_principal_name: user.user_principal_name.clone(),
            },
            correlation_id: browser.correlation_id,
        }
        .audit(
            self,
            portico_domain::audit::AuditCategory::UserManagement,
            "Change user password",
            "Update",
        )
        .target_user(user.id, &user.user_principal_name, &user.display_name);
        let now = self.clock.now();
        self.store
            .set_password(tenant.id, user.id, &hash, false, now, &audit)
            .await?;
        self.store
            .revoke_user_sessions(tenant.id, user.id, now)
            .await?;
        let user = User {
            force_change_password_next_sign_in: false,
            ..user
        };
        self.finish_password(tenant, flow, &user, browser, session_token)
            .await
    }

    async fn finish_password(
        &self,
        tenant: &Tenant,
        flow: Flow,
        user: &User,
        browser: &Browser,
        replaced: Option<&str>,
    ) -> Result<Step, AppError> {
        self.finish_authentication(tenant, flow, user, browser, replaced, "pwd", None)
            .await
    }

    /// The user just proved who they are with `method` (`amr`): a fresh session, the
    /// sign-in log, then consent and the code.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish_authentication(
        &self,
        tenant: &Tenant,
        flow: Flow,
        user: &User,
        browser: &Browser,
        replaced: Option<&str>,
        method: &str,
        upstream: Option<&portico_domain::signin::UpstreamAuth>,
    ) -> Result<Step, AppError> {
        // A fresh session each time credentials are entered (no fixation). A session the
        // browser held for someone else ends; the same user's earlier session stays, so
        // re-entering a password for one app does not revoke another app's refresh tokens.
        if let Some((old, holder)) = self.session_from_cookie(tenant.id, replaced).await?
            && holder.id != user.id
        {
            self.store
                .revoke_session(tenant.id, old.id, self.clock.now())
                .await?;
        }
        let (session, cookie) = self
            .start_session_with(tenant, user, browser, method, upstream)
            .await?;
        self.log_sign_in(
            tenant,
            browser,
            Some(user),
            None,
            Some((flow.req.client_app_id, &flow.req.client_name)),
            true,
            codes::SUCCESS,
            None,
        )
        .await?;
        let Some((app, _)) = self
            .client_application(tenant, flow.req.client_app_id, false)
            .await?
        else {
            return Ok(Step {
                next: Next::Error("The application was removed while you were signing in.".into()),
                session: Some(cookie),
            });
        };
        let mut step = self
            .after_authentication(tenant, flow, &app, user, &session, browser)
            .await?;
        step.session = Some(cookie);
        Ok(step)
    }

    /// The consent page was posted.
    pub async fn signin_consent(
        &self,
        tenant: &Tenant,
        sealed: &str,
        accept: bool,
        browser: &Browser,
        session_token: Option<&str>,
    ) -> Result<Step, AppError> {
        let flow = match self.open_flow(tenant.id, sealed, browser) {
            Ok(f) => f,
            Err(m) => return Ok(Step::next(Next::Error(m))),
        };
        let Some((session, user)) = self.session_from_cookie(tenant.id, session_token).await?
        else {
            return Ok(Step::next(Next::Error(
                "You are not signed in any more. Go back to the application and sign in again."
                    .into(),
            )));
        };
        if flow.user != Some(user.id) {
            return Ok(Step::next(Next::Error("You signed in as someone else in another window. Go back to the application and sign in again.".into())));
        }
        let Some((app, sp)) = self
            .client_application(tenant, flow.req.client_app_id, false)
            .await?
        else {
            return Ok(Step::next(Next::Error(
                "The application was removed while you were signing in.".into(),
            )));
        };
        if !accept {
            self.log_sign_in(
                tenant,
                browser,
                Some(&user),
                None,
                Some((app.app_id, &app.display_name)),
                true,
                codes::CONSENT_DECLINED,
                Some("User declined to consent to access the app."),
            )
            .await?;
            return Ok(Step::next(error_response(
                &flow,
                "access_denied",
                "AADSTS65004: User declined to consent to access the app.",
            )));
        }
        let resolved = match self
            .resolve_scopes(tenant, &app, sp, &flow.req.scopes, Some(&user))
            .await?
        {
            Ok(r) => r,
            Err(e) => return Ok(Step::next(error_response(&flow, e.error, &e.description))),
        };
        let items = self
            .missing_consent(
                tenant,
                &user,
                &resolved,
                flow.req.has_prompt(Prompt::Consent),
            )
            .await?;
        let needs_admin = items.iter().any(|i| i.admin_only);
        let admin = self.may_consent_for_organization(tenant, &user).await?;
        if needs_admin && !admin {
            return Ok(Step::next(Next::Error(format!(
                "Need admin approval: '{}' needs permission to access resources in your organization that only an admin can grant. Ask an admin to grant permission to this app before you can use it.",
                app.display_name
            ))));
        }
        // Only consent gives a multi-tenant app a service principal in this tenant (as in
        // Entra): the grants then name the stored one.
        let stored = match self
            .store
            .find_service_principal_by_app_id(tenant.id, app.app_id)
            .await
        {
            Ok(sp) => sp.id == resolved.client_sp.id,
            Err(StoreError::NotFound(_)) => false,
            Err(e) => return Err(e.into()),
        };
        let resolved = if stored {
            resolved
        } else {
            let Some((_, sp)) = self
                .client_application(tenant, flow.req.client_app_id, true)
                .await?
            else {
                return Ok(Step::next(Next::Error(
                    "The application was removed while you were signing in.".into(),
                )));
            };
            match self
                .resolve_scopes(tenant, &app, sp, &flow.req.scopes, Some(&user))
                .await?
            {
                Ok(r) => r,
                Err(e) => return Ok(Step::next(error_response(&flow, e.error, &e.description))),
            }
        };
        self.record_consent(tenant, &user, &resolved, &items, needs_admin && admin)
            .await?;
        self.complete(tenant, &flow, &user, &session, &resolved)
            .await
    }

    /// The user is known and authenticated: consent if needed, then answer the client.
    async fn after_authentication(
        &self,
        tenant: &Tenant,
        flow: Flow,
        app: &Application,
        user: &User,
        session: &Session,
        _browser: &Browser,
    ) -> Result<Step, AppError> {
        // Portico's own pages: signed in, back to the page (the session cookie is what they
        // read; no code, no consent).
        if app.app_id == PORTAL_APP_ID {
            return Ok(Step::next(Next::Redirect(flow.req.redirect_uri.clone())));
        }
        let sp = match self.client_application(tenant, app.app_id, false).await {
            Ok(Some((_, sp))) if sp.account_enabled => sp,
            Ok(_) => {
                return Ok(Step::next(error_response(
                    &flow,
                    "unauthorized_client",
                    &format!("AADSTS7000112: Application '{}' is disabled.", app.app_id),
                )));
            }
            Err(e) => return Err(e),
        };
        if sp.app_role_assignment_required
            && self
                .store
                .app_role_assignments_of(tenant.id, user.id.0, Some(sp.id))
                .await?
                .is_empty()
        {
            let text = format!(
                "AADSTS50105: Your administrator has configured the application {} to block users unless they are specifically granted access to it.",
                app.display_name
            );
            // A silent request gets its answer at the redirect URI, never a page.
            if flow.req.has_prompt(Prompt::None) {
                return Ok(Step::next(error_response(
                    &flow,
                    "interaction_required",
                    &text,
                )));
            }
            return Ok(Step::next(Next::Error(text)));
        }
        let resolved = match self
            .resolve_scopes(tenant, app, sp, &flow.req.scopes, Some(user))
            .await?
        {
            Ok(r) => r,
            Err(e) => return Ok(Step::next(error_response(&flow, e.error, &e.description))),
        };
        let items = self
            .missing_consent(
                tenant,
                user,
                &resolved,
                flow.req.has_prompt(Prompt::Consent),
            )
            .await?;
        if !items.is_empty() {
            if flow.req.has_prompt(Prompt::None) {
                return Ok(Step::next(error_response(
                    &flow,
                    "consent_required",
                    "AADSTS65001: The user or administrator has not consented to use the application.",
                )));
            }
            let needs_admin = items.iter().any(|i| i.admin_only);
            if needs_admin && !self.may_consent_for_organization(tenant, user).await? {
                return Ok(Step::next(Next::Error(format!(
                    "Need admin approval: '{}' needs permission to access resources in your organization that only an admin can grant. Ask an admin to grant permission to this app before you can use it.",
                    app.display_name
                ))));
            }
            let for_organization = items.iter().any(|i| i.admin_only)
                && self.may_consent_for_organization(tenant, user).await?;
            let username = user.user_principal_name.clone();
            return self.screen(
                tenant,
                &flow,
                Page::Consent {
                    username,
                    client_name: app.display_name.clone(),
                    client_app_id: app.app_id.to_string(),
                    items,
                    for_organization,
                },
            );
        }
        self.complete(tenant, &flow, user, session, &resolved).await
    }

    /// Issues the code and answers the client.
    async fn complete(
        &self,
        tenant: &Tenant,
        flow: &Flow,
        user: &User,
        session: &Session,
        r: &Resolved,
    ) -> Result<Step, AppError> {
        let now = self.clock.now();
        let grant = AuthorizationGrant {
            client_app_id: flow.req.client_app_id,
            user_id: user.id,
            session_id: Some(session.id),
            resource_app_id: r.resource_app.app_id,
            resource_scopes: r.values.clone(),
            oidc_scopes: r.oidc.clone(),
            redirect_uri: Some(flow.req.redirect_uri.clone()),
            code_challenge: flow.req.code_challenge.clone(),
            nonce: flow.req.nonce.clone(),
            auth_time: session.auth_time.unix_timestamp(),
            amr: session.auth_methods.clone(),
        };
        let code = crate::user_tokens::routed_token(tenant.id, 32);
        self.store
            .insert_authorization_code(
                tenant.id,
                &self.keys.hash_secret(&code),
                TokenFamilyId::new(),
                &grant,
                now,
                now + CODE_LIFETIME,
            )
            .await?;
        let mut params = vec![("code".to_owned(), code)];
        if let Some(s) = &flow.req.state {
            params.push(("state".into(), s.clone()));
        }
        Ok(Step::next(Next::Respond(AuthResponse {
            redirect_uri: flow.req.redirect_uri.clone(),
            mode: flow.req.response_mode,
            params,
        })))
    }
}
