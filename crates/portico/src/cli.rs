//! The command line: global options shared by every command, then the command.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Portico: B2B guest collaboration identity platform.
#[derive(Debug, Parser)]
#[command(name = "portico", version, about, propagate_version = true)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes (they may be given before or after the command).
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite database [default: ./portico-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL: postgres://user:password@host:5432/database.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Listen address [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Externally visible base URL (issuers and links are built from it).
    #[arg(long, global = true, value_name = "URL")]
    pub public_url: Option<String>,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Log format: pretty or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Log filter, e.g. info or portico=debug,info.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Name of the tenant created on first start [default: Default Directory].
    #[arg(long, global = true, value_name = "NAME")]
    pub tenant_name: Option<String>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates and, on an empty database, bootstraps first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets redacted), or what is wrong with it.
    CheckConfig,
    /// Tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Directory roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Application registrations.
    #[command(subcommand)]
    App(AppCommand),
    /// Identity providers guests sign in with (the social presets Google, Facebook and
    /// Microsoft account, as Graph's identity/identityProviders).
    #[command(subcommand)]
    Idp(IdpCommand),
    /// SAML 2.0 direct federations with partner IdPs (Graph's
    /// directory/federationConfigurations samlOrWsFedExternalDomainFederation).
    #[command(subcommand)]
    Saml(SamlCommand),
    /// Invite external users (B2B guests) in bulk from a CSV file, as Entra's "Bulk invite users".
    ///
    /// The file is UTF-8 CSV with a header row naming its columns (case does not matter):
    /// `email` (required), `displayName`, `redirectUrl`, `sendEmail` (true or false), `message`
    /// (the customized invitation message) and `language` (the message language, e.g. fr-FR).
    /// Entra's template headers work too ("Email address to invite", "Redirection url", "Send
    /// invitation message (true or false)", "Customized invitation message"), as does its
    /// "version:v1.0" first line. At most 10000 rows; blank rows are skipped.
    ///
    /// Each row is invited on its own (one row's failure never stops the others); an address
    /// already invited as a pending guest is invited again. The results file lists every row in
    /// order with its email, status (invited or failed), userId, inviteRedeemUrl and error.
    /// Exit code: 0 when every row was invited, 1 when any failed, 2 when the file or the
    /// command line is wrong (then nothing is invited).
    ///
    /// The inviteRedeemUrl of each guest is a bearer secret: whoever holds it can redeem the
    /// invitation. The results file is therefore written readable by its owner only (mode
    /// 0600 on Unix); keep it so, and delete it once the links are handed out.
    Invite(InviteArgs),
    /// Print the OpenAPI document of the Graph API (generated from the code; committed as
    /// docs/openapi.json), or with --permissions its permission table (docs/GRAPH-PERMISSIONS.md).
    ExportOpenapi {
        /// Print the permission table (Markdown) instead.
        #[arg(long)]
        permissions: bool,
    },
}

/// `portico idp ...`
#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// List the tenant's identity providers: id, type, display name, client id (never the
    /// secret).
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Add a social identity provider (one of each type per tenant; its id is <Type>-OAUTH),
    /// or an OpenID Connect federation (`--type openidconnect --issuer URL --domain D`, a GUID
    /// id). The client secret is read from standard input, never from the command line.
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// google, facebook, microsoftaccount or openidconnect.
        #[arg(long = "type", value_name = "TYPE")]
        provider_type: String,
        /// OpenID Connect: the provider's issuer (its discovery document is
        /// ISSUER/.well-known/openid-configuration unless --well-known is given).
        #[arg(long)]
        issuer: Option<String>,
        /// OpenID Connect: the discovery document's URL.
        #[arg(long)]
        well_known: Option<String>,
        /// OpenID Connect: an email domain whose guests sign in through it (repeatable).
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
        /// OpenID Connect: the scope asked for (default "openid profile email").
        #[arg(long)]
        scope: Option<String>,
        /// The client id registered at the provider.
        #[arg(long)]
        client_id: String,
        /// Display name (the type's name when omitted).
        #[arg(long)]
        name: Option<String>,
        /// Read the client secret from standard input (one line). Required.
        #[arg(long)]
        client_secret_stdin: bool,
    },
    /// Change an identity provider's display name, client id or client secret.
    Update {
        #[command(flatten)]
        tenant: TenantArg,
        /// The provider's id, e.g. Google-OAUTH.
        id: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// OpenID Connect: a new issuer.
        #[arg(long)]
        issuer: Option<String>,
        /// OpenID Connect: the domains it serves, replacing all (repeatable).
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
        /// New client id.
        #[arg(long)]
        client_id: Option<String>,
        /// Read a new client secret from standard input (one line).
        #[arg(long)]
        client_secret_stdin: bool,
    },
    /// Delete an identity provider.
    Remove {
        #[command(flatten)]
        tenant: TenantArg,
        /// The provider's id, e.g. Google-OAUTH.
        id: String,
    },
}

