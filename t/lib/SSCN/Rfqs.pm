package SSCN::Rfqs;

# Helpers for the RFQ tests (t/24*.t): accounts of buyer and supplier
# organizations, RFQ bodies, and SQL run as the runtime role with an
# organization's row-level-security settings.

use v5.36;

use Exporter qw(import);
use JSON::PP ();
use POSIX qw(strftime);
use SSCN::Test;
use Test::More;

our @EXPORT = qw(
    org_actor rfq_body rfq_timestamp rfq_date
    create_rfq publish_rfq rfq_row as_runtime
);

# A verified, logged-in user who owns a new organization of KIND ('buyer'
# or 'supplier'): {user, token, user_id, org_id, org_name}.  Dies when a
# step fails, so that a test does not go on with half an account.
sub org_actor ($kind, $name = undef) {
	$name //= ucfirst($kind) . ' ' . substr(random_id(), 0, 8);
	my $user = verified_user(organization_kind => $kind,
	    organization_name => $name)
	    or die "could not create a $kind account\n";
	my $login = login_user($user);
	my $token = $login->{token} or die "could not log in the $kind\n";
	my $user_id = user_id_of($user->{email});
	my $org_id = psql_value('SELECT organization_id FROM sscn.memberships '
	    . "WHERE user_id = '$user_id'");
	return { user => $user, token => $token, user_id => $user_id,
	    org_id => $org_id, org_name => $name };
}

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

# Run SQL as the runtime role sscn_app with the settings of ACTOR's
# session (user, organization, role owner, KIND); returns psql's output
# of SQL alone.
sub as_runtime ($actor, $kind, $sql) {
	my $out = psql_value("BEGIN; SET LOCAL ROLE sscn_app; "
	    . "SELECT set_config('sscn.user_id', '$actor->{user_id}', true), "
	    . "set_config('sscn.org_id', '$actor->{org_id}', true), "
	    . "set_config('sscn.org_role', 'owner', true), "
	    . "set_config('sscn.org_kind', '$kind', true); $sql; COMMIT");
	my @lines = split /\n/, $out // '';
	shift @lines;	# the set_config row
	return join "\n", @lines;
}

1;
