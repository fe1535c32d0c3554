//! `portico saml ...`: the tenant's SAML 2.0 direct federations from the command line,
//! through the same use cases (and audit) as Graph's `directory/federationConfigurations`, as
//! the system actor "Portico CLI". An IdP's metadata file or URL fills in its entity id,
//! passive sign-in URL and signing certificate; malformed metadata is refused with the
//! reason, and nothing is created.

use crate::admin::tenant;
use crate::cli::SamlCommand;
use crate::error::CliError;
use portico_app::{App, Context};
use portico_domain::saml_federation::{NewSamlFederation, SamlFederationPatch};
use portico_federation::saml;
use std::path::Path;

fn ctx() -> Context {
    Context::system("Portico CLI")
}

fn read(path: &Path, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("{what}: cannot read {}: {e}", path.display())))
}

/// The IdP's metadata, from a file or a URL.
async fn metadata(
    app: &App,
    file: Option<&Path>,
    url: Option<&str>,
) -> Result<Option<saml::IdpMetadata>, CliError> {
    let xml = match (file, url) {
        (Some(f), _) => read(f, "--metadata-file")?,
        (None, Some(u)) => app
            .federation
            .fetch_saml_metadata(u)
            .await
            .map_err(|e| CliError::runtime(format!("--metadata-url: {e}")))?,
        (None, None) => return Ok(None),
    };
    saml::parse_idp_metadata(&xml, None)
        .map(Some)
        .map_err(|e| CliError::usage(format!("the IdP's metadata is not usable: {e}")))
}

/// `portico saml ...`
pub async fn saml_cmd(app: &App, cmd: SamlCommand) -> Result<(), CliError> {
    match cmd {
        SamlCommand::List { tenant: t } => {
            let t = tenant(app, &t).await?;
            for f in app.list_saml_federations(&ctx(), t.id, None).await? {
                let expiry = saml::parse_certificate(&f.signing_certificate)
                    .map(|c| c.not_after.date().to_string())
                    .unwrap_or_else(|_| "unreadable".into());
                out!(
                    "{}\t{}\t{}\t{}\t{}\tcertificate until {expiry}",
                    f.id,
                    f.display_name,
                    f.issuer_uri,
                    f.passive_sign_in_uri,
                    f.domains
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
        }
        SamlCommand::Add {
            tenant: t,
            domains,
            metadata_file,
            metadata_url,
            issuer,
            sign_in_url,
            certificate,
            name,
        } => {
            let t = tenant(app, &t).await?;
            let needs_metadata = issuer.is_none() || sign_in_url.is_none() || certificate.is_none();
            let md = if needs_metadata || metadata_file.is_some() {
                metadata(app, metadata_file.as_deref(), metadata_url.as_deref()).await?
            } else {
                None
            };
            let issuer = issuer
                .or_else(|| md.as_ref().map(|m| m.entity_id.clone()))
                .ok_or_else(|| {
                    CliError::usage("give --issuer, or --metadata-file/--metadata-url")
                })?;
            let sign_in_url = sign_in_url
                .or_else(|| md.as_ref().and_then(|m| m.sso_redirect_url.clone()))
                .ok_or_else(|| {
                    CliError::usage("give --sign-in-url (the IdP's metadata names no HTTP-Redirect SingleSignOnService)")
                })?;
            let certificate = match certificate {
                Some(p) => read(&p, "--certificate")?,
                None => md
                    .as_ref()
                    .and_then(|m| m.signing_certificates.iter().max_by_key(|c| c.not_after))
                    .map(saml::Certificate::to_base64)
                    .ok_or_else(|| {
                        CliError::usage("give --certificate, or --metadata-file/--metadata-url")
                    })?,
            };
            let new = NewSamlFederation {
                display_name: name,
                issuer_uri: issuer,
                passive_sign_in_uri: sign_in_url,
                signing_certificate: certificate,
                metadata_exchange_uri: metadata_url,
                preferred_authentication_protocol: None,
                domains,
            };
            let f = app.create_saml_federation(&ctx(), t.id, new).await?;
            let sp = app.saml_sp(t.id);
            out!("added {} ({})", f.id, f.display_name);
            out!(
                "register Portico at the IdP: entity id {} , assertion consumer service {} (HTTP-POST), metadata {}/te/{}/saml2/metadata",
                sp.entity_id,
                sp.acs_url,
                app.config.public_url.trim_end_matches('/'),
                t.id
            );
        }
        SamlCommand::Update {
            tenant: t,
            id,
            name,
            sign_in_url,
            certificate,
            metadata_url,
            domains,
        } => {
            let t = tenant(app, &t).await?;
            let patch = SamlFederationPatch {
                display_name: name,
                passive_sign_in_uri: sign_in_url,
                signing_certificate: certificate.map(|p| read(&p, "--certificate")).transpose()?,
                metadata_exchange_uri: metadata_url.map(Some),
                domains: (!domains.is_empty()).then_some(domains),
                ..SamlFederationPatch::default()
            };
            if patch == SamlFederationPatch::default() {
                return Err(CliError::usage(
                    "nothing to change: pass --name, --sign-in-url, --certificate, --metadata-url or --domain",
                ));
            }
            let f = app.update_saml_federation(&ctx(), t.id, &id, patch).await?;
            out!("updated {}", f.id);
        }
        SamlCommand::Remove { tenant: t, id } => {
            let t = tenant(app, &t).await?;
            app.delete_saml_federation(&ctx(), t.id, &id).await?;
            out!("removed {id}");
        }
        SamlCommand::SpMetadata { tenant: t } => {
            let t = tenant(app, &t).await?;
            if let Some(xml) = app.saml_sp_metadata(&t.id.to_string()).await? {
                out!("{xml}");
            }
        }
        SamlCommand::Refresh => {
            let n = app.refresh_saml_metadata().await?;
            out!("{n} federation(s) changed");
        }
    }
    Ok(())
}