/// `portico saml ...`
#[derive(Debug, Subcommand)]
pub enum SamlCommand {
    /// List the tenant's SAML federations: id, display name, issuer URI, passive sign-in URL,
    /// domains, certificate expiry.
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Add a SAML federation for one or more partner domains. The IdP's values come from its
    /// metadata (--metadata-file, or --metadata-url which is also kept for certificate
    /// rollover) or are given one by one (--issuer, --sign-in-url, --certificate); values
    /// given one by one win over the metadata's.
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// A partner email domain whose guests sign in through it (repeatable, at least one).
        #[arg(long = "domain", value_name = "DOMAIN", required = true)]
        domains: Vec<String>,
        /// The IdP's metadata XML file.
        #[arg(long, value_name = "FILE")]
        metadata_file: Option<std::path::PathBuf>,
        /// The IdP's metadata URL (fetched now when other values are missing, and refreshed
        /// later to roll its signing certificate over).
        #[arg(long, value_name = "URL")]
        metadata_url: Option<String>,
        /// The IdP's entity id (Issuer of its responses).
        #[arg(long)]
        issuer: Option<String>,
        /// The IdP's passive sign-in URL (where AuthnRequests go, HTTP-Redirect binding).
        #[arg(long, value_name = "URL")]
        sign_in_url: Option<String>,
        /// The IdP's token signing certificate: a PEM or base64 DER file.
        #[arg(long, value_name = "FILE")]
        certificate: Option<std::path::PathBuf>,
        /// Display name (the issuer when omitted).
        #[arg(long)]
        name: Option<String>,
    },
    /// Change a SAML federation.
    Update {
        #[command(flatten)]
        tenant: TenantArg,
        /// The federation's id.
        id: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New passive sign-in URL.
        #[arg(long, value_name = "URL")]
        sign_in_url: Option<String>,
        /// New token signing certificate (PEM or base64 DER file).
        #[arg(long, value_name = "FILE")]
        certificate: Option<std::path::PathBuf>,
        /// New metadata URL.
        #[arg(long, value_name = "URL")]
        metadata_url: Option<String>,
        /// The domains it serves, replacing all (repeatable).
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
    },
    /// Delete a SAML federation (its guests cannot sign in until their redemption is reset).
    Remove {
        #[command(flatten)]
        tenant: TenantArg,
        /// The federation's id.
        id: String,
    },
    /// Print the tenant's service provider metadata (give it to the partner's IdP).
    SpMetadata {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Refresh every federation's metadata now (certificate rollover), as the server does
    /// periodically.
    Refresh,
}

