-- 0021_audit_lanes.sql - split the audit chain into eight lanes, so that
-- transactions that write audit rows no longer commit one at a time.
--
-- With one chain, a transaction held the chain's advisory lock from its
-- first audit row to its end, the WAL flush of its commit included, and
-- every other audited write waited for it.  Quotes submitted over 32
-- connections each waited about 1 ms for that lock, and throughput
-- stopped near 1,650 a second with a fifth of the two CPUs idle.
--
-- Now every row belongs to one of eight lanes, numbered 0 to 7, and each
-- lane is a hash chain of its own with its own advisory lock and head row.
-- A transaction takes the first lane whose lock no other transaction
-- holds and keeps it for all its audit rows.  When all eight are taken,
-- it waits for one.  Within a lane, ids and times rise in commit order, as
-- they did in the single chain.  The rows before this migration form the
-- start of lane 0, and lanes 1 to 7 start at the genesis hash '\x00'.
-- The row hash stays as it was and does not cover the lane: a row moved
-- to another lane breaks the links of both.

-- No audit row may be written while the lanes are set up.
LOCK TABLE sscn.audit_log IN ACCESS EXCLUSIVE MODE;

ALTER TABLE sscn.audit_log ADD COLUMN lane smallint NOT NULL DEFAULT 0
    CHECK (lane BETWEEN 0 AND 7);

-- One head row per lane.  The existing head becomes lane 0's.
ALTER TABLE sscn.audit_chain_head
    ADD COLUMN lane smallint NOT NULL DEFAULT 0 CHECK (lane BETWEEN 0 AND 7);
ALTER TABLE sscn.audit_chain_head DROP COLUMN singleton;
ALTER TABLE sscn.audit_chain_head ADD PRIMARY KEY (lane);
INSERT INTO sscn.audit_chain_head (lane, last_id, last_at, last_hash)
SELECT g, NULL, NULL, '\x00'::bytea FROM generate_series(1, 7) g;

-- The lane of the current transaction, with its advisory lock taken.  The
-- first call of a transaction tries the lanes in order without waiting,
-- and waits only when all eight are taken.  The choice is kept in the
-- transaction-local setting sscn.audit_lane, which later calls read.  A
-- caller that sets it itself, as sscn.audit_purge() does, gets that lane
-- and waits for its lock.  Like sscn.audit_clock() it has no SET clause,
-- which would undo the setting when the function returns.
CREATE FUNCTION sscn.audit_lane() RETURNS smallint
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
	chosen	text := pg_catalog.current_setting('sscn.audit_lane', true);
	lane	smallint;
BEGIN
	IF chosen ~ '^[0-7]$' THEN
		lane := chosen::smallint;
		PERFORM pg_catalog.pg_advisory_xact_lock(1397965647, lane);
		RETURN lane;
	END IF;

	FOR candidate IN 0..7 LOOP
		IF pg_catalog.pg_try_advisory_xact_lock(1397965647, candidate) THEN
			lane := candidate;
			EXIT;
		END IF;
	END LOOP;
	IF lane IS NULL THEN
		lane := pg_catalog.pg_backend_pid() % 8;
		PERFORM pg_catalog.pg_advisory_xact_lock(1397965647, lane);
	END IF;

	PERFORM pg_catalog.set_config('sscn.audit_lane', lane::text, true);
	RETURN lane;
END
$$;
REVOKE ALL ON FUNCTION sscn.audit_lane() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.audit_lane() TO sscn_app;

-- The time of an audit row, taken under its lane's lock, so that times
-- rise with ids along a lane.  It has no SET clause: a function with one
-- would undo the transaction-local sscn.audit_lane on return.
CREATE OR REPLACE FUNCTION sscn.audit_clock() RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
	PERFORM sscn.audit_lane();
	RETURN clock_timestamp();
END
$$;

-- Chain the row to the newest row of its lane.  The lane comes from
-- sscn.audit_lane(), which the column default already called, except for
-- a row that the owner dated itself.
CREATE OR REPLACE FUNCTION sscn.audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
DECLARE
	link	bytea;
