package SSCN::Rfqs;

# Helpers for the RFQ tests (t/24*.t): RFQ bodies, and RFQs created and
# published through the API.  Accounts and SQL run as the runtime role
# come from SSCN::Sourcing.

use v5.36;

use Exporter qw(import);
use JSON::PP ();
use POSIX qw(strftime);
use SSCN::Test;
use Test::More;

our @EXPORT = qw(
    rfq_body rfq_timestamp rfq_date create_rfq publish_rfq rfq_row
);

# An RFC 3339 UTC timestamp OFFSET seconds from now.
sub rfq_timestamp ($offset) {
	return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + $offset));
}

# A YYYY-MM-DD date OFFSET days from today (UTC).
sub rfq_date ($days) {
	return strftime('%Y-%m-%d', gmtime(time + $days * 86400));
}

# A complete, valid RFQ body; OVERRIDES replace or add fields, and an
# undef value removes one.
sub rfq_body (%overrides) {
	my %body = (
	    title => 'Turned brass fittings ' . substr(random_id(), 0, 6),
	    description => "Drawing attached.\n\n- material CW614N\n- tolerance ISO 2768-m",
	    category => 'metal-machining',
	    quantity => 5000,
	    unit => 'pcs',
	    currency => 'EUR',
	    delivery_country => 'DE',
	    need_by => rfq_date(30),
	    quote_deadline => rfq_timestamp(7 * 86400),
	    visibility => 'public',
	    nda_required => JSON::PP::false,
	    sealed => JSON::PP::false,
	);
	for my $key (keys %overrides) {
		if (defined $overrides{$key}) {
			$body{$key} = $overrides{$key};
		} else {
			delete $body{$key};
		}
	}
	return \%body;
}

# POST /api/v1/rfqs as ACTOR; returns the created RFQ or dies.
sub create_rfq ($actor, %overrides) {
	my $res = api('POST', '/api/v1/rfqs', token => $actor->{token},
	    json => rfq_body(%overrides));
	die "create RFQ: status $res->{status} $res->{body}\n"
	    unless ($res->{status} // 0) == 201;
	return $res->{json};
}

# Invite SUPPLIERS (actors) when given, then publish; returns the
# published RFQ or dies.
sub publish_rfq ($actor, $rfq, @suppliers) {
	if (@suppliers) {
		my $res = api('POST', "/api/v1/rfqs/$rfq->{id}/invitations",
		    token => $actor->{token},
		    json => { supplier_org_ids => [map { $_->{org_id} } @suppliers] });
		die "invite: status $res->{status} $res->{body}\n"
		    unless ($res->{status} // 0) == 200;
	}
	my $res = api('POST', "/api/v1/rfqs/$rfq->{id}/publish",
	    token => $actor->{token});
	die "publish: status $res->{status} $res->{body}\n"
	    unless ($res->{status} // 0) == 200;
	return $res->{json};
}

# The stored row of RFQ ID as a hash (superuser), or undef.
sub rfq_row ($id) {
	my $rows = psql_json("SELECT * FROM sscn.rfqs WHERE id = '$id'");
	return $rows && @$rows ? $rows->[0] : undef;
}

1;
