#!/usr/bin/perl
# Isolation one level below the handlers: with the row-level-security
# settings of one organization, SQL run directly as the runtime role
# sscn_app sees no row of another organization in any tenant table, and
# changes none.  Data for every table is made through the API first.
#
# Supplier organizations, their profiles and their certifications form
# the supplier directory, which every logged-in user reads by design; for
# them the test checks that another organization cannot change them.
# Every table with row-level security must appear in %TENANT below, so a
# new tenant table cannot go untested.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use SSCN::Documents qw(pdf_bytes put_content);
use Test::More;

require_stack();

# The tables with row-level security, and how a row names its owners.
my %TENANT = (
	organizations	=> ['id'],
	memberships	=> ['organization_id'],
	org_invitations	=> ['organization_id'],
	supplier_profiles => ['organization_id'],
	certifications	=> ['organization_id'],
	documents	=> ['organization_id'],
	rfqs		=> ['buyer_org_id'],
	rfq_invitations	=> ['buyer_org_id', 'supplier_org_id'],
	nda_acceptances	=> ['buyer_org_id', 'supplier_org_id'],
	quotes		=> ['buyer_org_id', 'supplier_org_id'],
	quote_revisions	=> ['buyer_org_id', 'supplier_org_id'],
	messages	=> ['buyer_org_id', 'supplier_org_id'],
	api_keys	=> ['organization_id'],
);
# Tables with row-level security keyed on one user (or one anonymous
# browser) rather than an organization; their isolation is tested with
# the endpoints that use them, in t/320_consent.t, t/321_preferences.t,
# t/380_data_export.t and t/403_oidc_link.t.
my %PER_USER = map { $_ => 1 } qw(consents user_preferences data_exports
    oidc_identities oidc_pending_links);
my %DIRECTORY = map { $_ => 1 } qw(organizations supplier_profiles
    certifications);

# Tables with row-level security that hold no organization's data: only
# platform admins reach them, and the named test checks that others don't.
my %ADMIN_ONLY = (
	incidents		=> 't/340_incidents.t',
	incident_subjects	=> 't/341_incident_notify.t',
	incident_updates	=> 't/340_incidents.t',
	# No policy at all: only sscn.api_key_accept() reaches it.
	api_key_nonces		=> 't/510_api_keys.t',
);

# Tables with row-level security that no organization or user owns: every
# request of every client reads and writes them through the runtime role.
# The named test checks what they contain.
my %SHARED = (
	# Rate-limit counts, keyed by HMACs of the clients.
	rate_buckets		=> 't/550_rate_limit.t',
	# Stored answers of idempotent requests, keyed by their client.
	idempotency_keys	=> 't/570_idempotency.t',
);

my @rls = split /\n/, psql_value("SELECT c.relname FROM pg_class c "
    . "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
    . "'sscn' AND c.relkind = 'r' AND c.relrowsecurity ORDER BY 1");
is_deeply(\@rls, [sort(keys %TENANT, keys %PER_USER, keys %ADMIN_ONLY,
    keys %SHARED)],
    'isolation: every table with row-level security is listed here');
is(psql_value("SELECT count(*) FROM pg_roles WHERE rolname = 'sscn_app' "
    . "AND (rolbypassrls OR rolsuper)"), 0,
    'isolation: the runtime role cannot bypass row-level security');
is(psql_value("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
    . "ON n.oid = c.relnamespace WHERE n.nspname = 'sscn' "
    . "AND pg_get_userbyid(c.relowner) = 'sscn_app'"), 0,
    'isolation: the runtime role owns no table');

# ---- two complete worlds ----------------------------------------------------

