-- 0019_idempotency.sql - stored responses of POST requests that carried an
-- Idempotency-Key header, so that a client that retries after a timeout
-- gets the first response and creates nothing twice.
--
-- sscnd inserts a row in the transaction that creates the object and its
-- audit row (src/idempotency.c), so a key is stored exactly when its
-- object is.  "client" names who sent the key: "user:" and a user id,
-- or "api_key:" and a key id.  "request_hash"
-- is the SHA-256 of the method, the path and the body, which tells a
-- retry from another request that reuses the key.  "response" is the
-- response's content type, extra headers and body, sealed with the field
-- key under "idempotency_keys.response:" and the row's id, because a body
-- may contain personal data.  A row is not used after "expires_at", and
-- "sscnctl purge" deletes it then.
CREATE TABLE sscn.idempotency_keys (
	id		uuid PRIMARY KEY,
	client		text NOT NULL CHECK (length(client) <= 128),
	key		text NOT NULL
	    CHECK (key ~ '^[!-~]{1,255}$'),
	request_hash	bytea NOT NULL CHECK (length(request_hash) = 32),
	status		smallint NOT NULL CHECK (status BETWEEN 200 AND 299),
	response	bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	UNIQUE (client, key)
);
CREATE INDEX idempotency_keys_expires_idx
    ON sscn.idempotency_keys (expires_at);

-- Every statement of sscnd names the client, so the policy lets the
-- runtime role reach all rows, as for the rate-limit buckets.
ALTER TABLE sscn.idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_app ON sscn.idempotency_keys TO sscn_app
    USING (true) WITH CHECK (true);
CREATE POLICY idempotency_keys_maint ON sscn.idempotency_keys TO sscn_maint
    USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON sscn.idempotency_keys TO sscn_app;
GRANT SELECT, DELETE ON sscn.idempotency_keys TO sscn_maint;
