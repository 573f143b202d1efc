#!/usr/bin/perl
# GET /api/v1/admin/access-review lists every account with its platform
# role, organization roles, MFA, last login and dormant flag; ?format=csv
# exports it with formula cells neutralised.  Each read and each POST
# /api/v1/admin/access-review/sign-off writes an audit row, and
# `sscnctl evidence` reports the newest sign-off.  Only admins with an
# MFA-verified session reach either route.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Incidents;
use JSON::PP;
use Test::More;

require_stack();

my $admin = mfa_admin();

# Names that a spreadsheet would run as formulas, to check the CSV export.
my $formula_name = '@SUM(1+1)*cmd';
my $formula_org = '=1+2 Trading';
my $owner = verified_user(full_name => $formula_name,
    organization_name => $formula_org) or BAIL_OUT('cannot create a user');
my $owner_id = user_id_of($owner->{email});
my $owner_login = login_user($owner);
is($owner_login->{status}, 200, 'the owner logs in');

my $dormant_user = verified_user() or BAIL_OUT('cannot create a user');
my $dormant_id = user_id_of($dormant_user->{email});
is(login_user($dormant_user)->{status}, 200, 'the dormant user logs in once');
psql_value("UPDATE sscn.users SET last_login_at = now() - interval '200 days' "
    . "WHERE id = '$dormant_id'");

my $never = verified_user() or BAIL_OUT('cannot create a user');
my $never_id = user_id_of($never->{email});
psql_value("UPDATE sscn.users SET created_at = now() - interval '120 days' "
    . "WHERE id = '$never_id'");

sub review ($query = '', %opt) {
	return api('GET', "/api/v1/admin/access-review$query",
	    token => exists $opt{token} ? $opt{token} : $admin->{token});
}

sub sign_off ($body, %opt) {
	return api('POST', '/api/v1/admin/access-review/sign-off',
	    token => exists $opt{token} ? $opt{token} : $admin->{token},
	    json => $body);
}

# Every entry of the review by id, read page by page.
sub all_entries () {
	my (%entries, $cursor);
	for (1 .. 1000) {
		my $query = '?limit=100' . (defined $cursor ? "&cursor=$cursor" : '');
		my $page = is_json_ok(review($query), 200, "review page $_")
		    or last;
		$entries{$_->{id}} = $_ for @{ $page->{items} };
		$cursor = $page->{next_cursor};
		last unless defined $cursor;
	}
	return \%entries;
}

# ---- guards --------------------------------------------------------------------------------

is_error_response(review('', token => undef), 401, 'unauthorized',
    'review without a token');
is_error_response(review('', token => $owner_login->{token}), 403, 'forbidden',
    'review by a non-admin');
is_error_response(sign_off({ note => 'ok' }, token => $owner_login->{token}),
    403, 'forbidden', 'sign-off by a non-admin');

# An admin whose session did not pass MFA: a user promoted after login.
my $half = verified_user() or BAIL_OUT('cannot create a user');
my $half_id = user_id_of($half->{email});
my $half_token = login_user($half)->{token};
psql_value("UPDATE sscn.users SET is_admin = true WHERE id = '$half_id'");
is_error_response(review('', token => $half_token), 403, 'mfa_required',
    'review by an admin without MFA');
is_error_response(sign_off({ note => 'ok' }, token => $half_token), 403,
    'mfa_required', 'sign-off by an admin without MFA');
psql_value("UPDATE sscn.users SET is_admin = false WHERE id = '$half_id'");

# ---- fields ------------------------------------------------------------------------------

my $first = is_json_ok(review('?limit=2'), 200, 'review: first page');
ok(@{ $first->{items} } <= 2, 'review: at most limit items');
ok(exists $first->{next_cursor}, 'review: next_cursor');
is($first->{dormant_days}, 90, 'review: the default dormant period');

my $entries = all_entries();
my $entry = $entries->{$owner_id} // {};
is_deeply([sort keys %$entry], [sort qw(id email full_name is_admin
    organizations mfa_enabled last_login_at created_at locked
    deletion_scheduled_for dormant)], 'entry: keys');
