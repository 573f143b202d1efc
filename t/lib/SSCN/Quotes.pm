package SSCN::Quotes;

# Helpers for the tests of quotes and messages (t/25*_*.t): quote bodies,
# and RFQs, invitations and NDA acceptances written straight into the
# database by the superuser, because the tests of this part must not
# depend on the RFQ endpoints.  Accounts come from SSCN::Sourcing.

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(
    make_rfq rfq_set invite_supplier accept_nda submit_quote quote_terms
    sql_row_count
);

# Insert an RFQ of BUYER (a party) and return its id.  Options: status
# (default 'published'), currency ('EUR'), deadline (an SQL interval from
# now, default '1 hour'), visibility ('public'), nda (boolean), sealed
# (boolean), title.
sub make_rfq ($buyer, %opt) {
	my $id = psql_value('SELECT gen_random_uuid()');
	my $status = $opt{status} // 'published';
	my $currency = $opt{currency} // 'EUR';
	my $deadline = $opt{deadline} // '1 hour';
	my $visibility = $opt{visibility} // 'public';
	my $nda = $opt{nda} ? 'true' : 'false';
	my $nda_version = $opt{nda} ? "'2026-01'" : 'NULL';
	my $sealed = $opt{sealed} ? 'true' : 'false';
	my $title = ($opt{title} // 'Turned brackets') =~ s/'/''/gr;
	my $published = $status eq 'draft' ? 'NULL' : 'now()';
	psql_value("INSERT INTO sscn.rfqs (id, buyer_org_id, title, category, "
	    . "quantity, unit, currency, delivery_country, quote_deadline, "
	    . "visibility, nda_required, nda_version, sealed, status, "
	    . "published_at, created_by) VALUES ('$id', '$buyer->{org_id}', "
	    . "'$title', 'metal-machining', 500, 'pcs', '$currency', 'DE', "
	    . "now() + interval '$deadline', '$visibility', $nda, "
	    . "$nda_version, $sealed, '$status', $published, "
	    . "'$buyer->{user_id}')") // BAIL_OUT('could not insert an RFQ');
	return $id;
}

# Set columns of RFQ ID from SQL expressions: rfq_set($id,
# quote_deadline => "now() - interval '1 minute'").
sub rfq_set ($id, %set) {
	my $list = join ', ', map { "$_ = $set{$_}" } sort keys %set;
	return psql_value("UPDATE sscn.rfqs SET $list WHERE id = '$id'");
}

sub invite_supplier ($rfq, $buyer, $supplier) {
	return psql_value("INSERT INTO sscn.rfq_invitations (rfq_id, "
	    . "buyer_org_id, supplier_org_id, invited_by) VALUES ('$rfq', "
	    . "'$buyer->{org_id}', '$supplier->{org_id}', '$buyer->{user_id}')");
}

sub accept_nda ($rfq, $buyer, $supplier, $version = '2026-01') {
	return psql_value("INSERT INTO sscn.nda_acceptances (rfq_id, "
	    . "buyer_org_id, supplier_org_id, user_id, nda_version, "
	    . "nda_sha256, user_agent) VALUES ('$rfq', "
	    . "'$buyer->{org_id}', '$supplier->{org_id}', '$supplier->{user_id}', "
	    . "'$version', sha256('nda'), 'sscn-tests')");
}

# A valid quote body, with fields of %over replaced.
sub quote_terms (%over) {
	my @t = gmtime(time + 30 * 86400);
	my $valid = sprintf('%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3]);
	return { unit_price => '12.50', currency => 'EUR',
	    lead_time_days => 21, valid_until => $valid,
	    notes => "Material 1.4301.\nDelivery ex works.", %over };
}

# POST a quote of SUPPLIER (a party) to RFQ; returns the response.
sub submit_quote ($supplier, $rfq, %over) {
	return api('POST', "/api/v1/rfqs/$rfq/quotes",
	    token => $supplier->{token}, json => quote_terms(%over));
}

# The number of rows that an SQL WHERE clause selects in TABLE.
sub sql_row_count ($table, $where) {
	return psql_value("SELECT count(*) FROM $table WHERE $where");
}

1;
