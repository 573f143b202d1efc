-- 0011_mail.sql - delivery state of the mail outbox for "sscnctl mail-send".
--
-- The sender takes one row at a time: it marks the row 'sending' and
-- commits before the SMTP transaction, and marks it 'sent' after the
-- server accepted the message.  A sender that dies in between leaves the
-- row in 'sending', and nobody can tell whether the server took the
-- message, so such a row becomes 'review' and is never sent again by
-- itself: an operator decides (sscnctl mail-send --requeue ID).  Senders
-- tell a dead sender's rows from a live one's by a session advisory lock
-- that each sender holds on its own random id while it runs.

ALTER TABLE sscn.mail_outbox
	ADD COLUMN next_attempt_at timestamptz,
	ADD COLUMN last_error text CHECK (length(last_error) <= 500),
	ADD COLUMN sender_id bigint,
	ADD COLUMN sending_at timestamptz,
	ADD COLUMN message_id text CHECK (message_id !~ '[\r\n]'),
	DROP CONSTRAINT mail_outbox_state_check,
	ADD CONSTRAINT mail_outbox_state_check
	    CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'skipped',
	        'review'));

DROP INDEX sscn.mail_outbox_queued_idx;
CREATE INDEX mail_outbox_queued_idx ON sscn.mail_outbox (id)
    WHERE state IN ('queued', 'sending');

-- Claim the oldest queued message that is due, for sender "sender":
-- mark it 'sending', count the attempt and return it.  Returns no row
-- when nothing is due.  The caller commits before it talks to the mail
-- server.
CREATE FUNCTION sscn.mail_outbox_claim_next(sender bigint)
    RETURNS SETOF sscn.mail_outbox
    LANGUAGE plpgsql
    AS $$
BEGIN
	-- The first step of sscn.mail_outbox_claim() marks queued marketing
	-- mail to users who no longer want it 'skipped'; a batch of 0 claims
	-- nothing.
	PERFORM sscn.mail_outbox_claim(0);
	RETURN QUERY UPDATE sscn.mail_outbox m
	   SET state = 'sending', sender_id = sender, sending_at = now(),
	       attempts = m.attempts + 1
	 WHERE m.id = (SELECT o.id FROM sscn.mail_outbox o
	     WHERE o.state = 'queued'
	       AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
	       AND (o.category = 'transactional' OR EXISTS (
	           SELECT 1 FROM sscn.user_preferences p
	            WHERE p.user_id = o.user_id AND p.marketing_emails))
	     ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)
	RETURNING m.*;
END
$$;
REVOKE ALL ON FUNCTION sscn.mail_outbox_claim_next(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.mail_outbox_claim_next(bigint) TO sscn_maint;

-- Move the 'sending' rows of senders that no longer run to 'review' and
-- return how many moved.  A sender holds the session advisory lock
-- (class 0x5353434e, "SSCN", and its id) while it runs, so a lock that
-- can be taken here belongs to a sender whose session ended.
CREATE FUNCTION sscn.mail_outbox_recover() RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
	dead	bigint;
	moved	integer := 0;
	n	integer;
BEGIN
	FOR dead IN SELECT DISTINCT sender_id FROM sscn.mail_outbox
	    WHERE state = 'sending' LOOP
		IF pg_try_advisory_xact_lock(1397965646, hashint8(dead)) THEN
			UPDATE sscn.mail_outbox SET state = 'review',
			    last_error = 'the sender stopped during the SMTP '
			        'transaction; the server may have accepted it'
			 WHERE state = 'sending' AND sender_id = dead;
			GET DIAGNOSTICS n = ROW_COUNT;
			moved := moved + n;
		END IF;
	END LOOP;
	RETURN moved;
END
$$;
REVOKE ALL ON FUNCTION sscn.mail_outbox_recover() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sscn.mail_outbox_recover() TO sscn_maint;

-- Headers whose values are secrets, such as the List-Unsubscribe link with
-- its token: a JSON object like "headers", sealed under the key file as
-- mail_outbox.headers_sealed with the row's seal_id (crypto/pii_columns.c),
-- because the token must not be kept in clear.  The sender adds them to
-- the message after the plain "headers".
ALTER TABLE sscn.mail_outbox ADD COLUMN headers_sealed bytea;
