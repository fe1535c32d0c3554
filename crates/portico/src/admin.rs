//! Operator commands (`portico tenant|user|group|domain|role|keys|app ...`). They act on the database
//! directly — with or without a running server — as the system actor "Portico CLI", through
//! the same use cases (and audit) as the API.

use crate::cli::AppCommand;
use crate::cli::{
    DomainCommand, GroupCommand, KeysCommand, PasswordArgs, RoleCommand, TenantArg, TenantCommand,
    UserCommand,
};
use crate::error::CliError;
use portico_app::domains::Verification;
use portico_app::{App, Context};
use portico_crypto::secret;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::NewGroup;
use portico_domain::paging::PageRequest;
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_domain::tenant::Tenant;
use portico_domain::user::{NewUser, User, UserFilter, UserType};
use portico_domain::{GroupId, RoleAssignmentId};
use std::io::BufRead;

fn ctx() -> Context {
    Context::system("Portico CLI")
}

pub(crate) async fn tenant(app: &App, arg: &TenantArg) -> Result<Tenant, CliError> {
    if let Some(t) = &arg.tenant {
        return app.resolve_tenant(t).await.map_err(|e| match e {
            portico_app::AppError::NotFound(_) => CliError::usage(format!(
                "no tenant has the id or verified domain '{t}'; see 'portico tenant list'"
            )),
            other => other.into(),
        });
    }
    let mut all = app.list_tenants().await?;
    match all.len() {
        0 => Err(CliError::usage(
            "there is no tenant yet: run 'portico serve' once (it creates one) or 'portico tenant create NAME'",
        )),
        1 => Ok(all.remove(0)),
        n => Err(CliError::usage(format!(
            "there are {n} tenants; choose one with --tenant ID|DOMAIN (see 'portico tenant list')"
        ))),
    }
}

async fn user(app: &App, t: &Tenant, id_or_upn: &str) -> Result<User, CliError> {
    app.find_user(&ctx(), t.id, id_or_upn)
        .await
        .map_err(|e| match e {
            portico_app::AppError::NotFound(_) => CliError::usage(format!(
                "no user '{id_or_upn}' in tenant {}",
                t.initial_domain
            )),
            other => other.into(),
        })
}

/// The password to set: given, read from stdin, or generated (and then printed once).
fn password(args: &PasswordArgs) -> Result<(String, bool), CliError> {
    if let Some(p) = &args.password {
        return Ok((p.clone(), false));
    }
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::runtime(format!("cannot read the password from standard input: {e}"))
        })?;
        let p = line.trim_end_matches(['\r', '\n']).to_owned();
        if p.is_empty() {
            return Err(CliError::usage(
                "--password-stdin: standard input held no password",
            ));
        }
        return Ok((p, false));
    }
    Ok((secret::random_password(20), true))
}

fn print_user(u: &User) {
    out!(
        "{}\t{}\t{}\t{}\t{}",
        u.id,
        u.user_principal_name,
        u.user_type.as_str(),
        if u.account_enabled {
            "enabled"
        } else {
            "blocked"
        },
        u.display_name
    );
}

/// `portico tenant ...`
pub async fn tenant_cmd(app: &App, cmd: TenantCommand) -> Result<(), CliError> {
    match cmd {
        TenantCommand::Create { name } => {
            let t = app.create_tenant(&ctx(), &name).await?;
            out!("{}\t{}\t{}", t.id, t.initial_domain, t.display_name);
        }
        TenantCommand::List => {
            for t in app.list_tenants().await? {
                out!("{}\t{}\t{}", t.id, t.initial_domain, t.display_name);
            }
        }
    }
    Ok(())
}

