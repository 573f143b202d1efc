-- 0018_audit_partitions.sql - partition the audit log by month and let
-- the retention purge remove whole months behind an anchor row.
--
-- sscn.audit_log becomes a table partitioned by range of occurred_at, with
-- one partition per calendar month in UTC (sscn.audit_log_YYYYMM).  The
-- DEFAULT partition sscn.audit_log_default takes the rows of a month whose
-- partition does not exist yet, so an insert never fails for a missing
-- month.  Every existing row moves over with its id, time and hashes
-- unchanged, so the chain verifies as before.
--
-- The maintenance role sscn_maint gets two functions and no table
-- privilege beyond SELECT: sscn.audit_prepare_partitions() creates the
-- coming months' partitions, and sscn.audit_purge() drops the months that
-- lie wholly before the retention period, after it has appended a
-- "retention.anchor" row naming the last removed row and its hash.
-- "sscnctl purge" calls both daily.  UPDATE, DELETE and TRUNCATE stay
-- refused by triggers for every role.

-- No audit row may be written while the rows move.
LOCK TABLE sscn.audit_log IN ACCESS EXCLUSIVE MODE;

ALTER TABLE sscn.audit_log RENAME TO audit_log_unpartitioned;

-- ---- the partitioned table --------------------------------------------------

-- The time of an audit row, taken under the lock that orders the chain.
-- It is the column default, so it runs before PostgreSQL routes the row to
-- a partition: a BEFORE trigger may not change the partition key.  Taking
-- the lock here makes times rise with ids, so every month holds one run
-- of consecutive chain positions, and dropping the oldest months leaves
-- the rest of the chain unbroken.
-- NOTE: a system clock that steps back across a month boundary breaks
-- that order; sscn.audit_purge() then refuses to drop the month.
CREATE FUNCTION sscn.audit_clock() RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(1397965647);
	RETURN clock_timestamp();
END
$$;

REVOKE ALL ON FUNCTION sscn.audit_clock() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.audit_clock() TO sscn_app;

-- The columns and their order are those of 0002_identity.sql: the hash
-- covers them, and tests rebuild rows with json_populate_record().  The
-- id comes from sscn.audit_log_id_seq, drawn only by the chain trigger.
CREATE TABLE sscn.audit_log (
	id		bigint NOT NULL,
	occurred_at	timestamptz NOT NULL DEFAULT sscn.audit_clock(),
	actor_id	uuid,
	organization_id	uuid,
	address		inet,
	user_agent	text,
	action		text NOT NULL CHECK (action ~ '^[a-z_.]{1,64}$'),
	target		text,
	result		text NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
	request_id	text,
	details		jsonb,
	prev_hash	bytea NOT NULL,
	hash		bytea NOT NULL
) PARTITION BY RANGE (occurred_at);

CREATE TABLE sscn.audit_log_default PARTITION OF sscn.audit_log DEFAULT;

-- ---- partition maintenance ----------------------------------------------------

-- The month partitions of the audit log with their bounds, oldest first;
-- the DEFAULT partition is not listed.  The bounds are read back from the
-- catalog under the same time zone and date style that print them.
CREATE FUNCTION sscn.audit_partitions()
    RETURNS TABLE (partition_name text, range_start timestamptz,
	range_end timestamptz)
    LANGUAGE sql STABLE SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD'
    AS $$
	SELECT c.relname::text,
	    substring(b.bound FROM $re$FROM \('([^']+)'\)$re$)::timestamptz,
	    substring(b.bound FROM $re$TO \('([^']+)'\)$re$)::timestamptz
	  FROM pg_inherits i
	  JOIN pg_class c ON c.oid = i.inhrelid
	  CROSS JOIN LATERAL pg_get_expr(c.relpartbound, c.oid) AS b(bound)
	 WHERE i.inhparent = 'sscn.audit_log'::regclass
	   AND b.bound <> 'DEFAULT'
	 ORDER BY 2
$$;

-- Create the partition of the UTC month that contains "moment", unless it
-- exists, and return whether it did.  Rows of that month in the DEFAULT
-- partition would make the plain CREATE fail, so they move first.
-- Detaching the DEFAULT partition drops its copies of the row triggers, so
-- its rows can be copied unchanged into a new table and deleted.
-- Attaching both tables gives them the triggers back.
CREATE FUNCTION sscn.audit_add_partition(moment timestamptz) RETURNS boolean
    LANGUAGE plpgsql SET search_path = sscn, pg_catalog SET TimeZone = 'UTC'
    AS $$