BEGIN
	NEW.lane := sscn.audit_lane();
	NEW.id := nextval('sscn.audit_log_id_seq');

	SELECT h.last_hash INTO link FROM sscn.audit_chain_head h
	 WHERE h.lane = NEW.lane;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the audit chain head row of lane % is missing',
		    NEW.lane USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;

	NEW.prev_hash := link;
	NEW.hash := sscn.audit_row_hash(NEW.prev_hash, NEW);
	UPDATE sscn.audit_chain_head SET last_id = NEW.id,
	    last_at = NEW.occurred_at, last_hash = NEW.hash
	 WHERE lane = NEW.lane;
	RETURN NEW;
END
$$;

-- Drop the month partitions that end at or before the start of the UTC
-- month in which the retention period begins (now minus
-- "retention_seconds"), and return what was dropped as a JSON object.
--
-- Before dropping, it appends a "retention.anchor" row to every lane that
-- loses rows.  Its details name the lane's last removed row: its id, time
-- and hash.  The first remaining row of the lane links to that hash, so
-- "sscnctl audit verify" starts the lane from the anchor and still proves
-- every remaining row.  Anchors and drop commit together or not at all.
-- "anchor_id" in the result is the first anchor and "anchor_ids" lists
-- them all.
--
-- The retention may not be shorter than seven years of 365.25 days, the
-- floor that sscn.conf(5) also enforces.  With "dry_run" it only counts
-- and changes nothing.  The count of removed rows is taken before the
-- table lock.  Only the owner can date a row, so only the owner's inserts
-- into those old months meanwhile would be missing from it.
CREATE OR REPLACE FUNCTION sscn.audit_purge(retention_seconds bigint,
    dry_run boolean)
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
	anchor_ids	bigint[] := '{}';
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

	-- Table lock first, then every lane's lock in order, the order in
	-- which an insert takes them.  lock_timeout ends the wait before it
	-- stalls inserts.
	LOCK TABLE sscn.audit_log IN ACCESS EXCLUSIVE MODE;
	FOR lane_no IN 0..7 LOOP
		PERFORM pg_advisory_xact_lock(1397965647, lane_no);
	END LOOP;

	FOR lane_no IN 0..7 LOOP
		last_id := NULL;
		FOREACH part IN ARRAY doomed LOOP
			EXECUTE format('SELECT id, occurred_at, hash FROM sscn.%I '
			    'WHERE lane = $1 ORDER BY id DESC LIMIT 1', part)
			    INTO candidate USING lane_no;
			IF candidate.id > coalesce(last_id, -1) THEN
				last_id := candidate.id;
				last_at := candidate.occurred_at;
				last_hash := candidate.hash;
			END IF;
		END LOOP;
		CONTINUE WHEN last_id IS NULL;

		-- The removed rows must be the oldest positions of the lane,
		-- because a row kept behind them could no longer be verified.
		SELECT min(id) INTO first_kept FROM sscn.audit_log
		 WHERE occurred_at >= boundary AND lane = lane_no;
		IF first_kept < last_id THEN
			RAISE EXCEPTION 'audit row % is kept but older in the '
			    'chain than row %, which the purge would remove',
			    first_kept, last_id
			    USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;

		PERFORM set_config('sscn.audit_lane', lane_no::text, true);
		INSERT INTO sscn.audit_log (action, target, result, user_agent,
		    details)
		VALUES ('retention.anchor', 'audit_log', 'success', 'sscnctl',
		    jsonb_build_object(
			'lane', lane_no,
			'last_removed_id', last_id,
			'last_removed_at', to_char(last_at,
			    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			'last_removed_hash', encode(last_hash, 'hex'),
			'removed_rows', removed,
			'removed_before', boundary,
			'partitions', to_jsonb(doomed)))
		RETURNING id INTO anchor_id;
		anchor_ids := anchor_ids || anchor_id;
	END LOOP;

	FOREACH part IN ARRAY doomed LOOP
		EXECUTE format('DROP TABLE sscn.%I', part);
	END LOOP;

	RETURN jsonb_build_object('removed_rows', removed,
	    'removed_before', boundary, 'partitions', to_jsonb(doomed),
	    'anchor_id', anchor_ids[1], 'anchor_ids', to_jsonb(anchor_ids));
END
$$;