/// `portico user ...`
pub async fn user_cmd(app: &App, cmd: UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::Create {
            tenant: t,
            upn,
            display_name,
            mail,
            guest,
            no_password,
            password: pw,
        } => {
            let t = tenant(app, &t).await?;
            let new = NewUser {
                display_name,
                user_principal_name: upn,
                mail,
                user_type: Some(if guest {
                    UserType::Guest
                } else {
                    UserType::Member
                }),
                ..NewUser::default()
            };
            let (password, generated) = if no_password {
                (None, false)
            } else {
                let (p, g) = password(&pw)?;
                (Some(p), g)
            };
            let u = app
                .create_user(
                    &ctx(),
                    t.id,
                    new,
                    password.as_deref(),
                    pw.force_change || generated,
                )
                .await?;
            print_user(&u);
            if generated && let Some(p) = password {
                out!(
                    "one-time password: {p}\t(shown only now; it must be changed at first sign-in)"
                );
            }
        }
        UserCommand::List {
            tenant: t,
            guests,
            members,
            search,
            top,
        } => {
            let t = tenant(app, &t).await?;
            let filter = UserFilter {
                user_type: if guests {
                    Some(UserType::Guest)
                } else if members {
                    Some(UserType::Member)
                } else {
                    None
                },
                starts_with: search,
                ..UserFilter::default()
            };
            let page = app
                .list_users(&ctx(), t.id, &filter, &PageRequest { top, after: None })
                .await?;
            for u in &page.items {
                print_user(u);
            }
            if page.next.is_some() {
                eprintln!("(more users exist; raise --top or narrow with --search)");
            }
        }
        UserCommand::SetPassword {
            tenant: t,
            user: who,
            password: pw,
        } => {
            let t = tenant(app, &t).await?;
            let u = user(app, &t, &who).await?;
            let (p, generated) = password(&pw)?;
            app.set_password(&ctx(), t.id, u.id, &p, pw.force_change || generated)
                .await?;
            out!("password set for {}", u.user_principal_name);
            if generated {
                out!(
                    "one-time password: {p}\t(shown only now; it must be changed at first sign-in)"
                );
            }
        }
        UserCommand::Delete {
            tenant: t,
            user: who,
        } => {
            let t = tenant(app, &t).await?;
            let u = user(app, &t, &who).await?;
            app.delete_user(&ctx(), t.id, u.id).await?;
            out!(
                "deleted {} (restorable for 30 days with 'portico user restore {}')",
                u.user_principal_name,
                u.id
            );
        }
        UserCommand::Seed {
            tenant: t,
            count,
            start,
            prefix,
        } => {
            let t = tenant(app, &t).await?;
            if count == 0 || count > 10_000_000 {
                return Err(CliError::usage("--count must be 1 to 10000000"));
            }
            if prefix.is_empty()
                || prefix.len() > 32
                || !prefix.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(CliError::usage(
                    "--prefix must be 1 to 32 ASCII letters or digits",
                ));
            }
            let started = std::time::Instant::now();
            let n = app.seed_users(&ctx(), t.id, &prefix, start, count).await?;
            let secs = started.elapsed().as_secs_f64();
            out!(
                "seeded {n} users in {secs:.1} s ({:.0} users/s)",
                n as f64 / secs.max(0.001)
            );
        }
        UserCommand::Restore { tenant: t, id } => {
            let t = tenant(app, &t).await?;
            let id = id
                .parse()
                .map_err(|_| CliError::usage(format!("'{id}' is not a user id (a GUID)")))?;
            let u = app.restore_user(&ctx(), t.id, id).await?;
            print_user(&u);
        }
    }
    Ok(())
}

async fn object(app: &App, t: &Tenant, id_or_upn: &str) -> Result<ObjectRef, CliError> {
    if let Ok(id) = id_or_upn.parse::<GroupId>()
        && group_exists(app, t, id).await?
    {
        return Ok(ObjectRef {
            kind: ObjectKind::Group,
            id: id.0,
        });
    }
    Ok(ObjectRef {
        kind: ObjectKind::User,
        id: user(app, t, id_or_upn).await?.id.0,
    })
}

