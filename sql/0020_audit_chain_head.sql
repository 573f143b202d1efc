-- 0020_audit_chain_head.sql - keep the newest link of the audit chain in
-- a one-row table, which the chain trigger reads and updates.
--
-- Up to now the trigger found the newest row with a query over the
-- partitioned audit log.  PL/pgSQL planned that query again for every
-- row, because a custom plan, pruned to one partition, always looked
-- cheaper than the generic plan over all of them.  The planning took
-- about 190 of the 560 microseconds that one audit insert and its commit
-- cost, and it grows with the partitions: one a month, more than 84 over
-- the seven years of retention.  Reading one row of a small plain table
-- uses a cached plan and costs the same at any size of the log.
--
-- The head row contains the id, time and hash of the newest row of the
-- chain.  Only the chain trigger changes it, in the transaction of the
-- insert and under the chain's advisory lock, so it moves exactly when a
-- row commits.  "sscnctl audit verify" compares it with the newest row:
-- a removed tail of the log, which leaves no broken link behind, shows
-- there.  Retention purges drop old months only, so the head stays.

-- No audit row may be written between reading the newest row and
-- replacing the trigger.
LOCK TABLE sscn.audit_log IN EXCLUSIVE MODE;

CREATE TABLE sscn.audit_chain_head (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	last_id		bigint,
	last_at		timestamptz,
	last_hash	bytea NOT NULL
);

-- An empty log starts the chain at the genesis hash '\x00'.
INSERT INTO sscn.audit_chain_head (last_id, last_at, last_hash)
SELECT a.id, a.occurred_at, a.hash FROM sscn.audit_log a
UNION ALL
SELECT NULL, NULL, '\x00'::bytea
ORDER BY 1 DESC NULLS LAST LIMIT 1;

-- The same order of locks and the same id as before: the advisory lock
-- that sscn.audit_clock() took, then the next id.  The head row gives
-- the link.  A missing head row stops every audited write, so that no
-- second chain starts at '\x00'.
CREATE OR REPLACE FUNCTION sscn.audit_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = sscn, pg_catalog
    AS $$
DECLARE
	link	bytea;
BEGIN
	PERFORM pg_advisory_xact_lock(1397965647);
	NEW.id := nextval('sscn.audit_log_id_seq');

	SELECT h.last_hash INTO link FROM sscn.audit_chain_head h;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the audit chain head row is missing'
		    USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;

	NEW.prev_hash := link;
	NEW.hash := sscn.audit_row_hash(NEW.prev_hash, NEW);
	UPDATE sscn.audit_chain_head SET last_id = NEW.id,
	    last_at = NEW.occurred_at, last_hash = NEW.hash;
	RETURN NEW;
END
$$;

-- The head is evidence like the log: no role but the owner changes it.
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON sscn.audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION sscn.audit_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE
    ON sscn.audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION sscn.audit_refuse_change();

GRANT SELECT ON sscn.audit_chain_head TO sscn_maint;
