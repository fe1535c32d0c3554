//! The `portico` binary: command line, configuration, wiring. No business logic lives here;
//! it builds the use-case layer (`portico-app`) on a store (`portico-store`) and serves it
//! through the HTTP edge (`portico-http`), or runs one operator command.

// In a binary every `pub` item is crate-local by definition.
#![allow(unreachable_pub)]

/// Prints a line to standard output. A closed pipe (`portico user list | head -1`) ends the
/// process quietly instead of panicking as `println!` would.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod admin;
mod cli;
mod db;
mod error;
mod idp;
mod invite;
mod logging;
mod master;
mod saml;
mod server;
mod settings;
mod tls;

use clap::Parser;
use clap::error::ErrorKind;
use cli::{Cli, Command};
use error::CliError;
use portico_app::passwords::PasswordService;
use portico_app::{App, AppConfig};
use settings::{Overrides, Validated};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli, started)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in e.message.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(e.code)
        }
    }
}

/// Help and version print as usual; usage errors become one line.
fn clap_exit(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid command line");
            let first = first.trim_start_matches("error: ");
            eprintln!("error: {first}; run 'portico --help' for usage");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli, started: Instant) -> Result<(), CliError> {
    if let Command::ExportOpenapi { permissions } = cli.command {
        let text = if permissions {
            portico_http::graph::openapi::permissions_markdown()
        } else {
            portico_http::graph::openapi::document_text()
        };
        out!("{}", text.trim_end());
        return Ok(());
    }
    let g = cli.global;
    let overrides = Overrides {
        listen: g.listen,
        public_url: g.public_url,
        data_dir: g.data_dir,
        database_url: g.database_url,
        tls_cert: g.tls_cert,
        tls_key: g.tls_key,
        log_format: g.log_format,
        log_level: g.log_level.clone(),
        tenant_name: g.tenant_name,
    };
    let loaded = settings::load(g.config.as_deref(), &overrides)
        .map_err(|errs| CliError::usage(errs.join("\n")))?;
    let validated = loaded.validate();
    if let Command::CheckConfig = cli.command {
        return match validated {
            Ok(_) => {
                out!("{}", loaded.to_redacted_toml().trim_end());
                out!("# configuration is valid");
                Ok(())
            }
            Err(errs) => Err(CliError::usage(errs.join("\n"))),
        };
    }
    let v = validated.map_err(|errs| CliError::usage(errs.join("\n")))?;
    match cli.command {
        Command::Serve => {
            logging::init(v.log_format, &v.log_level);
            server::run(v, started).await
        }
        command => {
            // Operator commands log only warnings unless asked for more.
            logging::init(v.log_format, g.log_level.as_deref().unwrap_or("warn"));
            let store = db::open(&v).await?;
            let result = operator_command(&v, store.clone(), command).await;
            store.close().await;
            result
        }
    }
}

async fn operator_command(
    v: &Validated,
    store: Arc<dyn portico_store::Store>,
    command: Command,
) -> Result<(), CliError> {
    let status = store
        .migrate()
        .await
        .map_err(|e| CliError::runtime(format!("cannot migrate the database: {e}")))?;
    let app = build_app(
        v,
        store,
        v.public_url.as_ref().map_or_else(
            || format!("http://{}", v.listen),
            |u| u.as_str().trim_end_matches('/').to_owned(),
        ),
    )?;
    match command {
        Command::Migrate => {
            out!(
                "database schema is at version {} (this binary needs {})",
                status.applied,
                status.latest
            );
            Ok(())
        }
        Command::Tenant(c) => admin::tenant_cmd(&app, c).await,
        Command::User(c) => admin::user_cmd(&app, c).await,
        Command::Group(c) => admin::group_cmd(&app, c).await,
        Command::Domain(c) => admin::domain_cmd(&app, c).await,
        Command::Role(c) => admin::role_cmd(&app, c).await,
        Command::Keys(c) => admin::keys_cmd(&app, c).await,
        Command::App(c) => admin::app_cmd(&app, c).await,
        Command::Idp(c) => idp::idp_cmd(&app, c).await,
        Command::Saml(c) => saml::saml_cmd(&app, c).await,
        Command::Invite(a) => invite::invite_cmd(&app, a).await,
        Command::Serve | Command::CheckConfig | Command::ExportOpenapi { .. } => Ok(()),
    }
}

/// Builds the use-case layer.
pub(crate) fn build_app(
    v: &Validated,
    store: Arc<dyn portico_store::Store>,
    public_url: String,
) -> Result<App, CliError> {
    let dns: Arc<dyn portico_app::dns::TxtResolver> =
        match portico_app::dns::HickoryResolver::from_system() {
            Ok(r) => Arc::new(r),
            Err(e) => {
                tracing::warn!(error = %e, "no DNS resolver: domain verification by TXT record is unavailable (use --override)");
                Arc::new(portico_app::dns::StaticResolver::default())
            }
        };
    let federation = portico_federation::Federation::new(v.federation.clone())
        .map_err(|e| CliError::runtime(format!("federation: {e}")))?;
    Ok(App {
        store,
        federation: Arc::new(federation),
        clock: Arc::new(portico_app::clock::SystemClock),
        passwords: PasswordService::new(v.password_params, v.max_concurrent_hashes),
        dns,
        caches: Default::default(),
        mail_queued: Default::default(),
        keys: Arc::new(
            portico_app::keys::KeyRing::new(master::load(v)?).with_algorithm(v.signing_algorithm),
        ),
        config: AppConfig {
            tenant_domain_suffix: v.tenant_domain_suffix.clone(),
            public_url,
            mail_from: v.mail_from.clone(),
            log_redeem_links: v.smtp.is_none(),
            google_issuer: v.google_issuer.clone(),
            federation_skip_dns_authorization: v.federation_skip_dns_authorization,
        },
    })
}
