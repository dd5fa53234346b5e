//! JWT verification with a pinned algorithm, and minting for development and scripts.

use std::collections::HashMap;
use std::time::Duration;

use aftersales_domain::auth::{Authenticator, Principal};
use aftersales_domain::{DomainError, Result};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::{Config, JwtAlgorithm};

/// The claims this service reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Staff id.
    pub sub: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Store codes, or `*`.
    #[serde(default)]
    pub stores: Vec<String>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Not valid before (seconds since the epoch), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// The largest token read at all; larger ones are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Errors setting up token verification.
#[derive(Debug, thiserror::Error)]
pub enum JwtSetupError {
    /// The JWKS file could not be read or parsed.
    #[error("cannot load JWKS from {path}: {reason}")]
    Jwks {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A key could not be used.
    #[error("unusable key: {0}")]
    Key(String),
}

enum Keys {
    Shared(DecodingKey),
    ByKid(HashMap<String, DecodingKey>),
}

/// Verifies bearer tokens against the configured algorithm, keys, issuer and audience.
pub struct JwtAuthenticator {
    keys: Keys,
    validation: Validation,
}

fn algorithm(a: JwtAlgorithm) -> Algorithm {
    match a {
        JwtAlgorithm::HS256 => Algorithm::HS256,
        JwtAlgorithm::RS256 => Algorithm::RS256,
        JwtAlgorithm::ES256 => Algorithm::ES256,
    }
}

impl JwtAuthenticator {
    /// Builds the verifier from configuration (already validated).
    pub fn from_config(config: &Config) -> Result<Self, JwtSetupError> {
        let alg = algorithm(config.jwt_algorithm);
        let keys = match (config.jwt_algorithm, &config.jwt_secret, &config.jwt_jwks_file) {
            (JwtAlgorithm::HS256, Some(secret), _) => {
                Keys::Shared(DecodingKey::from_secret(secret.expose_secret().as_bytes()))
            }
            (JwtAlgorithm::RS256 | JwtAlgorithm::ES256, _, Some(path)) => {
                let fail = |reason: String| JwtSetupError::Jwks { path: path.display().to_string(), reason };
                let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
                let set: JwkSet = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
                let mut by_kid = HashMap::new();
                for jwk in &set.keys {
                    let kid =
                        jwk.common.key_id.clone().ok_or_else(|| fail("every key needs a kid".into()))?;
                    let key = DecodingKey::from_jwk(jwk).map_err(|e| JwtSetupError::Key(e.to_string()))?;
                    by_kid.insert(kid, key);
                }
                Keys::ByKid(by_kid)
            }
            _ => {
                return Err(JwtSetupError::Key("no key configured for the algorithm".into()));
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[config.jwt_issuer.as_str()]);
        validation.set_audience(&[config.jwt_audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = config.jwt_leeway_seconds;
        validation.validate_nbf = true;
        Ok(Self { keys, validation })
    }
}

/// Says why a token was refused, without echoing anything from it.
fn reason(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    // An if-chain: the error kind is non-exhaustive, and the lint forbids a wildcard arm.
    if matches!(kind, ErrorKind::ExpiredSignature) {
        "token has expired"
    } else if matches!(kind, ErrorKind::InvalidIssuer) {
        "token issuer is not accepted"
    } else if matches!(kind, ErrorKind::InvalidAudience) {
        "token audience is not accepted"
    } else if matches!(kind, ErrorKind::InvalidSignature) {
        "token signature does not verify"
    } else {
        "token is not valid"
    }
}

fn refuse(reason: impl Into<String>) -> DomainError {
    DomainError::Unauthenticated(reason.into())
}

impl Authenticator for JwtAuthenticator {
    fn authenticate(&self, token: &str) -> Result<Principal> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refuse(format!("token is larger than {MAX_TOKEN_BYTES} bytes")));
        }
        let header = decode_header(token).map_err(|_| refuse("token is not a JWT"))?;
        // Only the pinned algorithm is accepted; `none` and algorithm switching never verify.
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(refuse("token algorithm is not accepted"));
        }
        let key = match &self.keys {
            // One shared secret: a key id names nothing here, so a token carrying one was not ours.
            Keys::Shared(_) if header.kid.is_some() => return Err(refuse("token key id is unknown")),
            Keys::Shared(key) => key,
            Keys::ByKid(keys) => header
                .kid
                .as_deref()
                .and_then(|kid| keys.get(kid))
                .ok_or_else(|| refuse("token key id is unknown"))?,
        };
        let data = decode::<Claims>(token, key, &self.validation).map_err(|e| refuse(reason(e.kind())))?;
        let c = data.claims;
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        if c.iat > now.saturating_add(self.validation.leeway) {
            return Err(refuse("token was issued in the future"));
        }
        Principal::from_claims(&c.sub, &c.name, &c.roles, &c.stores)
    }
}

