//! `portico serve`: open and migrate the database, bootstrap an empty one, listen (HTTP or
//! HTTPS), run background jobs, and shut down gracefully on SIGTERM or SIGINT: stop
//! accepting, let in-flight requests finish (bounded), close the pool.

use crate::error::CliError;
use crate::settings::Validated;
use portico_app::App;
use portico_app::bootstrap::Bootstrapped;
use portico_http::{AppState, HttpSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often expired soft-deleted users are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Runs the server until a shutdown signal.
pub async fn run(v: Validated, started: Instant) -> Result<(), CliError> {
    let tls = match &v.tls {
        Some((cert, key)) => Some(crate::tls::load(cert, key)?),
        None => None,
    };
    let listener = bind(v.listen)?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::runtime(format!("cannot read the listening address: {e}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = v.public_url.as_ref().map_or_else(
        || format!("{scheme}://{local}"),
        |u| u.as_str().trim_end_matches('/').to_owned(),
    );

    let store = crate::db::open(&v).await?;
    let status = store
        .migrate()
        .await
        .map_err(|e| CliError::runtime(format!("cannot migrate the database: {e}")))?;
    let app = crate::build_app(&v, store.clone(), public_url.clone())?;
    if let Some(done) = app
        .bootstrap(
            &v.tenant_name,
            v.bootstrap_admin_password.as_ref().map(|s| s.0.as_str()),
        )
        .await?
    {
        print_bootstrap(&done, &public_url);
    }
    app.ensure_signing_key().await.map_err(|e| match e {
        portico_app::AppError::Internal(m) => CliError::runtime(format!("token signing keys: {m}")),
        other => CliError::runtime(format!("token signing keys: {other}")),
    })?;
    tracing::info!(
        backend = store.backend().as_str(),
        schema_version = status.applied,
        "database and signing keys ready"
    );

    let state = AppState {
        app: app.clone(),
        metrics: Arc::new(portico_http::metrics::Metrics::new(
            env!("CARGO_PKG_VERSION"),
            store.backend().as_str(),
        )),
        trusted_proxy_hops: v.trusted_proxy_hops,
    };
    let router = portico_http::router(
        state,
        HttpSettings {
            request_timeout: v.request_timeout,
        },
    );
    let handle = axum_server::Handle::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(shutdown_on_signal(
        Signals::register()?,
        handle.clone(),
        stop_tx,
        v.shutdown_timeout,
    ));
    let transport = mail_transport(&v)?;
    let mail = tokio::spawn(mail_worker(app.clone(), transport, stop_rx.clone()));
    if let Some(every) = v.saml_metadata_refresh {
        tokio::spawn(saml_metadata_job(app.clone(), every, stop_rx.clone()));
    }
    tokio::spawn(purge_job(app, stop_rx));

    tracing::info!(address = %local, public_url = %public_url, startup_ms = started.elapsed().as_millis() as u64, "listening on {scheme}://{local}");
    let served = match tls {
        Some(config) => {
            axum_server::tls_rustls::from_tcp_rustls(listener, config)
                .map_err(|e| CliError::runtime(format!("cannot start the HTTPS listener: {e}")))?
                .handle(handle)
                .serve(router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await
        }
        None => {
            axum_server::from_tcp(listener)
                .map_err(|e| CliError::runtime(format!("cannot start the HTTP listener: {e}")))?
                .handle(handle)
                .serve(router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await
        }
    };
    // The worker finishes the round in progress (a mail is marked sent right after the
    // server accepted it) before the database closes.
    let _ = tokio::time::timeout(v.shutdown_timeout, mail).await;
    store.close().await;
    served.map_err(|e| CliError::runtime(format!("the server stopped with an error: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, CliError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => "another process is using it; stop that process or choose another address with --listen",
            std::io::ErrorKind::PermissionDenied => "ports below 1024 need privileges; choose a port above 1024 with --listen",
            std::io::ErrorKind::AddrNotAvailable => "this machine has no such address; use 127.0.0.1 or 0.0.0.0 with --listen",
            _ => "choose another address with --listen",
        };
        CliError::runtime(format!("cannot listen on {addr}: {e}; {hint}"))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| CliError::runtime(format!("cannot configure the listener: {e}")))?;
    Ok(listener)
}

/// The one-time credentials go to standard output, never to the log.
fn print_bootstrap(done: &Bootstrapped, public_url: &str) {
    out!();
    out!(
        "Portico created tenant \"{}\" ({})",
        done.tenant.display_name,
        done.tenant.id
    );
    out!("  initial domain:        {}", done.tenant.initial_domain);
    out!("  Global Administrator:  {}", done.admin_upn);
    match &done.generated_password {
        Some(p) => {
            out!("  one-time password:     {p}");
            out!("  This password is shown only now; it must be changed at first sign-in.");
        }
        None => {
            out!("  password:              the one given in PORTICO_BOOTSTRAP_ADMIN_PASSWORD")
        }
    }
    out!("  sign in at:            {public_url}");
    out!();
}

/// SIGTERM and SIGINT handlers, registered before the server announces itself so that a
/// signal sent right after "listening on" still shuts down gracefully.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> Result<Self, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let err = |e: std::io::Error| {
                CliError::runtime(format!("cannot install signal handlers: {e}"))
            };
            Ok(Self {
                term: signal(SignalKind::terminate()).map_err(err)?,
                int: signal(SignalKind::interrupt()).map_err(err)?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn shutdown_on_signal(
    signals: Signals,
    handle: axum_server::Handle<SocketAddr>,
    stop: watch::Sender<bool>,
    grace: Duration,
) {
    signals.wait().await;
    tracing::info!(
        grace_seconds = grace.as_secs(),
        "shutting down: no new connections, finishing requests in flight"
    );
    let _ = stop.send(true);
    handle.graceful_shutdown(Some(grace));
}

/// SMTP when configured; otherwise `.eml` files in `<data_dir>/outbox/`.
fn mail_transport(v: &Validated) -> Result<portico_mail::Transport, CliError> {
    Ok(match &v.smtp {
        Some(s) => {
            tracing::info!(host = %s.host, port = s.port, security = ?s.security, "mail goes out through SMTP");
            portico_mail::Transport::Smtp(
                portico_mail::SmtpSender::new(s)
                    .map_err(|e| CliError::usage(format!("smtp: {e}")))?,
            )
        }
        None => {
            let dir = v.data_dir.join("outbox");
            tracing::info!(dir = %dir.display(), "no SMTP server configured (smtp_host): mails are written to files and redeem links are logged");
            portico_mail::Transport::Files(portico_mail::FileSender::new(dir))
        }
    })
}

/// Sends queued mail: at once when this process queued some, at once again while rounds come
/// back full, else a round every second (mail queued by other replicas, retries that fell due).
async fn mail_worker(
    app: App,
    transport: portico_mail::Transport,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let full = match app.deliver_mail(&transport).await {
            Ok(d) => d.sent + d.retried + d.failed >= portico_app::mail::MAIL_BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "delivering mail failed; will retry");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !full {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = app.mail_queued.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// Refreshes SAML federations' metadata (certificate rollover) now and then every `every`.
async fn saml_metadata_job(app: App, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match app.refresh_saml_metadata().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(changed = n, "SAML federation certificates updated from metadata"),
                    Err(e) => tracing::warn!(error = %e, "refreshing SAML metadata failed; will retry"),
                }
            }
            _ = stop.changed() => return,
        }
    }
}

async fn purge_job(app: App, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(PURGE_INTERVAL);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match app.purge_expired_deleted_users().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "permanently deleted users soft-deleted more than 30 days ago"),
                    Err(e) => tracing::warn!(error = %e, "purging deleted users failed; will retry"),
                }
                if let Err(e) = app.refresh_statistics().await {
                    tracing::warn!(error = %e, "refreshing query planner statistics failed; will retry");
                }
                match app.purge_outbox().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "deleted outbox mails sent or given up more than 7 days ago"),
                    Err(e) => tracing::warn!(error = %e, "purging the outbox failed; will retry"),
                }
                match app.purge_sign_in_state().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "deleted expired sessions, codes, refresh tokens and old sign-in log entries"),
                    Err(e) => tracing::warn!(error = %e, "purging sign-in state failed; will retry"),
                }
            }
            _ = stop.changed() => return,
        }
    }
}
