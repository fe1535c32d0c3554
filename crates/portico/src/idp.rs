//! `portico idp ...`: the tenant's identity providers from the command line, through the same
//! use cases (and audit) as Graph's `identity/identityProviders`, as the system actor
//! "Portico CLI". Client secrets are read from standard input so that they never appear in
//! the process list or a shell history, and are never printed.

use crate::admin::tenant;
use crate::cli::IdpCommand;
use crate::error::CliError;
use portico_app::{App, Context};
use portico_domain::identity_provider::{
    IdentityProvider, IdentityProviderPatch, NewSocialProvider, OPENID_CONNECT, SocialProviderPatch,
};
use portico_domain::oidc_provider::{NewOidcProvider, OidcProviderPatch};
use std::io::BufRead;

fn ctx() -> Context {
    Context::system("Portico CLI")
}

/// One line of standard input: the client secret.
fn secret_from_stdin() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::runtime(format!(
            "cannot read the client secret from standard input: {e}"
        ))
    })?;
    let s = line.trim_end_matches(['\r', '\n']).to_owned();
    if s.trim().is_empty() {
        return Err(CliError::usage(
            "--client-secret-stdin: standard input held no client secret",
        ));
    }
    Ok(s)
}

/// `portico idp ...`
pub async fn idp_cmd(app: &App, cmd: IdpCommand) -> Result<(), CliError> {
    match cmd {
        IdpCommand::List { tenant: t } => {
            let t = tenant(app, &t).await?;
            for p in app.list_identity_providers(&ctx(), t.id).await? {
                match p {
                    IdentityProvider::Social(p) => out!(
                        "{}\t{}\t{}\t{}",
                        p.id,
                        p.provider_type.as_str(),
                        p.display_name,
                        p.client_id
                    ),
                    // Listed by `portico saml list`.
                    IdentityProvider::Saml(_) => {}
                    IdentityProvider::Oidc(p) => out!(
                        "{}\t{OPENID_CONNECT}\t{}\t{}\t{}\t{}",
                        p.id,
                        p.display_name,
                        p.client_id,
                        p.issuer,
                        p.domains
                            .iter()
                            .map(|d| d.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                }
            }
        }
        IdpCommand::Add {
            tenant: t,
            provider_type,
            issuer,
            well_known,
            domains,
            scope,
            client_id,
            name,
            client_secret_stdin,
        } => {
            if !client_secret_stdin {
                return Err(CliError::usage(
                    "the client secret is read from standard input: pass --client-secret-stdin and pipe it in",
                ));
            }
            let t = tenant(app, &t).await?;
            if provider_type.eq_ignore_ascii_case(OPENID_CONNECT) {
                let Some(issuer) = issuer else {
                    return Err(CliError::usage("--type openidconnect needs --issuer"));
                };
                let new = NewOidcProvider {
                    display_name: name.unwrap_or_else(|| issuer.clone()),
                    issuer,
                    well_known_endpoint: well_known,
                    client_id,
                    client_secret: secret_from_stdin()?,
                    scope,
                    domains,
                    ..NewOidcProvider::default()
                };
                let p = app.create_oidc_provider(&ctx(), t.id, new).await?;
                out!("added {} ({})", p.id, p.display_name);
                return Ok(());
            }
            if issuer.is_some() || well_known.is_some() || !domains.is_empty() || scope.is_some() {
                return Err(CliError::usage(
                    "--issuer, --well-known, --domain and --scope apply to --type openidconnect only",
                ));
            }
            let new = NewSocialProvider {
                display_name: name,
                provider_type,
                client_id,
                client_secret: secret_from_stdin()?,
            };
            let p = app.create_social_provider(&ctx(), t.id, new).await?;
            out!("added {} ({})", p.id, p.display_name);
        }
        IdpCommand::Update {
            tenant: t,
            id,
            name,
            issuer,
            domains,
            client_id,
            client_secret_stdin,
        } => {
            let mut present = Vec::new();
            for (flag, given) in [
                ("displayName", name.is_some()),
                ("clientId", client_id.is_some()),
                ("issuer", issuer.is_some()),
                ("domains", !domains.is_empty()),
            ] {
                if given {
                    present.push(flag.to_owned());
                }
            }
            if present.is_empty() && !client_secret_stdin {
                return Err(CliError::usage(
                    "nothing to change: pass --name, --client-id, --issuer, --domain or --client-secret-stdin",
                ));
            }
            let secret = if client_secret_stdin {
                Some(secret_from_stdin()?)
            } else {
                None
            };
            let t = tenant(app, &t).await?;
            let is_oidc = matches!(
                app.identity_provider(&ctx(), t.id, &id).await?,
                IdentityProvider::Oidc(_)
            );
            if secret.is_some() {
                present.push(
                    if is_oidc {
                        "clientAuthentication"
                    } else {
                        "clientSecret"
                    }
                    .to_owned(),
                );
            }
            let patch = IdentityProviderPatch {
                present,
                social: SocialProviderPatch {
                    display_name: name.clone(),
                    client_id: client_id.clone(),
                    client_secret: secret.clone(),
                },
                oidc: OidcProviderPatch {
                    display_name: name,
                    issuer,
                    client_id,
                    client_secret: secret,
                    domains: (!domains.is_empty()).then_some(domains),
                    ..OidcProviderPatch::default()
                },
            };
            let p = app
                .update_identity_provider(&ctx(), t.id, &id, patch)
                .await?;
            out!("updated {}", p.id());
        }
        IdpCommand::Remove { tenant: t, id } => {
            let t = tenant(app, &t).await?;
            app.delete_identity_provider(&ctx(), t.id, &id).await?;
            out!("removed {id}");
        }
    }
    Ok(())
}
