#!/usr/bin/perl
# Legal documents: every file of docs/legal/ is served by
# GET /api/v1/legal/{name} with the version its "Version" line names, and
# "sscnctl legal publish" publishes a new version (audited), refuses bad
# input and never changes a published text.  A new terms version published
# that way restricts an earlier user's next session until they accept it.
# The test version is removed at the end, also when the test dies.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Encode ();
use File::Temp qw(tempfile);
use JSON::PP ();
use SSCN::Test;
use SSCN::Consent;
use Test::More;

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

sub read_text ($path) {
	open(my $fh, '<:raw', $path) or die "$path: $!";
	local $/;
	return <$fh>;
}

sub temp_file ($text) {
	my ($fh, $path) = tempfile('sscn-legal-XXXXXX', TMPDIR => 1,
	    UNLINK => 1);
	print $fh $text;
	close $fh;
	return $path;
}

# ---- the shipped documents ----------------------------------------------------------

# Each shipped file is published under its Version line with its exact
# text.  GET serves the newest published version, which is the shipped
# one unless an operator has published a newer one since.
for my $name (qw(terms privacy cookies nda dpa)) {
	my $text = read_text("$ROOT/docs/legal/$name.md");
	my ($version) = $text =~ /^Version ([0-9A-Za-z._-]+?)\.?\s/m;
	ok(defined $version, "$name.md: Version line");
	like($text, qr/Template: counsel must review/,
	    "$name.md: marked as a template");
	$version //= '';

	my $shipped = psql_json("SELECT encode(sha256(convert_to(body, "
	    . "'UTF8')), 'hex') AS sha256 FROM sscn.legal_documents "
	    . "WHERE kind = '$name' AND version = '$version'") // [];
	is(scalar @$shipped, 1, "$name.md: its version is published");
	is($shipped->[0]{sha256}, sha256_hex($text),
	    "$name.md: published with the file's text");

	my $res = api('GET', "/api/v1/legal/$name");
	is($res->{status}, 200, "GET /legal/$name: 200");
	my $served = $res->{json}{version} // '';
	my $stored = psql_json("SELECT encode(sha256(convert_to(body, "
	    . "'UTF8')), 'hex') AS sha256, (SELECT count(*) FROM "
	    . "sscn.legal_documents n WHERE n.kind = d.kind AND "
	    . "n.published_at > d.published_at) AS newer FROM "
	    . "sscn.legal_documents d WHERE kind = '$name' AND version = "
	    . "'$served'") // [];
	is(scalar @$stored, 1, "GET /legal/$name: a published version");
	is($stored->[0]{newer}, 0, "GET /legal/$name: the newest version");
	is(sha256_hex(Encode::encode('UTF-8', $res->{json}{text} // '')),
	    $stored->[0]{sha256}, "GET /legal/$name: that version's text");
	if ($served eq $version) {
		is(sha256_hex(Encode::encode('UTF-8', $res->{json}{text} // '')),
		    sha256_hex($text), "GET /legal/$name: the file's text");
	} else {
		note("$name: version $served, published after the shipped "
		    . "$version, is served");
	}
}
is_error_response(api('GET', '/api/v1/legal/eula'), 404, 'not_found',
    'GET /legal/eula');

# ---- sscnctl legal publish: bad input ---------------------------------------------

my $file = temp_file("# Test terms\n\nNo version line here.\n");
my @cases = (
	[ 'no arguments', ['legal'], 2 ],
	[ 'unknown subcommand', ['legal', 'remove', 'terms', $file], 2 ],
	[ 'unknown document', ['legal', 'publish', 'eula', $file], 2 ],
	[ 'missing file', ['legal', 'publish', 'terms', '/nonexistent/t.md'], 1 ],
	[ 'no Version line', ['legal', 'publish', 'terms', $file], 2 ],
	[ 'invalid --version', ['legal', 'publish', 'terms', $file,
	  '--version', 'a b'], 2 ],
	[ 'empty file', ['legal', 'publish', 'terms', temp_file('')], 1 ],
	[ 'NUL byte', ['legal', 'publish', 'terms', temp_file("a\0b"),
	  '--version', 'x1'], 1 ],
);
my $documents = row_count('sscn.legal_documents');
for my $case (@cases) {
	my ($name, $args, $exit) = @$case;
	my ($status, $out) = sscnctl(@$args);
	is($status, $exit, "legal publish, $name: exit $exit") or diag($out);
}
is(row_count('sscn.legal_documents'), $documents,
    'rejected publishes: nothing stored');

my ($status, $out) = sscnctl('legal', 'publish', 'cookies',
    "$ROOT/docs/legal/cookies.md");
is($status, 0, 'publishing the shipped cookie policy again: exit 0');
like($out, qr/already published/, 'publishing again: already published');
is(row_count('sscn.legal_documents'), $documents,
    'publishing again: no new row');

# ---- a new terms version and re-acceptance ----------------------------------------

my $published;
END {
	if (defined $published) {
		local $?;
		psql_value('DELETE FROM sscn.legal_acceptances '
		    . "WHERE kind = 'terms' AND version = '$published'; "
		    . 'DELETE FROM sscn.legal_documents '
		    . "WHERE kind = 'terms' AND version = '$published'")
		    // diag("remove terms version $published by hand");
	}
}

my $member = member() or BAIL_OUT('cannot create a user');
my ($old_terms) = legal_versions();

my $new = 't323-' . substr(random_id(), 0, 12);
my $terms_file = temp_file("# SSCN Terms of Service\n\nVersion $new. "
    . "Test text.\n");
($status, $out) = sscnctl('legal', 'publish', 'terms', $terms_file);
is($status, 0, "publish terms $new: exit 0") or diag($out);
$published = $new if $status == 0;
like($out, qr/published terms version \Q$new\E/, 'publish: prints the version');
my $audit = psql_json("SELECT action, target, user_agent, details "
    . "FROM sscn.audit_log WHERE action = 'legal.publish' "
    . "AND details->>'version' = '$new'");
is(scalar @{ $audit // [] }, 1, 'publish: one audit row legal.publish');
is($audit->[0]{target}, 'terms', 'audit: target terms');
is($audit->[0]{details}{sha256}, sha256_hex(read_text($terms_file)),
    'audit: SHA-256 of the text');

($status, $out) = sscnctl('legal', 'publish', 'terms',
    temp_file("Version $new. Another text.\n"));
is($status, 1, 'same version, other text: exit 1');
like($out, qr/already published with another text/,
    'same version, other text: says so');
is(psql_value("SELECT encode(sha256(convert_to(body, 'UTF8')), 'hex') "
    . "FROM sscn.legal_documents WHERE kind = 'terms' AND version = '$new'"),
    sha256_hex(read_text($terms_file)),
    'same version, other text: the text is unchanged');

($status, $out) = sscnctl('legal', 'publish', 'terms', $terms_file,
    '--version', "$new-b");
is($status, 0, 'publish with --version: exit 0') or diag($out);
is(psql_value("SELECT count(*) FROM sscn.legal_documents WHERE kind = "
    . "'terms' AND version = '$new-b'"), 1, '--version: stored under it');
psql_value("DELETE FROM sscn.legal_documents WHERE kind = 'terms' "
    . "AND version = '$new-b'");

my $res = api('GET', '/api/v1/legal/terms');
is($res->{json}{version}, $new, 'GET /legal/terms: the new version');

$res = login_user($member->{user});
my $body = is_error_response($res, 403, 'acceptance_required',
    'login after the new terms',
    allow_top => [qw(access_token token_type expires_in user)]);
my $restricted = $body->{access_token};
ok(defined $restricted, 'restricted access token');
is_error_response(api('GET', '/api/v1/me/preferences', token => $restricted),
    403, 'acceptance_required', 'restricted session: preferences');
is(api('POST', '/api/v1/consents', token => $restricted, json => {
    categories => { analytics => JSON::PP::false,
    marketing => JSON::PP::false }, policy_version => cookie_version() })
    ->{status}, 201, 'restricted session: cookie consent still works');

$res = api('POST', '/api/v1/legal/accept', token => $restricted,
    json => { document => 'terms', version => $old_terms });
is_error_response($res, 400, 'validation_failed', 'accept the old version');
$res = api('POST', '/api/v1/legal/accept', token => $restricted,
    json => { document => 'terms', version => $new });
is($res->{status}, 204, 'accept the new version: 204') or diag($res->{body});
is(psql_value("SELECT count(*) FROM sscn.legal_acceptances WHERE user_id = "
    . "'$member->{user_id}' AND kind = 'terms' AND version = '$new'"), 1,
    'acceptance recorded');
is(api('GET', '/api/v1/me/preferences', token => $restricted)->{status}, 200,
    'after acceptance: the session is no longer restricted');
is(login_user($member->{user})->{status}, 200, 'next login: 200');

done_testing();