DECLARE
	month_start	timestamptz := date_trunc('month', moment);
	month_end	timestamptz := date_trunc('month', moment) + interval '1 month';
	name		text := 'audit_log_' || to_char(month_start, 'YYYYMM');
BEGIN
	IF to_regclass(format('sscn.%I', name)) IS NOT NULL THEN
		RETURN false;
	END IF;

	IF NOT EXISTS (SELECT 1 FROM sscn.audit_log_default
	    WHERE occurred_at >= month_start AND occurred_at < month_end) THEN
		EXECUTE format('CREATE TABLE sscn.%I PARTITION OF sscn.audit_log '
		    'FOR VALUES FROM (%L) TO (%L)', name, month_start, month_end);
		RETURN true;
	END IF;

	ALTER TABLE sscn.audit_log DETACH PARTITION sscn.audit_log_default;
	EXECUTE format('CREATE TABLE sscn.%I (LIKE sscn.audit_log '
	    'INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
	EXECUTE format('INSERT INTO sscn.%I SELECT * FROM sscn.audit_log_default '
	    'WHERE occurred_at >= $1 AND occurred_at < $2', name)
	    USING month_start, month_end;
	DELETE FROM sscn.audit_log_default
	 WHERE occurred_at >= month_start AND occurred_at < month_end;
	EXECUTE format('ALTER TABLE sscn.audit_log ATTACH PARTITION sscn.%I '
	    'FOR VALUES FROM (%L) TO (%L)', name, month_start, month_end);
	ALTER TABLE sscn.audit_log ATTACH PARTITION sscn.audit_log_default DEFAULT;
	RETURN true;
END
$$;

-- Create the partition of every UTC month from the one containing
-- "from_time" to the one containing "to_time"; returns how many were
-- created.
CREATE FUNCTION sscn.audit_add_partitions(from_time timestamptz,
    to_time timestamptz) RETURNS integer
    LANGUAGE sql SET search_path = sscn, pg_catalog SET TimeZone = 'UTC'
    AS $$
	SELECT count(*) FILTER (WHERE sscn.audit_add_partition(m))::integer
	  FROM generate_series(date_trunc('month', from_time),
	      date_trunc('month', to_time), interval '1 month') AS m
$$;

REVOKE ALL ON FUNCTION sscn.audit_add_partition(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION sscn.audit_add_partitions(timestamptz, timestamptz)
    FROM PUBLIC;

-- ---- the rows move -----------------------------------------------------------

SELECT sscn.audit_add_partitions(
    coalesce((SELECT min(occurred_at) FROM sscn.audit_log_unpartitioned), now()),
    now() + interval '3 months');

-- No trigger exists on the new table yet, so every row keeps its id,
-- time, prev_hash and hash.
INSERT INTO sscn.audit_log SELECT * FROM sscn.audit_log_unpartitioned;

-- The hash function takes the old table's row type: it goes first, and is
-- created again below for the new one.
DROP FUNCTION sscn.audit_row_hash(bytea, sscn.audit_log_unpartitioned);
DROP TABLE sscn.audit_log_unpartitioned;

-- The next id follows the highest one, so the chain trigger finds its
-- predecessor at id - 1 in the common case.
CREATE SEQUENCE sscn.audit_log_id_seq AS bigint OWNED BY sscn.audit_log.id;
SELECT setval('sscn.audit_log_id_seq',
    coalesce((SELECT max(id) FROM sscn.audit_log), 0) + 1, false);

-- A unique index rather than a PRIMARY KEY: "pg_restore --clean" of
-- PostgreSQL 15, which "sscnctl restore" runs, drops the partitions'
-- copies of a primary key constraint one by one before the table's, and
-- PostgreSQL refuses to drop an inherited constraint.  A partitioned
-- index has to contain the partition key.
CREATE UNIQUE INDEX audit_log_id_idx ON sscn.audit_log (id, occurred_at);
CREATE INDEX audit_log_actor_idx ON sscn.audit_log (actor_id, occurred_at);
CREATE INDEX audit_log_action_idx ON sscn.audit_log (action, occurred_at);
CREATE INDEX audit_log_target_idx ON sscn.audit_log (target);

-- ---- the hash chain -------------------------------------------------------------

-- The same canonical text and hash as in 0002_identity.sql.  It is STABLE
-- now, as to_char() is, which lets the planner inline it into the chain
-- trigger and the checks: an IMMUTABLE SQL function that calls a STABLE
-- one is never inlined.
CREATE FUNCTION sscn.audit_row_hash(prev bytea, r sscn.audit_log) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
	SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
	    r.id::text,
	    to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	    coalesce(r.actor_id::text, '\N'),
	    coalesce(r.organization_id::text, '\N'),
	    coalesce(host(r.address), '\N'),
	    coalesce(r.user_agent, '\N'),
	    r.action,
	    coalesce(r.target, '\N'),
	    r.result,
	    coalesce(r.request_id, '\N'),
	    coalesce(r.details::text, '\N')), 'UTF8'))
