-- 0013_backup.sql - evidence of the restore tests that "sscnctl
-- restore-test" runs: one row per run, with its result and duration.
CREATE TABLE sscn.restore_tests (
	id		bigserial PRIMARY KEY,
	started_at	timestamptz NOT NULL,
	duration_ms	bigint NOT NULL CHECK (duration_ms >= 0),
	backup_file	text NOT NULL CHECK (length(backup_file) <= 255),
	schema_version	integer,
	result		text NOT NULL CHECK (result IN ('success', 'failure')),
	-- The first check that failed, such as "row count of sscn.users".
	detail		text CHECK (length(detail) <= 1000)
);
GRANT SELECT ON sscn.restore_tests TO sscn_maint;