# One buyer and one supplier with an RFQ, an invitation, an accepted NDA,
# a quote, a message, an attachment, a supplier profile with a
# certification and an open member invitation.
sub world ($label) {
	my $buyer = org_user('buyer', name => "Buyer $label");
	my $supplier = org_user('supplier', name => "Supplier $label");

	my $profile = api('PUT', "/api/v1/suppliers/$supplier->{org_id}/profile",
	    token => $supplier->{token}, json => {
		description => "Supplier $label", categories => ['packaging'],
		certifications => [{ scheme => 'ISO 9001:2015',
		    certificate_no => "C-$label", issuer => 'Cert Body',
		    valid_from => '2025-01-01', valid_until => '2028-01-01' }] });
	die "profile: $profile->{status} $profile->{body}\n"
	    unless $profile->{status} == 200;

	my $rfq = create_rfq($buyer, visibility => 'invited',
	    nda_required => JSON::PP::true);
	my $doc = api('POST', '/api/v1/documents', token => $buyer->{token},
	    json => { purpose => 'rfq_attachment', owner_id => $rfq->{id},
		filename => "drawing-$label.pdf",
		content_type => 'application/pdf' });
	die "document: $doc->{status} $doc->{body}\n" unless $doc->{status} == 201;
	my $stored = put_content($buyer, $doc->{json}{id}, pdf_bytes());
	die "content: $stored->{status}\n" unless $stored->{status} == 200;

	publish_rfq($buyer, $rfq, $supplier);
	my $nda = api('GET', '/api/v1/legal/nda')->{json}{version};
	my $accept = api('POST', "/api/v1/rfqs/$rfq->{id}/nda/accept",
	    token => $supplier->{token}, json => { version => $nda });
	die "nda: $accept->{status}\n" unless $accept->{status} == 201;
	my $quote = api('POST', "/api/v1/rfqs/$rfq->{id}/quotes",
	    token => $supplier->{token}, json => { unit_price => '3.10',
		currency => 'EUR', lead_time_days => 10,
		valid_until => rfq_date(40), notes => "Quote $label" });
	die "quote: $quote->{status} $quote->{body}\n"
	    unless $quote->{status} == 201;
	my $message = api('POST', "/api/v1/rfqs/$rfq->{id}/messages",
	    token => $supplier->{token}, json => { body => "Hello $label" });
	die "message: $message->{status} $message->{body}\n"
	    unless $message->{status} == 201;
	my $invite = api('POST',
	    "/api/v1/organizations/$buyer->{org_id}/members",
	    token => $buyer->{token},
	    json => { email => unique_email('invitee'), role => 'member' });
	die "invite: $invite->{status} $invite->{body}\n"
	    unless $invite->{status} == 201;

	for my $owner ($buyer, $supplier) {
		my $key = api('POST',
		    "/api/v1/organizations/$owner->{org_id}/api-keys",
		    token => $owner->{token},
		    json => { name => "Key $label", scopes => ['read'] });
		die "api key: $key->{status} $key->{body}\n"
		    unless $key->{status} == 201;
	}

	return { buyer => $buyer, supplier => $supplier };
}

my $a = world('A');
my $b = world('B');

# Rows of TABLE that belong to any of ORGS.
sub owned_by ($table, @orgs) {
	my $list = join ', ', map { "'$_'" } @orgs;
	return join ' OR ', map { "$_ IN ($list)" } @{ $TENANT{$table} };
}

for my $table (sort keys %TENANT) {
	my $theirs = owned_by($table, $b->{buyer}{org_id},
	    $b->{supplier}{org_id});
	cmp_ok(psql_value("SELECT count(*) FROM sscn.$table WHERE $theirs"),
	    '>', 0, "isolation: $table has rows of B");

	for my $role (qw(buyer supplier)) {
		my $me = $a->{$role};
		if ($table eq 'organizations') {
			# B's supplier is in the directory; B's buyer is not.
			is(sql_as($me, "SELECT count(*) FROM "
			    . "sscn.organizations WHERE id = '$b->{buyer}{org_id}'")
			    // '', '0',
			    "isolation: $role A does not see buyer B");
		} elsif (!$DIRECTORY{$table}) {
			is(sql_as($me,
			    "SELECT count(*) FROM sscn.$table WHERE $theirs")
			    // '', '0',
			    "isolation: $role A sees no row of B in $table");
		}

		# Where the role may update or delete at all, row-level
		# security must still keep B's rows out of reach.
		my $column = psql_value("SELECT min(column_name) FROM "
		    . "information_schema.column_privileges WHERE grantee = "
		    . "'sscn_app' AND table_schema = 'sscn' AND table_name = "
		    . "'$table' AND privilege_type = 'UPDATE'");
		if (length($column // '')) {
			is(sql_as($me, "WITH c AS (UPDATE sscn.$table "
			    . "SET $column = $column WHERE $theirs RETURNING 1) "
			    . "SELECT count(*) FROM c"), '0',
			    "isolation: $role A updates no row of B in $table");
		}
		if (psql_value("SELECT has_table_privilege('sscn_app', "
		    . "'sscn.$table', 'DELETE')") eq 't') {
			is(sql_as($me, "WITH c AS (DELETE FROM "
			    . "sscn.$table WHERE $theirs RETURNING 1) "
			    . "SELECT count(*) FROM c"), '0',
			    "isolation: $role A deletes no row of B in $table");
		}
	}
}

# Nothing of B changed through any of that.
for my $table (sort keys %TENANT) {
	cmp_ok(psql_value("SELECT count(*) FROM sscn.$table WHERE "
	    . owned_by($table, $b->{buyer}{org_id}, $b->{supplier}{org_id})),
	    '>', 0, "isolation: B's rows in $table are all still there");
}

done_testing();