$$;

-- Runs as the owner, under the advisory lock that sscn.audit_clock()
-- already took, and chains the row to the newest row of the log.  It
-- looks for that row in the new row's own partition first, which is one
-- index probe.  It searches every partition only when the row found is
-- not the id just before the new one: in the first row of a month, or
-- after a gap that a rolled-back insert left.
CREATE OR REPLACE FUNCTION sscn.audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
DECLARE
	last_id		bigint;
	last_hash	bytea;
BEGIN
	PERFORM pg_advisory_xact_lock(1397965647);
	NEW.id := nextval('sscn.audit_log_id_seq');

	-- Static SQL with the month's bounds, so the plan is cached and run-
	-- time pruning leaves only the row's own partition to scan.
	SELECT a.id, a.hash INTO last_id, last_hash FROM sscn.audit_log a
	 WHERE a.occurred_at >= date_trunc('month', NEW.occurred_at, 'UTC')
	   AND a.occurred_at < date_trunc('month', NEW.occurred_at, 'UTC')
	       + interval '1 month'
	 ORDER BY a.id DESC LIMIT 1;
	IF last_id IS DISTINCT FROM NEW.id - 1 THEN
		SELECT hash INTO last_hash FROM sscn.audit_log
		 ORDER BY id DESC LIMIT 1;
	END IF;

	NEW.prev_hash := coalesce(last_hash, '\x00'::bytea);
	NEW.hash := sscn.audit_row_hash(NEW.prev_hash, NEW);
	RETURN NEW;
END
$$;

-- Row triggers on the partitioned table are copied to every partition,
-- present and future.  The TRUNCATE trigger covers the whole table; a
-- single partition can be truncated or dropped only by its owner.
CREATE TRIGGER audit_log_chain BEFORE INSERT ON sscn.audit_log
    FOR EACH ROW EXECUTE FUNCTION sscn.audit_chain();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON sscn.audit_log
    FOR EACH ROW EXECUTE FUNCTION sscn.audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON sscn.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION sscn.audit_refuse_change();

-- ---- what the maintenance role may run ---------------------------------------------

-- Create the missing partitions of the current month and of
-- "months_ahead" (0 to 12) months after it, and give every month that has
-- rows in the DEFAULT partition a partition of its own.  Returns how many
-- partitions it created.
CREATE FUNCTION sscn.audit_prepare_partitions(months_ahead integer)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = sscn, pg_catalog SET TimeZone = 'UTC'
    SET lock_timeout = '5s'
    AS $$
DECLARE
	created		integer := 0;
	stranded	timestamptz[];
	month_start	timestamptz;
BEGIN
	IF months_ahead IS NULL OR months_ahead NOT BETWEEN 0 AND 12 THEN
		RAISE EXCEPTION 'months_ahead must be 0 to 12, not %', months_ahead
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- Rows that went to the DEFAULT partition get their month's
	-- partition.  The months are read first: the table cannot be
	-- detached while a query of this session still reads it.
	SELECT array_agg(DISTINCT date_trunc('month', occurred_at))
	  INTO stranded FROM sscn.audit_log_default;
	FOREACH month_start IN ARRAY coalesce(stranded, '{}') LOOP
		IF sscn.audit_add_partition(month_start) THEN
			created := created + 1;
		END IF;
	END LOOP;

	RETURN created + sscn.audit_add_partitions(now(),
	    now() + make_interval(months => months_ahead));
END
$$;

