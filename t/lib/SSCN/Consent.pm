package SSCN::Consent;

# Helpers for the consent, preference, unsubscribe and legal document
# tests (t/32N_*.t): logged-in users, the marketing preference, newsletter
# runs and the unsubscribe token taken from a newsletter mail.

use v5.36;

use Exporter qw(import);
use File::Temp qw(tempfile);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(
    member set_marketing newsletter newsletter_mails unsubscribe_token
    cookie_version row_count
);

# A new verified user, logged in: {user, email, token, user_id}, or undef
# with a diagnostic.
sub member () {
	my $user = verified_user() or return undef;
	my $res = login_user($user);
	unless (($res->{status} // 0) == 200 && defined $res->{token}) {
		diag("login $user->{email}: $res->{status} " . ($res->{body} // ''));
		return undef;
	}
	return { user => $user, email => $user->{email}, token => $res->{token},
	    user_id => user_id_of($user->{email}) };
}

# PUT /api/v1/me/preferences {"marketing_emails": ON} as MEMBER.
sub set_marketing ($member, $on) {
	return api('PUT', '/api/v1/me/preferences', token => $member->{token},
	    json => { marketing_emails => $on ? JSON::PP::true : JSON::PP::false });
}

# Run "sscnctl newsletter SUBJECT FILE" with BODY in a temporary file.
# Returns (exit status, output).
sub newsletter ($subject, $body = "News from SSCN.\n") {
	my ($fh, $path) = tempfile('sscn-newsletter-XXXXXX', TMPDIR => 1,
	    UNLINK => 1);
	print $fh $body;
	close $fh;
	return sscnctl('newsletter', $subject, $path);
}

# Newsletter mails to EMAIL, oldest first.
sub newsletter_mails ($email) {
	return mail_for($email, 'newsletter');
}

# The token of the unsubscribe link in MAIL's body.
sub unsubscribe_token ($mail) {
	my ($token) = ($mail->{body} // '')
	    =~ m{/api/v1/unsubscribe\?token=([A-Za-z0-9_-]+)};
	return $token;
}

# The current cookie policy version, from GET /api/v1/legal/cookies.
sub cookie_version () {
	return api('GET', '/api/v1/legal/cookies')->{json}{version};
}

# The number of rows of TABLE (a fixed name) WHERE CONDITION.
sub row_count ($table, $condition = 'true') {
	return psql_value("SELECT count(*) FROM $table WHERE $condition");
}

1;
