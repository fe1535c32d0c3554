//! `portico idp ...`: the tenant's identity providers from the command line, through the same
//! use cases (and audit) as Graph's `identity/identityProviders`, as the system actor
//! "Portico CLI". Client secrets are read from standard input so that they never appear in
//! the process list or a shell history, and are never printed.

use crate::admin::tenant;
use crate::cli::IdpCommand;
use crate::error::CliError;
use portico_app::{App, Context};
use portico_domain::identity_provider::{NewSocialProvider, SocialProviderPatch};
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
                out!(
                    "{}\t{}\t{}\t{}",
                    p.id,
                    p.provider_type.as_str(),
                    p.display_name,
                    p.client_id
                );
            }
        }
        IdpCommand::Add {
            tenant: t,
            provider_type,
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
            client_id,
            client_secret_stdin,
        } => {
            let patch = SocialProviderPatch {
                display_name: name,
                client_id,
                client_secret: if client_secret_stdin {
                    Some(secret_from_stdin()?)
                } else {
                    None
                },
            };
            if patch.is_empty() {
                return Err(CliError::usage(
                    "nothing to change: pass --name, --client-id or --client-secret-stdin",
                ));
            }
            let t = tenant(app, &t).await?;
            let p = app.update_social_provider(&ctx(), t.id, &id, patch).await?;
            out!("updated {}", p.id);
        }
        IdpCommand::Remove { tenant: t, id } => {
            let t = tenant(app, &t).await?;
            app.delete_identity_provider(&ctx(), t.id, &id).await?;
            out!("removed {id}");
        }
    }
    Ok(())
}
