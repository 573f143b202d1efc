-- 0015_rate_limits.sql - request counters shared by every worker on every
-- host that uses this database.
--
-- A bucket is one client (a user, or an address with IPv6 cut to its /64)
-- for one class of requests.  sscnd names a bucket by an HMAC-SHA256 under
-- the blind index key, so the table contains no address and no user id.
--
-- sscnd counts with one statement per bucket (rate_limit_hit in
-- src/ratelimit.c): the hits of the current fixed window, the hits of the
-- previous one, and how many hits the last statement took.  A statement
-- may take several hits at once, which a worker then serves without the
-- database; it takes none when even one would pass the limit, and that
-- request is rejected.  The limit applies to a sliding-window estimate:
-- the current window's hits plus the previous window's, weighted by the
-- share of that window still inside the last window length.
--
-- The table is UNLOGGED: a crash empties it, which only resets the limits,
-- and no request pays for WAL.  The runtime role updates it directly
-- because a SECURITY DEFINER function costs several times the update
-- itself on every request.  It contains nothing but hashes and counts.
CREATE UNLOGGED TABLE sscn.rate_buckets (
	bucket		bytea PRIMARY KEY CHECK (length(bucket) = 32),
	window_start	bigint NOT NULL,	-- Unix time, a multiple of the window
	current_hits	integer NOT NULL CHECK (current_hits >= 0),
	previous_hits	integer NOT NULL CHECK (previous_hits >= 0),
	granted		integer NOT NULL CHECK (granted >= 0)
);
CREATE INDEX rate_buckets_window_idx ON sscn.rate_buckets (window_start);

ALTER TABLE sscn.rate_buckets ENABLE ROW LEVEL SECURITY;
CREATE POLICY rate_buckets_app ON sscn.rate_buckets TO sscn_app
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE,
    UPDATE (window_start, current_hits, previous_hits, granted)
    ON sscn.rate_buckets TO sscn_app;
