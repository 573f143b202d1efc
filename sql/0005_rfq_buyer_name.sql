-- 0005_rfq_buyer_name.sql - the buyer's name on each RFQ.
--
-- Every read of an RFQ shows its buyer's name.  Joining the organization
-- under row-level security evaluated all of its policies, one of which
-- looks back into sscn.rfqs, for every RFQ read: more than half of the
-- database time of GET /api/v1/rfqs/{id}.  The name is now kept on the
-- RFQ, set from the organization on insert and kept true by a foreign key
-- that cascades a rename, as sessions keep their organization's name
-- (0003).
--
-- A note for readers of 0002, unrelated to the name: ids made from this
-- version on are RFC 9562 version 4 UUIDs with 122 random bits.  That
-- includes session ids, for which 0002 describes 128 random bits.

ALTER TABLE sscn.rfqs ADD COLUMN buyer_name text;

UPDATE sscn.rfqs r SET buyer_name = o.name
FROM sscn.organizations o WHERE o.id = r.buyer_org_id;

ALTER TABLE sscn.rfqs
    ALTER COLUMN buyer_name SET NOT NULL,
    ADD CONSTRAINT rfqs_buyer_name_fkey
	FOREIGN KEY (buyer_org_id, buyer_kind, buyer_name)
	REFERENCES sscn.organizations (id, kind, name)
	ON UPDATE CASCADE ON DELETE CASCADE;

-- Runs as the owner: the name comes from the organization row itself,
-- whatever the inserting role may see of it.
CREATE FUNCTION sscn.rfqs_set_buyer_name() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	SELECT name INTO NEW.buyer_name FROM sscn.organizations
	WHERE id = NEW.buyer_org_id;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION sscn.rfqs_set_buyer_name() FROM PUBLIC;

CREATE TRIGGER rfqs_set_buyer_name BEFORE INSERT ON sscn.rfqs
    FOR EACH ROW EXECUTE FUNCTION sscn.rfqs_set_buyer_name();
