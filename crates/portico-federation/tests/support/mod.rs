//! A tiny OpenID Connect provider for the tests: hand-written HTTP/1.1 on a loopback
//! `TcpListener`, serving discovery, a JWKS and a token endpoint whose answers the test sets,
//! plus signing helpers for id_tokens (fixed RSA and Ed25519 keys under `tests/keys/`, an
//! ECDSA P-256 key made at run time).

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreEdDsaPrivateSigningKey, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use portico_federation::{Federation, FederationSettings, OidcProvider};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

pub const CLIENT_ID: &str = "portico-client";
pub const CLIENT_SECRET: &str = "cl1ent-s3cret+/=&value";
pub const REDIRECT_URI: &str = "https://portico.example.test/federation/callback";
pub const CODE: &str = "the-authorization-code-42";

const RSA_A: &str = include_str!("../keys/rsa_a.pem");
const RSA_B: &str = include_str!("../keys/rsa_b.pem");
const ED25519: &str = include_str!("../keys/ed25519.pem");

/// One recorded request to the token endpoint.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    /// The form body as pairs.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A canned answer: status, content type, body, extra headers.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap(),
            headers: Vec::new(),
        }
    }
}

#[derive(Default)]
struct State {
    discovery: Option<Answer>,
    jwks: Option<Answer>,
    token: Option<Answer>,
    hits: HashMap<String, usize>,
    token_requests: Vec<Recorded>,
}

/// The test provider. Its issuer is `http://127.0.0.1:PORT`.
pub struct TestIdp {
    pub issuer: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestIdp {
    /// Starts a provider publishing `keys` (JWKs) in its JWKS.
    pub async fn start(keys: Vec<Value>) -> Self {
        Self::start_with(keys, None).await
    }

    /// Starts a provider that speaks HTTPS with `tls`; its issuer is `https://127.0.0.1:PORT`.
    pub async fn start_tls(keys: Vec<Value>, tls: TlsAcceptor) -> Self {
        Self::start_with(keys, Some(tls)).await
    }

    async fn start_with(keys: Vec<Value>, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let issuer = format!("{scheme}://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let task = tokio::spawn(serve(listener, tls, Arc::clone(&state)));
        let idp = Self {
            issuer,
            state,
            task,
        };
        idp.set_discovery(&idp.discovery_document());
        idp.set_jwks(keys);
        idp
    }

    /// The standard discovery document of this provider.
    pub fn discovery_document(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": format!("{}/authorize", self.issuer),
            "token_endpoint": format!("{}/token", self.issuer),
            "jwks_uri": format!("{}/jwks", self.issuer),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "EdDSA", "ES256"],
        })
    }

    pub fn set_discovery(&self, doc: &Value) {
        self.state.lock().unwrap().discovery = Some(Answer::json(200, doc));
    }

    pub fn set_discovery_answer(&self, answer: Answer) {
        self.state.lock().unwrap().discovery = Some(answer);
    }

    pub fn set_jwks(&self, keys: Vec<Value>) {
        self.state.lock().unwrap().jwks = Some(Answer::json(200, &json!({ "keys": keys })));
    }

    pub fn set_jwks_answer(&self, answer: Answer) {
        self.state.lock().unwrap().jwks = Some(answer);
    }

    /// The token endpoint answers 200 with this id_token.
    pub fn issue(&self, id_token: &str) {
        self.set_token_answer(Answer::json(
            200,
            &json!({
                "access_token": "access-token-xyz",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }),
        ));
    }

    pub fn set_token_answer(&self, answer: Answer) {
        self.state.lock().unwrap().token = Some(answer);
    }

    /// How often `path` was requested.
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn last_token_request(&self) -> Recorded {
        self.state
            .lock()
            .unwrap()
            .token_requests
            .last()
            .cloned()
            .expect("a token request")
    }

    /// A provider configuration pointing at this IdP.
    pub fn provider(&self) -> OidcProvider {
        OidcProvider {
            issuer: self.issuer.clone(),
            discovery_url: None,
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            scopes: vec!["email".into(), "profile".into(), "email".into()],
            redirect_uri: REDIRECT_URI.into(),
        }
    }

    /// Claims that pass every check for `nonce`.
    pub fn good_claims(&self, nonce: &str) -> Value {
        let now = unix_now();
        json!({
            "iss": self.issuer,
            "sub": "user-123",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "email": "ada@partner.example",
            "email_verified": true,
            "name": "Ada Lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "amr": ["pwd", "mfa"],
            "acr": "urn:partner:mfa",
            "department": "Analytical Engines",
        })
    }
}

