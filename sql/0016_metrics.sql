-- 0016_metrics.sql - the figures that GET /metrics reads at scrape time.
--
-- The runtime role sscn_app may insert into the mail outbox and the audit
-- log but not read them, and may not read the restore tests at all.  This
-- function returns only counts and times from them, never a row, so
-- sscnd can report the outbox backlog and the age of the newest backup
-- and restore test without wider grants.  The newest backup is the newest
-- successful "backup.create" audit row, the source that "sscnctl
-- evidence" uses.  Times are Unix seconds, NULL when none is recorded.
CREATE FUNCTION sscn.metrics_gauges()
    RETURNS TABLE (schema_version integer, outbox_backlog bigint,
	outbox_oldest_seconds double precision,
	backup_last_success double precision,
	restore_test_last_success double precision)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
	SELECT
	    (SELECT coalesce(max(m.version), 0) FROM sscn.schema_migrations m),
	    o.backlog,
	    o.oldest_seconds,
	    (SELECT extract(epoch FROM max(a.occurred_at))::double precision
	       FROM sscn.audit_log a
	      WHERE a.action = 'backup.create' AND a.result = 'success'),
	    (SELECT extract(epoch FROM max(r.started_at))::double precision
	       FROM sscn.restore_tests r WHERE r.result = 'success')
	FROM (SELECT count(*) AS backlog,
		coalesce(extract(epoch FROM now() - min(q.created_at)), 0)
		    ::double precision AS oldest_seconds
	    -- The states of mail_outbox_queued_idx: waiting or being sent.
	    FROM sscn.mail_outbox q WHERE q.state IN ('queued', 'sending')) o
$$;
REVOKE ALL ON FUNCTION sscn.metrics_gauges() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.metrics_gauges() TO sscn_app;