async fn group_exists(app: &App, t: &Tenant, id: GroupId) -> Result<bool, CliError> {
    match app.store.get_group(t.id, id).await {
        Ok(_) => Ok(true),
        Err(portico_store::StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(portico_app::AppError::from(e).into()),
    }
}

fn group_id(s: &str) -> Result<GroupId, CliError> {
    s.parse().map_err(|_| {
        CliError::usage(format!(
            "'{s}' is not a group id (a GUID); see 'portico group list'"
        ))
    })
}

/// `portico group ...`
pub async fn group_cmd(app: &App, cmd: GroupCommand) -> Result<(), CliError> {
    match cmd {
        GroupCommand::Create {
            tenant: t,
            name,
            description,
            owners,
        } => {
            let t = tenant(app, &t).await?;
            let mut owner_ids = Vec::new();
            for o in &owners {
                owner_ids.push(user(app, &t, o).await?.id);
            }
            let g = app
                .create_group(
                    &ctx(),
                    t.id,
                    NewGroup {
                        display_name: name,
                        description,
                        mail_nickname: None,
                    },
                    &owner_ids,
                )
                .await?;
            out!("{}\t{}", g.id, g.display_name);
        }
        GroupCommand::List { tenant: t } => {
            let t = tenant(app, &t).await?;
            let mut page = PageRequest {
                top: Some(999),
                after: None,
            };
            loop {
                let p = app.list_groups(&ctx(), t.id, &page).await?;
                for g in &p.items {
                    out!(
                        "{}\t{}\t{}",
                        g.id,
                        g.display_name,
                        g.description.as_deref().unwrap_or("")
                    );
                }
                match p.next {
                    Some(n) => page.after = Some(n),
                    None => break,
                }
            }
        }
        GroupCommand::AddMember {
            tenant: t,
            group,
            member,
        } => {
            let t = tenant(app, &t).await?;
            let g = group_id(&group)?;
            let m = object(app, &t, &member).await?;
            app.add_group_member(&ctx(), t.id, g, m).await?;
            out!("added {} {} to group {g}", m.kind.as_str(), m.id);
        }
        GroupCommand::RemoveMember {
            tenant: t,
            group,
            member,
        } => {
            let t = tenant(app, &t).await?;
            let g = group_id(&group)?;
            let m = object(app, &t, &member).await?;
            app.remove_group_member(&ctx(), t.id, g, m.id).await?;
            out!("removed {} from group {g}", m.id);
        }
        GroupCommand::Members { tenant: t, group } => {
            let t = tenant(app, &t).await?;
            for m in app
                .list_group_members(&ctx(), t.id, group_id(&group)?)
                .await?
            {
                out!("{}\t{}", m.id, m.kind.as_str());
            }
        }
    }
    Ok(())
}

/// `portico domain ...`
pub async fn domain_cmd(app: &App, cmd: DomainCommand) -> Result<(), CliError> {
    match cmd {
        DomainCommand::Add { tenant: t, name } => {
            let t = tenant(app, &t).await?;
            let d = app.add_domain(&ctx(), t.id, &name).await?;
            out!("added {} (unverified)", d.name);
            out!(
                "publish this DNS TXT record at {}:  {}",
                d.name,
                d.expected_txt_record()
            );
            out!("then run: portico domain verify {}", d.name);
        }
        DomainCommand::Verify {
            tenant: t,
            name,
            admin_override,
        } => {
            let t = tenant(app, &t).await?;
            let how = if admin_override {
                Verification::AdminOverride
            } else {
                Verification::Dns
            };
            let d = app.verify_domain(&ctx(), t.id, &name, how).await?;
            out!(
                "{} is verified ({})",
                d.name,
                d.verification_method.map_or("", |m| m.as_str())
            );
        }
        DomainCommand::List { tenant: t } => {
            let t = tenant(app, &t).await?;
            for d in app.list_domains(t.id).await? {
                let mut flags = vec![if d.is_verified {
                    "verified"
                } else {
                    "unverified"
                }];
                if d.is_initial {
                    flags.push("initial");
                }
                if d.is_default {
                    flags.push("default");
                }
                out!("{}\t{}", d.name, flags.join(","));
            }
        }
        DomainCommand::Remove { tenant: t, name } => {
            let t = tenant(app, &t).await?;
            app.remove_domain(&ctx(), t.id, &name).await?;
            out!("removed {name}");
        }
    }
    Ok(())
}

/// `portico role ...`
pub async fn role_cmd(app: &App, cmd: RoleCommand) -> Result<(), CliError> {
    match cmd {
        RoleCommand::Assign {
            tenant: t,
            user: who,
            role,
        } => {
            let t = tenant(app, &t).await?;
            let u = user(app, &t, &who).await?;
            let r = DirectoryRole::parse(&role).ok_or_else(|| {
                let names: Vec<&str> = DirectoryRole::ALL
                    .iter()
                    .map(|r| r.display_name())
                    .collect();
                CliError::usage(format!(
                    "unknown role '{role}'; use one of: {}",
                    names.join(", ")
                ))
            })?;
            let assignment = RoleAssignment {
                id: RoleAssignmentId::new(),
                role: r,
                principal: ObjectRef {
                    kind: ObjectKind::User,
                    id: u.id.0,
                },
                directory_scope_id: "/".into(),
                created_at: app.clock.now(),
            };
            app.assign_role(&ctx(), t.id, &assignment).await?;
            out!("{} is now {}", u.user_principal_name, r.display_name());
        }
        RoleCommand::List { tenant: t } => {
            let t = tenant(app, &t).await?;
            for a in app
                .store
                .list_role_assignments(t.id, None)
                .await
                .map_err(portico_app::AppError::from)?
            {
                out!(
                    "{}\t{}\t{}\t{}",
                    a.id,
                    a.role.display_name(),
                    a.principal.kind.as_str(),
                    a.principal.id
                );
            }
        }
    }
    Ok(())
}

/// `portico keys ...`
pub async fn keys_cmd(app: &App, cmd: KeysCommand) -> Result<(), CliError> {
    match cmd {
        KeysCommand::List => {
            app.ensure_signing_key().await?;
            for (k, state) in app.list_signing_keys().await? {
                let when = |t: Option<time::OffsetDateTime>| {
                    t.map_or_else(|| "-".to_owned(), |t| t.to_string())
                };
                out!(
                    "{}\t{}\t{}\tactivates {}\tretires {}\texpires {}",
                    k.kid,
                    k.alg,
                    state.as_str(),
                    k.activates_at,
                    when(k.retires_at),
                    when(k.expires_at)
                );
            }
        }
        KeysCommand::Rotate {
            activate_in_hours,
            now,
            revoke_previous,
        } => {
            app.ensure_signing_key().await?;
            let delay = if now || revoke_previous {
                time::Duration::ZERO
            } else {
                time::Duration::hours(i64::from(activate_in_hours))
            };
            let kid = app.rotate_signing_key(delay, revoke_previous).await?;
            out!(
                "new signing key {kid} is published and starts signing in {} hours",
                delay.whole_hours()
            );
        }
    }
    Ok(())
}

fn app_id(s: &str) -> Result<portico_domain::AppId, CliError> {
    if portico_domain::well_known::is_graph_resource(s, "") {
        return Ok(portico_domain::well_known::GRAPH_APP_ID);
    }
    s.parse()
        .map_err(|_| CliError::usage(format!("'{s}' is not an appId (a GUID)")))
}

/// `portico app ...`
pub async fn app_cmd(app: &App, cmd: AppCommand) -> Result<(), CliError> {
    match cmd {
        AppCommand::Create {
            tenant: t,
            name,
            redirect_uris,
            public_client,
            multi_tenant,
            graph_permissions,
            scopes,
            identifier_uris,
            app_roles,
            secret_days,
        } => {
            let t = tenant(app, &t).await?;
            let roles = app_roles
                .iter()
                .map(|v| portico_domain::application::AppRole {
                    id: uuid::Uuid::new_v4(),
                    allowed_member_types: vec!["Application".into()],
                    description: v.clone(),
                    display_name: v.clone(),
                    is_enabled: true,
                    value: Some(v.clone()),
                })
                .collect();
            let permission_scopes = scopes
                .iter()
                .map(|v| portico_domain::application::PermissionScope {
                    id: uuid::Uuid::new_v4(),
                    admin_consent_description: v.clone(),
                    admin_consent_display_name: v.clone(),
                    is_enabled: true,
                    kind: "User".into(),
                    user_consent_description: Some(v.clone()),
                    user_consent_display_name: Some(v.clone()),
                    value: v.clone(),
                })
                .collect();
            let redirect = if public_client {
                portico_domain::application::RedirectUris {
                    public_client: redirect_uris,
                    ..Default::default()
                }
            } else {
                portico_domain::application::RedirectUris {
                    web: redirect_uris,
                    ..Default::default()
                }
            };
            let new = portico_domain::application::NewApplication {
                display_name: name,
                sign_in_audience: multi_tenant.then(|| "AzureADMultipleOrgs".to_owned()),
                redirect_uris: redirect,
                identifier_uris,
                app_roles: roles,
                oauth2_permission_scopes: permission_scopes,
                ..Default::default()
            };
            let (registered, sp) = app.register_application(&ctx(), t.id, new).await?;
            for permission in &graph_permissions {
                app.grant_app_role(
                    &ctx(),
                    t.id,
                    registered.app_id,
                    portico_domain::well_known::GRAPH_APP_ID,
                    permission,
                )
                .await?;
            }
            let mut json = serde_json::json!({
                "appId": registered.app_id.to_string(),
                "displayName": registered.display_name,
                "id": registered.id.to_string(),
                "servicePrincipalId": sp.id.to_string(),
                "tenant": t.id.to_string(),
                "graphPermissions": graph_permissions,
            });
            if !public_client {
                let (credential, secret) = app
                    .add_client_secret(
                        &ctx(),
                        t.id,
                        registered.app_id,
                        Some("portico app create"),
                        secret_days,
                    )
                    .await?;
                if let Some(map) = json.as_object_mut() {
                    map.insert("password".into(), secret.into());
                    map.insert(
                        "passwordEndDateTime".into(),
                        credential
                            .end_date_time
                            .format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default()
                            .into(),
                    );
                }
            }
            out!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        AppCommand::AddCertificate {
            tenant: t,
            app: client,
            cert,
            name,
        } => {
            let t = tenant(app, &t).await?;
            let bytes = std::fs::read(&cert)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", cert.display())))?;
            let key = app
                .add_client_certificate(&ctx(), t.id, app_id(&client)?, &bytes, name.as_deref())
                .await?;
            let rfc3339 = &time::format_description::well_known::Rfc3339;
            let json = serde_json::json!({
                "keyId": key.key_id.to_string(),
                "customKeyIdentifier": key.custom_key_identifier,
                "displayName": key.display_name,
                "startDateTime": key.start_date_time.format(rfc3339).unwrap_or_default(),
                "endDateTime": key.end_date_time.format(rfc3339).unwrap_or_default(),
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
            });
            out!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        AppCommand::Grant {
            tenant: t,
            client,
            resource,
            role,
        } => {
            let t = tenant(app, &t).await?;
            app.grant_app_role(&ctx(), t.id, app_id(&client)?, app_id(&resource)?, &role)
                .await?;
            out!("granted {role} of {resource} to {client}");
        }
    }
    Ok(())
}
