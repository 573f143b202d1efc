#!/usr/bin/perl
# The supplier description is Markdown rendered by cmark in safe mode: raw
# HTML (script elements, event handler attributes) and javascript:,
# vbscript: and data: links never reach the stored HTML, in any spelling,
# while ordinary Markdown keeps working.  The source is stored unchanged.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Suppliers;
use Test::More;

require_stack();

my $owner = org_user('supplier');
my $org = $owner->{org_id};

# The four classic vectors: none of their text may survive.
my $res = put_profile($owner, $org, { description => join("\n\n",
    '<script>alert(1)</script>',
    'Text <img src=x onerror=alert(1)> inline.',
    '[x](javascript:alert(1))',
    '[y](data:text/html,<script>alert(2)</script>)') });
my $html = is_json_ok($res, 200, 'put the classic vectors')
    ->{description_html} // '';
unlike($html, qr/<script/i, 'classic: no script element');
unlike($html, qr/onerror/i, 'classic: no onerror attribute');
unlike($html, qr/javascript:/i, 'classic: no javascript: text');
unlike($html, qr/data:text\/html/i, 'classic: no data:text/html text');
unlike($html, qr/<img/i, 'classic: no img element');

# More spellings.  An autolink's text may show "javascript:" as plain
# text, so these check the URL attributes.
my $description = join("\n\n",
    '[z](JaVaScRiPt:alert(3))',
    '[w](vbscript:msgbox(4))',
    '[v](&#106;avascript:alert(5))',
    '[u](data:text/html;base64,PHNjcmlwdD4=)',
    '<a href="javascript:alert(6)">raw link</a>',
    '<div onmouseover="alert(7)">block</div>',
    '![i](javascript:alert(8))',
    '<javascript:alert(9)>',
    '<svg/onload=alert(10)>',
    'We make *precise* parts and **ship** fast.',
    "- milling\n- turning",
    '[our site](https://mill.example/parts)',
);

$res = put_profile($owner, $org, { description => $description });
my $body = is_json_ok($res, 200, 'put a hostile description');
$html = $body->{description_html} // '';
my @urls = $html =~ /\b(?:href|src)\s*=\s*"([^"]*)"/gi;

is($body->{description_md}, $description, 'source stored unchanged');
unlike($html, qr/<script|<svg|<div/i, 'no raw elements');
unlike($html, qr/<[a-z][^>]*[\s\/]on[a-z]+\s*=/i,
    'no event handler attribute in a tag');
is_deeply([grep { /^\s*(?:javascript|vbscript|data):/i } @urls], [],
    'no javascript:, vbscript: or data: URL');
like($html, qr{<em>precise</em>}, 'emphasis kept');
like($html, qr{<strong>ship</strong>}, 'strong emphasis kept');
like($html, qr{<ul>\s*<li>milling</li>\s*<li>turning</li>\s*</ul>},
    'list kept');
like($html, qr{<a href="https://mill\.example/parts">our site</a>},
    'https link kept');

# What the database holds is what the API answered.
my $stored = psql_value('SELECT description_html FROM sscn.supplier_profiles '
    . "WHERE organization_id = '$org'");
utf8::decode($stored);
is($stored, $html, 'stored HTML equals the answer');

# Multi-byte text and a tab survive; NFC is applied to the source.
$res = put_profile($owner, $org,
    { description => "Qualit\x{0065}\x{0301}t\tgepr\x{00fc}ft" });
$body = is_json_ok($res, 200, 'put a decomposed accent');
is($body->{description_md}, "Qualit\x{00e9}t\tgepr\x{00fc}ft",
    'description normalized to NFC');

done_testing();