/// What a minted token says.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// Staff id.
    pub sub: String,
    /// Display name.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Store codes or `*`.
    pub stores: Vec<String>,
    /// Lifetime.
    pub ttl: Duration,
}

/// Errors minting a token.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// Minting needs the HS256 secret.
    #[error(
        "minting needs AFTERSALES_JWT_SECRET (HS256); tokens for RS256/ES256 come from your identity provider"
    )]
    NoSecret,
    /// A role or store in the request is not valid.
    #[error("{0}")]
    Claims(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// Mints an HS256 token with the configured secret, issuer and audience.
pub fn mint(config: &Config, req: &TokenRequest) -> Result<String, MintError> {
    let secret = match (config.jwt_algorithm, &config.jwt_secret) {
        (JwtAlgorithm::HS256, Some(secret)) => secret,
        _ => return Err(MintError::NoSecret),
    };
    Principal::from_claims(&req.sub, &req.name, &req.roles, &req.stores).map_err(|e| {
        let reason = if let DomainError::Unauthenticated(reason) = e { reason } else { e.to_string() };
        MintError::Claims(reason)
    })?;
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let claims = Claims {
        sub: req.sub.clone(),
        name: req.name.clone(),
        roles: req.roles.clone(),
        stores: req.stores.clone(),
        iss: config.jwt_issuer.clone(),
        aud: config.jwt_audience.clone(),
        exp: now + req.ttl.as_secs(),
        iat: now,
        nbf: None,
    };
    Ok(encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config { jwt_secret: Some("a-test-secret-that-is-long-enough-123".into()), ..Config::default() }
    }

    fn request(ttl: u64) -> TokenRequest {
        TokenRequest {
            sub: "adv-1".into(),
            name: "Li".into(),
            roles: vec!["advisor".into()],
            stores: vec!["SH001".into()],
            ttl: Duration::from_secs(ttl),
        }
    }

    #[test]
    fn a_minted_token_verifies_to_its_principal() {
        let cfg = config();
        let token = mint(&cfg, &request(600)).unwrap();
        let who = JwtAuthenticator::from_config(&cfg).unwrap().authenticate(&token).unwrap();
        assert_eq!(who.sub, "adv-1");
        assert!(who.reaches(&aftersales_domain::value::StoreCode::parse("SH001").unwrap()));
    }

    #[test]
    fn tokens_signed_with_another_secret_or_for_another_audience_are_refused() {
        let token = mint(&config(), &request(600)).unwrap();
        let other =
            Config { jwt_secret: Some("another-secret-that-is-long-enough-456".into()), ..Config::default() };
        assert!(JwtAuthenticator::from_config(&other).unwrap().authenticate(&token).is_err());
        let other_aud = Config { jwt_audience: "someone-else".into(), ..config() };
        assert!(JwtAuthenticator::from_config(&other_aud).unwrap().authenticate(&token).is_err());
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        // {"alg":"none"} with valid-looking claims.
        let token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwiaXNzIjoiYWZ0ZXJzYWxlcyIsImF1ZCI6ImFmdGVyc2FsZXMiLCJleHAiOjk5OTk5OTk5OTksImlhdCI6MH0.";
        assert!(JwtAuthenticator::from_config(&config()).unwrap().authenticate(token).is_err());
    }

    fn jwks_config(alg: JwtAlgorithm) -> Config {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        Config { jwt_algorithm: alg, jwt_jwks_file: Some(dir.join("jwks.json")), ..Config::default() }
    }

    fn signed(alg: Algorithm, kid: &str, der: &str) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let der = std::fs::read(dir.join(der)).unwrap();
        let key = if alg == Algorithm::RS256 {
            EncodingKey::from_rsa_der(&der)
        } else {
            EncodingKey::from_ec_der(&der)
        };
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
        let claims = Claims {
            sub: "dms-1".into(),
            name: "DMS".into(),
            roles: vec!["integration".into()],
            stores: vec!["SH001".into()],
            iss: "aftersales".into(),
            aud: "aftersales".into(),
            exp: now + 600,
            iat: now,
            nbf: None,
        };
        encode(&header, &claims, &key).unwrap()
    }

    #[test]
    fn rs256_and_es256_tokens_verify_with_the_jwks_key_named_by_kid() {
        let rsa = JwtAuthenticator::from_config(&jwks_config(JwtAlgorithm::RS256)).unwrap();
        let who = rsa.authenticate(&signed(Algorithm::RS256, "rsa-1", "rs256-private.der")).unwrap();
        assert_eq!(who.sub, "dms-1");
        let ec = JwtAuthenticator::from_config(&jwks_config(JwtAlgorithm::ES256)).unwrap();
        assert!(ec.authenticate(&signed(Algorithm::ES256, "ec-1", "es256-private.der")).is_ok());
    }

    #[test]
    fn an_unknown_kid_or_another_algorithm_is_refused() {
        let rsa = JwtAuthenticator::from_config(&jwks_config(JwtAlgorithm::RS256)).unwrap();
        let unknown = rsa.authenticate(&signed(Algorithm::RS256, "rsa-2", "rs256-private.der"));
        assert_eq!(unknown, Err(refuse("token key id is unknown")));
        // Pinned to RS256: an ES256 token, even with a known key, does not verify.
        let switched = rsa.authenticate(&signed(Algorithm::ES256, "ec-1", "es256-private.der"));
        assert_eq!(switched, Err(refuse("token algorithm is not accepted")));
        // An HS256 token "signed" with the public key text (the classic confusion attack).
        let hs = mint(&config(), &request(600)).unwrap();
        assert!(rsa.authenticate(&hs).is_err());
    }

    #[test]
    fn a_token_expired_beyond_the_leeway_is_refused() {
        let cfg = config();
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
        let claims = Claims {
            sub: "adv-1".into(),
            name: String::new(),
            roles: vec!["advisor".into()],
            stores: vec!["SH001".into()],
            iss: cfg.jwt_issuer.clone(),
            aud: cfg.jwt_audience.clone(),
            exp: now - cfg.jwt_leeway_seconds - 5,
            iat: now - 3600,
            nbf: None,
        };
        let secret = EncodingKey::from_secret("a-test-secret-that-is-long-enough-123".as_bytes());
        let token = encode(&Header::new(Algorithm::HS256), &claims, &secret).unwrap();
        let verifier = JwtAuthenticator::from_config(&cfg).unwrap();
        assert_eq!(verifier.authenticate(&token), Err(refuse("token has expired")));
    }

    /// An HS256 token with the test secret, its claims adjusted, and an optional key id.
    fn hs256(adjust: impl FnOnce(&mut Claims), kid: Option<&str>) -> String {
        let cfg = config();
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
        let mut claims = Claims {
            sub: "adv-1".into(),
            name: String::new(),
            roles: vec!["advisor".into()],
            stores: vec!["SH001".into()],
            iss: cfg.jwt_issuer.clone(),
            aud: cfg.jwt_audience.clone(),
            exp: now + 7200,
            iat: now,
            nbf: None,
        };
        adjust(&mut claims);
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_string);
        let secret = EncodingKey::from_secret("a-test-secret-that-is-long-enough-123".as_bytes());
        encode(&header, &claims, &secret).unwrap()
    }

    #[test]
    fn a_token_not_yet_valid_or_issued_in_the_future_is_refused() {
        let verifier = JwtAuthenticator::from_config(&config()).unwrap();
        let hour = 3600;
        let nbf = hs256(|c| c.nbf = Some(c.iat + hour), None);
        assert_eq!(verifier.authenticate(&nbf), Err(refuse("token is not valid")));
        let iat = hs256(|c| c.iat += hour, None);
        assert_eq!(verifier.authenticate(&iat), Err(refuse("token was issued in the future")));
        // Inside the leeway both still pass: clocks drift.
        assert!(verifier.authenticate(&hs256(|c| c.iat += 10, None)).is_ok());
        assert!(verifier.authenticate(&hs256(|c| c.nbf = Some(c.iat + 10), None)).is_ok());
        assert!(verifier.authenticate(&hs256(|c| c.nbf = Some(c.iat - 10), None)).is_ok());
    }

    #[test]
    fn an_hs256_token_with_a_kid_or_an_oversized_token_is_refused() {
        let verifier = JwtAuthenticator::from_config(&config()).unwrap();
        assert_eq!(verifier.authenticate(&hs256(|_| {}, Some("k1"))), Err(refuse("token key id is unknown")));
        let big = hs256(|c| c.name = "x".repeat(MAX_TOKEN_BYTES), None);
        assert_eq!(
            verifier.authenticate(&big),
            Err(refuse(format!("token is larger than {MAX_TOKEN_BYTES} bytes")))
        );
    }

    #[test]
    fn minting_refuses_unknown_roles() {
        let mut req = request(600);
        req.roles = vec!["boss".into()];
        assert!(matches!(mint(&config(), &req), Err(MintError::Claims(_))));
    }
}