is($entry->{email}, $owner->{email}, 'entry: e-mail decrypted');
is($entry->{full_name}, $formula_name, 'entry: full name decrypted');
is($entry->{is_admin}, JSON::PP::false, 'entry: not a platform admin');
is($entry->{mfa_enabled}, JSON::PP::false, 'entry: no MFA');
like($entry->{last_login_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'entry: last login time');
like($entry->{created_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'entry: created time');
is($entry->{locked}, JSON::PP::false, 'entry: not locked');
is($entry->{deletion_scheduled_for}, undef, 'entry: no deletion scheduled');
is($entry->{dormant}, JSON::PP::false, 'entry: a fresh login is not dormant');
my $org = $entry->{organizations}[0] // {};
is(scalar @{ $entry->{organizations} // [] }, 1, 'entry: one organization');
is($org->{organization_name}, $formula_org, 'membership: organization name');
is($org->{organization_kind}, 'buyer', 'membership: organization kind');
is($org->{role}, 'owner', 'membership: role');
like($org->{organization_id} // '', qr/^[0-9a-f-]{36}$/, 'membership: id');

my $admin_entry = $entries->{$admin->{user_id}} // {};
is($admin_entry->{is_admin}, JSON::PP::true, 'admin entry: platform admin');
is($admin_entry->{mfa_enabled}, JSON::PP::true, 'admin entry: MFA on');

is($entries->{$dormant_id}{dormant}, JSON::PP::true,
    'dormant: last login 200 days ago');
like($entries->{$dormant_id}{last_login_at} // '', qr/^\d{4}-/,
    'dormant: keeps its last login time');
is($entries->{$never_id}{last_login_at}, undef, 'never logged in: no time');
is($entries->{$never_id}{dormant}, JSON::PP::true,
    'never logged in: dormant 120 days after creation');
is($entries->{$half_id}{dormant}, JSON::PP::false,
    'logged in today: not dormant');

my $purged = psql_value('SELECT count(*) FROM sscn.users WHERE purged_at IS NULL');
is(scalar keys %$entries, $purged, 'review: every account not purged');

# ---- the dormant period -------------------------------------------------------------------

psql_value("UPDATE sscn.users SET last_login_at = now() - interval '30 days' "
    . "WHERE id = '$half_id'");
ok(conf_override(access_review_dormant_days => 20),
    'access_review_dormant_days = 20');
$entries = all_entries();
is($entries->{$half_id}{dormant}, JSON::PP::true,
    '20-day period: a login 30 days ago is dormant');
ok(conf_restore(), 'configuration restored');
$entries = all_entries();
is($entries->{$half_id}{dormant}, JSON::PP::false,
    '90-day period: a login 30 days ago is not dormant');

# ---- bad parameters ------------------------------------------------------------------------

my $audit_before = psql_value('SELECT count(*) FROM sscn.audit_log');
for my $case (['?limit=0', 'limit'], ['?limit=101', 'limit'],
    ['?cursor=someone', 'cursor'], ['?format=xml', 'format'],
    ['?format=csv&limit=10001', 'limit']) {
	my ($query, $field) = @$case;
	my $err = is_error_response(review($query), 400, 'validation_failed',
	    "review with $query");
	ok(exists $err->{error}{fields}{$field}, "review with $query: fields.$field");
}
is(psql_value('SELECT count(*) FROM sscn.audit_log'), $audit_before,
    'rejected reviews wrote no audit row');

# ---- export audit rows ---------------------------------------------------------------------

my $res = review('?limit=100');
my $page = is_json_ok($res, 200, 'review for the audit row');
my @rows = audit_rows(header($res, 'X-Request-ID'));
is(scalar @rows, 1, 'review: one audit row');
is($rows[0]{action}, 'admin.access_review', 'review audit: action');
is($rows[0]{actor_id}, $admin->{user_id}, 'review audit: the admin is the actor');
is($rows[0]{details}{count}, scalar @{ $page->{items} },
    'review audit: the number of accounts returned');
is($rows[0]{details}{dormant}, scalar(grep { $_->{dormant} } @{ $page->{items} }),
    'review audit: the dormant accounts returned');
is($rows[0]{details}{format}, 'json', 'review audit: format');

# ---- CSV -------------------------------------------------------------------------------------

$res = review('?format=csv');
is($res->{status}, 200, 'CSV export: 200');
like(header($res, 'Content-Type') // '', qr{^text/csv; charset=utf-8$},
    'CSV export: text/csv');
like(header($res, 'Content-Disposition') // '',
    qr/^attachment; filename="sscn-access-review\.csv"$/, 'CSV export: an attachment');
my @lines = split /\r\n/, $res->{body};
is($lines[0], 'id,email,full_name,is_admin,organizations,mfa_enabled,'
    . 'last_login_at,created_at,locked,deletion_scheduled_for,dormant',
    'CSV export: header row');
is(scalar @lines, $purged + 1, 'CSV export: one line per account');
my ($owner_line) = grep { index($_, $owner_id) == 0 } @lines;
ok(defined $owner_line, 'CSV export: the owner has a line');
like($owner_line // '', qr/,"'\Q$formula_name\E",/,
    'CSV export: formula name neutralised and quoted');
like($owner_line // '', qr/,"'\Q$formula_org\E \(buyer\): owner",/,
    'CSV export: formula organization neutralised and quoted');
ok(!(grep { /(^|,)"?[=+\-@]/ } @lines), 'CSV export: no cell starts a formula');
my ($dormant_line) = grep { index($_, $dormant_id) == 0 } @lines;
like($dormant_line // '', qr/,true\z/, 'CSV export: dormant flag');
like($res->{body}, qr/\r\n\z/, 'CSV export: rows end with CRLF');

@rows = audit_rows(header($res, 'X-Request-ID'));
is(scalar @rows, 1, 'CSV export: one audit row');
is($rows[0]{details}{format}, 'csv', 'CSV audit: format');
is($rows[0]{details}{count}, $purged, 'CSV audit: every account');
is($rows[0]{details}{dormant}, scalar(grep { /,true\z/ } @lines[1 .. $#lines]),
    'CSV audit: the dormant accounts exported');

$res = review('?format=csv&limit=1');
my $next = header($res, 'X-Next-Cursor');
ok(defined $next, 'CSV export of one: X-Next-Cursor');
is(scalar(split /\r\n/, $res->{body}), 2, 'CSV export of one: header and a row');
$res = review("?format=csv&limit=1&cursor=$next");
is($res->{status}, 200, 'CSV export: next part by cursor');

# ---- sign-off --------------------------------------------------------------------------------

my $sign_offs = q{SELECT count(*) FROM sscn.audit_log }
    . q{WHERE action = 'admin.access_review_sign_off'};
my $before = psql_value($sign_offs);
for my $case ([{}, 'missing'], [{ note => '' }, 'empty'],
    [{ note => " \n\t " }, 'white space'], [{ note => 'x' x 2001 }, '2001 characters'],
    [{ note => 42 }, 'a number'], [{ note => "a\x{7}b" }, 'a control character']) {
	my ($body, $name) = @$case;
	my $err = is_error_response(sign_off($body), 400, 'validation_failed',
	    "sign-off with a note: $name");
	ok(exists $err->{error}{fields}{note}, "sign-off ($name): fields.note");
}
my $unknown = is_error_response(sign_off({ note => 'ok', approved => 1 }),
    400, 'validation_failed', 'sign-off with an unknown field');
ok(exists $unknown->{error}{fields}{approved},
    'sign-off (unknown field): fields.approved');
is(psql_value($sign_offs), $before, 'rejected sign-offs wrote no audit row');

my $note = "Q3 review: two dormant buyer accounts to lock.\nNo other change.";
$res = sign_off({ note => $note });
my $signed = is_json_ok($res, 201, 'sign-off: 201');
my $accounts = psql_value('SELECT count(*) FROM sscn.users WHERE purged_at IS NULL');
my $dormant_count = psql_value('SELECT count(*) FROM sscn.users WHERE purged_at '
    . 'IS NULL AND sscn.account_dormant(last_login_at, created_at, 90)');
ok($dormant_count >= 2, 'at least the two dormant test accounts');
is($signed->{note}, $note, 'sign-off: note');
is($signed->{reviewer_id}, $admin->{user_id}, 'sign-off: reviewer');
is($signed->{accounts}, $accounts, 'sign-off: account count');
is($signed->{dormant}, $dormant_count, 'sign-off: dormant count');
like($signed->{signed_off_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'sign-off: time');

@rows = audit_rows(header($res, 'X-Request-ID'));
is(scalar @rows, 1, 'sign-off: one audit row');
is($rows[0]{action}, 'admin.access_review_sign_off', 'sign-off audit: action');
is($rows[0]{actor_id}, $admin->{user_id}, 'sign-off audit: the reviewer');
is($rows[0]{details}{note}, $note, 'sign-off audit: note');
is($rows[0]{details}{accounts}, $accounts, 'sign-off audit: account count');
is($rows[0]{details}{dormant}, $dormant_count, 'sign-off audit: dormant count');

is(sign_off({ note => "\x{e9}" x 2000 })->{status}, 201,
    'sign-off: a note of 2000 characters, 4000 bytes');

# ---- sscnctl evidence --------------------------------------------------------------------

my ($status, $out) = sscnctl('evidence', '--json');
is($status, 0, 'evidence --json: exit 0') or diag($out);
$out =~ s/^[^{]*//s;
my $report = eval { decode_json($out) } // {};
my ($control) = grep { $_->{control} eq 'access_review' }
    @{ $report->{controls} // [] };
is($control->{status}, 'PASS', 'evidence: access_review PASS after a sign-off');
is($control->{reviewer_id}, $admin->{user_id}, 'evidence: the reviewer');
is($control->{age_days}, 0, 'evidence: signed off today');
like($control->{figure} // '', qr/^newest sign-off \S+ by \Q$admin->{user_id}\E, 0 days ago/,
    'evidence: figure');

done_testing();