-- Drop the month partitions that end at or before the start of the UTC
-- month in which the retention period begins (now minus
-- "retention_seconds"), and return what was dropped as a JSON object.
--
-- Before dropping, it appends one "retention.anchor" row to the chain
-- whose details name the last removed row: its id, time and hash.  The
-- first remaining row links to that hash, so "sscnctl audit verify" starts
-- from the anchor and still proves every remaining row.  Anchor and drop
-- commit together or not at all.
--
-- The retention may not be shorter than seven years of 365.25 days, the
-- floor that sscn.conf(5) also enforces.  With "dry_run" it only counts
-- and changes nothing.  The count of removed rows is taken before the
-- table lock.  Only the owner can date a row, so only the owner's inserts
-- into those old months meanwhile would be missing from it.
CREATE FUNCTION sscn.audit_purge(retention_seconds bigint, dry_run boolean)
    RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = sscn, pg_catalog SET TimeZone = 'UTC'
    SET lock_timeout = '5s'
    AS $$
DECLARE
	boundary	timestamptz;
	doomed		text[];
	removed		bigint;
	part		text;
	candidate	record;
	last_id		bigint;
	last_at		timestamptz;
	last_hash	bytea;
	first_kept	bigint;
	anchor_id	bigint;
BEGIN
	IF retention_seconds IS NULL OR retention_seconds < 220903200 THEN
		RAISE EXCEPTION 'audit retention of % seconds is below the '
		    'minimum of 220903200 (seven years)', retention_seconds
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	boundary := date_trunc('month',
	    now() - make_interval(secs => retention_seconds));

	IF NOT dry_run THEN
		PERFORM sscn.audit_prepare_partitions(0);
	END IF;
	SELECT array_agg(partition_name ORDER BY range_start) INTO doomed
	  FROM sscn.audit_partitions() WHERE range_end <= boundary;
	SELECT count(*) INTO removed FROM sscn.audit_log
	 WHERE occurred_at < boundary;
	IF dry_run OR doomed IS NULL THEN
		RETURN jsonb_build_object('removed_rows', removed,
		    'removed_before', boundary,
		    'partitions', coalesce(to_jsonb(doomed), '[]'::jsonb));
	END IF;

	-- Table lock first, then the chain lock, the order in which an insert
	-- takes them.  lock_timeout ends the wait before it stalls inserts.
	LOCK TABLE sscn.audit_log IN ACCESS EXCLUSIVE MODE;
	PERFORM pg_advisory_xact_lock(1397965647);

	FOREACH part IN ARRAY doomed LOOP
		EXECUTE format('SELECT id, occurred_at, hash FROM sscn.%I '
		    'ORDER BY id DESC LIMIT 1', part) INTO candidate;
		IF candidate.id > coalesce(last_id, -1) THEN
			last_id := candidate.id;
			last_at := candidate.occurred_at;
			last_hash := candidate.hash;
		END IF;
	END LOOP;

	IF last_id IS NOT NULL THEN
		-- The removed rows must be the oldest positions of the chain,
		-- because a row kept behind them could no longer be verified.
		SELECT min(id) INTO first_kept FROM sscn.audit_log
		 WHERE occurred_at >= boundary;
		IF first_kept < last_id THEN
			RAISE EXCEPTION 'audit row % is kept but older in the '
			    'chain than row %, which the purge would remove',
			    first_kept, last_id
			    USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;

		INSERT INTO sscn.audit_log (action, target, result, user_agent,
		    details)
		VALUES ('retention.anchor', 'audit_log', 'success', 'sscnctl',
		    jsonb_build_object(
			'last_removed_id', last_id,
			'last_removed_at', to_char(last_at,
			    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			'last_removed_hash', encode(last_hash, 'hex'),
			'removed_rows', removed,
			'removed_before', boundary,
			'partitions', to_jsonb(doomed)))
		RETURNING id INTO anchor_id;
	END IF;

	FOREACH part IN ARRAY doomed LOOP
		EXECUTE format('DROP TABLE sscn.%I', part);
	END LOOP;

	RETURN jsonb_build_object('removed_rows', removed,
	    'removed_before', boundary, 'partitions', to_jsonb(doomed),
	    'anchor_id', anchor_id);
END
$$;

REVOKE ALL ON FUNCTION sscn.audit_prepare_partitions(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION sscn.audit_purge(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.audit_prepare_partitions(integer) TO sscn_maint;
GRANT EXECUTE ON FUNCTION sscn.audit_purge(bigint, boolean) TO sscn_maint;

-- ---- privileges ------------------------------------------------------------------

-- The runtime role names only the columns it fills, so it can choose
-- neither the time, nor the id, nor the hashes of a row.
GRANT INSERT (actor_id, organization_id, address, user_agent, action, target,
    result, request_id, details) ON sscn.audit_log TO sscn_app;
GRANT SELECT ON sscn.audit_log TO sscn_maint;
