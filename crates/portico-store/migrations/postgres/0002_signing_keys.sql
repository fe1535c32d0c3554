-- Token signing keys (deployment-wide, as Entra's are shared by all tenants). The private part
-- is sealed under the master key. A key is published in JWKS from creation until expires_at,
-- and signs from activates_at until retires_at.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    public_jwk     TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    activates_at   TIMESTAMPTZ NOT NULL,
    retires_at     TIMESTAMPTZ,
    expires_at     TIMESTAMPTZ
);
