-- API tokens for `hotel serve`: who may call the HTTP API, and as whom.
--
-- A token is `htk_<public_id>_<secret>`. Only `public_id` (to find the row)
-- and an HMAC-SHA256 of the secret keyed with a per-token random salt are
-- stored; the secret itself is printed once by `hotel tokens add` and never
-- kept. The server compares the HMAC in constant time (src/core/tokens.ts).
--
-- Like every table of a property, every key starts with property_id
-- (docs/scaling.md). Migrations are append-only: a fix is a new migration.
CREATE TABLE "api_tokens" (
    "property_id" INTEGER NOT NULL,
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'frontdesk',
    "public_id" TEXT NOT NULL,
    "salt" BYTEA NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Moved on at most once a minute per token, so serving adds no write to most requests.
    "last_used_at" TIMESTAMPTZ(6),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("property_id", "id"),
    -- The token's name is the actor of every event written with it: 1-64 characters, no control characters.
    CONSTRAINT "api_tokens_name_check" CHECK (length("name") BETWEEN 1 AND 64 AND "name" !~ '[\x01-\x1f\x7f-\x9f]'),
    CONSTRAINT "api_tokens_role_check" CHECK ("role" IN ('frontdesk', 'readonly')),
    CONSTRAINT "api_tokens_public_id_check" CHECK ("public_id" ~ '^[0-9a-f]{16}$'),
    CONSTRAINT "api_tokens_salt_check" CHECK (length("salt") = 16),
    CONSTRAINT "api_tokens_secret_hash_check" CHECK (length("secret_hash") = 32),
    CONSTRAINT "api_tokens_property_id_fkey" FOREIGN KEY ("property_id") REFERENCES "properties"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "api_tokens_property_id_name_key" ON "api_tokens"("property_id", "name");
-- Every authenticated request finds its token by this key.
CREATE UNIQUE INDEX "api_tokens_property_id_public_id_key" ON "api_tokens"("property_id", "public_id");