/// `portico app ...`
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application with its service principal and a client secret; prints
    /// appId, the secret (once) and the tenant id as JSON. With --graph-permission, also
    /// grants Microsoft Graph application permissions with admin consent (as
    /// `az ad sp create-for-rbac` does for Azure roles).
    Create {
        #[command(flatten)]
        tenant: TenantArg,
        /// displayName.
        #[arg(long)]
        name: String,
        /// Redirect URI (repeatable): web, or native with --public-client.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client (native/desktop/CLI): redirect URIs are publicClient ones, PKCE is
        /// required and no client secret is created.
        #[arg(long)]
        public_client: bool,
        /// Multi-tenant (`AzureADMultipleOrgs`): users of any tenant may sign in to it, through
        /// their own tenant's endpoints or `common`/`organizations`.
        #[arg(long)]
        multi_tenant: bool,
        /// A Microsoft Graph application permission to grant with admin consent, e.g.
        /// User.ReadWrite.All (repeatable).
        #[arg(long = "graph-permission")]
        graph_permissions: Vec<String>,
        /// A delegated permission this app's API exposes, e.g. Orders.Read (repeatable;
        /// needs --identifier-uri for api://... scope names, else the appId is used).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Application ID URI, e.g. api://orders (repeatable).
        #[arg(long = "identifier-uri")]
        identifier_uris: Vec<String>,
        /// An application permission this app exposes, e.g. Orders.Read (repeatable).
        #[arg(long = "app-role")]
        app_roles: Vec<String>,
        /// Days the client secret lives.
        #[arg(long, default_value_t = 365)]
        secret_days: i64,
    },
    /// Register a certificate with an application, for `private_key_jwt` client
    /// authentication (RS256 assertions signed with the certificate's key); prints its keyId
    /// and thumbprint as JSON.
    AddCertificate {
        #[command(flatten)]
        tenant: TenantArg,
        /// The application's appId.
        #[arg(long = "app")]
        app: String,
        /// PEM or DER X.509 certificate file (RSA, at least 2048 bits).
        #[arg(long = "cert", value_name = "FILE")]
        cert: std::path::PathBuf,
        /// displayName of the credential.
        #[arg(long)]
        name: Option<String>,
    },
    /// Grant a client application an application permission of a resource application
    /// (admin consent).
    Grant {
        #[command(flatten)]
        tenant: TenantArg,
        /// The client's appId.
        client: String,
        /// The resource's appId.
        resource: String,
        /// The role value, e.g. Orders.Read.
        role: String,
    },
}

/// `portico keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List published signing keys and their state.
    List,
    /// Create a new signing key. It is published at once and starts signing after
    /// --activate-in-hours (so relying parties fetch it first); the current key then stops
    /// signing and stays published for 24 hours more, so the tokens it signed keep verifying.
    Rotate {
        /// Hours before the new key starts signing.
        #[arg(long, default_value_t = 24, conflicts_with_all = ["now", "revoke_previous"])]
        activate_in_hours: u32,
        /// Start signing with the new key at once (the old key stays published 24 hours).
        #[arg(long)]
        now: bool,
        /// After a key compromise: sign with the new key at once and remove every other key
        /// from JWKS at once. Tokens they signed stop verifying.
        #[arg(long)]
        revoke_previous: bool,
    },
}

/// `portico invite ...`
#[derive(Debug, Args)]
pub struct InviteArgs {
    #[command(flatten)]
    pub tenant: TenantArg,
    /// The CSV file of people to invite (UTF-8, header row, at most 10000 rows).
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// Where to write the results (holds redeem URLs: written with mode 0600)
    /// [default: <FILE stem>.results.csv next to FILE].
    #[arg(long, value_name = "RESULT.csv")]
    pub output: Option<PathBuf>,
    /// Where guests land after redeeming, for rows without a redirectUrl.
    #[arg(long, value_name = "URL")]
    pub redirect_url: Option<String>,
    /// Send the invitation email, for rows without a sendEmail value.
    #[arg(long)]
    pub send_email: bool,
}

/// Which tenant a command acts on.
#[derive(Debug, Args, Clone)]
pub struct TenantArg {
    /// Tenant id or domain; may be omitted when there is only one tenant.
    #[arg(long, value_name = "ID|DOMAIN")]
    pub tenant: Option<String>,
}

/// `portico tenant ...`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (with its initial domain).
    Create {
        /// Display name.
        name: String,
    },
    /// List tenants.
    List,
}

/// How a password is given.
#[derive(Args, Clone)]
pub struct PasswordArgs {
    /// The password (visible to other local users in the process list; prefer --password-stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Require a change at next sign-in.
    #[arg(long)]
    pub force_change: bool,
}