async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = match tls {
                Some(tls) => match tls.accept(stream).await {
                    Ok(stream) => handle(stream, state).await,
                    Err(_) => Ok(()),
                },
                None => handle(stream, state).await,
            };
        });
    }
}

async fn handle<S>(stream: S, state: Arc<Mutex<State>>) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;

    let answer = {
        let mut state = state.lock().unwrap();
        *state.hits.entry(path.clone()).or_default() += 1;
        match (method.as_str(), path.as_str()) {
            ("GET", "/.well-known/openid-configuration") => state.discovery.clone(),
            ("GET", "/jwks") => state.jwks.clone(),
            ("POST", "/token") => {
                state.token_requests.push(Recorded {
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                state.token.clone()
            }
            _ => None,
        }
    }
    .unwrap_or_else(|| Answer::json(404, &json!({"error": "not_found"})));

    let mut stream = reader.into_inner();
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&answer.body).await?;
    stream.shutdown().await
}

/// A signing key with its kid and JWS algorithm.
pub enum TestKey {
    Rsa(CoreRsaPrivateSigningKey, String),
    Ed(CoreEdDsaPrivateSigningKey, String),
    Ec(EcdsaKeyPair, String),
}

impl TestKey {
    pub fn rsa_a() -> Self {
        Self::rsa(RSA_A, "key-a")
    }

    pub fn rsa_b() -> Self {
        Self::rsa(RSA_B, "key-b")
    }

    fn rsa(pem: &str, kid: &str) -> Self {
        let key =
            CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap();
        Self::Rsa(key, kid.into())
    }

    pub fn ed25519() -> Self {
        let key = CoreEdDsaPrivateSigningKey::from_ed25519_pem(
            ED25519,
            Some(JsonWebKeyId::new("key-ed".into())),
        )
        .unwrap();
        Self::Ed(key, "key-ed".into())
    }

    pub fn p256() -> Self {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        Self::Ec(key, "key-ec".into())
    }

    pub fn kid(&self) -> &str {
        match self {
            Self::Rsa(_, kid) | Self::Ed(_, kid) | Self::Ec(_, kid) => kid,
        }
    }

    fn alg(&self) -> &'static str {
        match self {
            Self::Rsa(..) => "RS256",
            Self::Ed(..) => "EdDSA",
            Self::Ec(..) => "ES256",
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        match self {
            Self::Rsa(key, _) => serde_json::to_value(key.as_verification_key()).unwrap(),
            Self::Ed(key, _) => serde_json::to_value(key.as_verification_key()).unwrap(),
            Self::Ec(key, kid) => {
                let point = key.public_key().as_ref();
                json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "use": "sig",
                    "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                })
            }
        }
    }

    /// A compact JWS over `claims` with this key's kid.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(claims, self.kid())
    }

    /// A compact JWS over `claims`, naming `kid` in the header.
    pub fn sign_with_kid(&self, claims: &Value, kid: &str) -> String {
        let header = json!({"alg": self.alg(), "kid": kid, "typ": "JWT"});
        let input = signing_input(&header, claims);
        let signature = match self {
            Self::Rsa(key, _) => key
                .sign(
                    &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                    input.as_bytes(),
                )
                .unwrap(),
            Self::Ed(key, _) => key
                .sign(&CoreJwsSigningAlgorithm::EdDsa, input.as_bytes())
                .unwrap(),
            Self::Ec(key, _) => key
                .sign(&SystemRandom::new(), input.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// `base64url(header).base64url(claims)`.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    )
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A federation with short timeouts for tests.
pub fn federation() -> Federation {
    Federation::new(FederationSettings {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        ..FederationSettings::default()
    })
    .unwrap()
}