impl std::fmt::Debug for PasswordArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordArgs")
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("password_stdin", &self.password_stdin)
            .field("force_change", &self.force_change)
            .finish()
    }
}

/// `portico user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without a password option, a random one is generated and printed once.
    Create {
        #[command(flatten)]
        tenant: TenantArg,
        /// userPrincipalName (alias@verified-domain).
        #[arg(long)]
        upn: String,
        /// displayName.
        #[arg(long)]
        display_name: String,
        /// Primary email address.
        #[arg(long)]
        mail: Option<String>,
        /// Create a Guest rather than a Member.
        #[arg(long)]
        guest: bool,
        /// Create the account without any password (federated or invited users).
        #[arg(long, conflicts_with_all = ["password", "password_stdin"])]
        no_password: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// List users.
    List {
        #[command(flatten)]
        tenant: TenantArg,
        /// Only guests.
        #[arg(long, conflicts_with = "members")]
        guests: bool,
        /// Only members.
        #[arg(long)]
        members: bool,
        /// Display name, UPN or mail starting with this.
        #[arg(long)]
        search: Option<String>,
        /// At most this many (default 100, max 999).
        #[arg(long)]
        top: Option<u32>,
    },
    /// Set a user's password. Without a password option, a random one is generated and printed once.
    SetPassword {
        #[command(flatten)]
        tenant: TenantArg,
        /// User id or UPN.
        user: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Soft-delete a user (restorable for 30 days).
    Delete {
        #[command(flatten)]
        tenant: TenantArg,
        /// User id or UPN.
        user: String,
    },
    /// Seed synthetic members in bulk for load tests: seedNNNNNNN@<initial domain>, "Seed User
    /// NNNNNNN", mail and identity at seed.example, no password. Works while the server runs.
    Seed {
        #[command(flatten)]
        tenant: TenantArg,
        /// How many users to create.
        #[arg(long)]
        count: u64,
        /// Number after which to start (to grow an earlier seed).
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// UPN prefix.
        #[arg(long, default_value = "seed")]
        prefix: String,
    },
    /// Restore a soft-deleted user.
    Restore {
        #[command(flatten)]
        tenant: TenantArg,
        /// User id.
        id: String,
    },
}

/// `portico group ...`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a security group.
    Create {
        #[command(flatten)]
        tenant: TenantArg,
        /// displayName.
        #[arg(long)]
        name: String,
        /// description.
        #[arg(long)]
        description: Option<String>,
        /// Owner (user id or UPN); repeatable.
        #[arg(long = "owner")]
        owners: Vec<String>,
    },
    /// List groups.
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Add a user (id or UPN) or a group (id) as a member.
    AddMember {
        #[command(flatten)]
        tenant: TenantArg,
        /// Group id.
        group: String,
        /// User id or UPN, or group id.
        member: String,
    },
    /// Remove a member.
    RemoveMember {
        #[command(flatten)]
        tenant: TenantArg,
        /// Group id.
        group: String,
        /// Member object id or user UPN.
        member: String,
    },
    /// List direct members.
    Members {
        #[command(flatten)]
        tenant: TenantArg,
        /// Group id.
        group: String,
    },
}

/// `portico domain ...`
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a domain; prints the DNS TXT record that proves ownership.
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// Domain name.
        name: String,
    },
    /// Verify a domain by its DNS TXT record, or with --override (offline/dev use).
    Verify {
        #[command(flatten)]
        tenant: TenantArg,
        /// Domain name.
        name: String,
        /// Skip the DNS check and mark the domain verified (audited).
        #[arg(long = "override")]
        admin_override: bool,
    },
    /// List domains.
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Remove a domain.
    Remove {
        #[command(flatten)]
        tenant: TenantArg,
        /// Domain name.
        name: String,
    },
}

/// `portico role ...`
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Assign a directory role (name or template id) to a user.
    Assign {
        #[command(flatten)]
        tenant: TenantArg,
        /// User id or UPN.
        user: String,
        /// Role, e.g. "Global Administrator" or its template id.
        role: String,
    },
    /// List role assignments.
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
}
