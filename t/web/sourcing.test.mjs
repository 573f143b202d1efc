// sourcing.test.mjs - browser journeys of the sourcing pages (run by
// t/610_web_sourcing.t under node's test runner).
//
// The demo buyer creates an RFQ with an NDA for invited suppliers, invites
// two demo suppliers and publishes it.  The first supplier sees the
// teaser, accepts the NDA, quotes and revises; the second quotes and
// withdraws.  Once the deadline has passed the buyer compares the quotes
// and awards one, and the first supplier sees the award.  A second RFQ
// and a message carry HTML and script in their text, which must show as
// text without running.  Every page must load without a console error or
// CSP violation, and each main page is saved as a screenshot.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
	DEMO_PASSWORD, launchBrowser, newVisitor, openPage, psql, screenshot, takeProblems,
} from "./harness.mjs";

const BUYER = "buyer1@demo.example.test";
const SUPPLIER = { email: "supplier1@demo.example.test", name: "Precision Parts s.r.o." };
const RIVAL = { email: "supplier2@demo.example.test", name: "Lumen Electronics Sp. z o.o." };

// Markup that sets window.sscnInjected if the page ever parses it as HTML.
const PAYLOAD = "<img src=x onerror=\"window.sscnInjected=1\"><script>window.sscnInjected=2</script>";

let browser;
const pages = {};

before(async () => {
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
});

function assertClean(page, options) {
	assert.deepEqual(takeProblems(page, options), [], "console errors or CSP violations");
}

// The value of an <input type="datetime-local"> for a time offsetMs from
// now, in the local time zone that Chromium shares with this process.
function localInput(offsetMs) {
	const date = new Date(Date.now() + offsetMs);
	const pad = (number) => String(number).padStart(2, "0");
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
		`T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function isoDate(offsetDays) {
	return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}

// Open a signed-in page for email, with the cookie banner answered.
async function signedIn(email) {
	const context = await newVisitor(browser);
	const page = await openPage(context);
	page.on("dialog", (dialog) => dialog.accept());
	await page.goto("/login");
	const banner = page.locator(".cookie-banner");
	await banner.getByRole("button", { name: "Reject all" }).click();
	await banner.waitFor({ state: "detached" });
	await page.getByLabel("E-mail address").fill(email);
	await page.getByLabel("Password").fill(DEMO_PASSWORD);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/dashboard");
	await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
	return page;
}

async function notice(page, text) {
	await page.locator(".alert-info").getByText(text).waitFor();
}

async function fillRfq(page, rfq) {
	await page.getByLabel("Title").fill(rfq.title);
	await page.getByLabel("Description").fill(rfq.description);
	await page.getByLabel("Category").selectOption("metal-machining");
	await page.getByLabel("Quantity").fill("500");
	await page.getByLabel(/^Unit\b/).fill("pcs");
	await page.getByLabel("Currency").fill("EUR");
	await page.getByLabel("Delivery country").fill("DE");
	await page.getByLabel("Quote deadline").fill(localInput(2 * 3600 * 1000));
	await page.getByLabel("Needed by").fill(isoDate(40));
	await page.getByLabel("Who may quote").selectOption(rfq.visibility);
	if (rfq.nda) {
		await page.getByLabel(/non-disclosure agreement first/).check();
	}
}

function rfqIdOf(page) {
	const found = /\/rfqs\/([0-9a-f-]{36})/.exec(page.url());
	assert.ok(found, `an RFQ id in ${page.url()}`);
	return found[1];
}

async function invite(page, supplier) {
	await page.getByLabel("Supplier name or keyword").fill(supplier.name.split(" ")[0]);
	await page.getByRole("button", { name: "Search", exact: true }).click();
	await page.getByLabel(new RegExp("^" + supplier.name.replace(/[.]/g, "\\."))).check();
	await page.getByRole("button", { name: "Invite the chosen suppliers" }).click();
	await notice(page, "The suppliers are invited.");
}

// ---- RFQ with NDA: invite, NDA, quote, award --------------------------------

const rfq = {
	title: `Turned flanges ${Date.now()}`,
	description: "Stainless 1.4404, drawing on request.\nPacking: 50 per box.",
	visibility: "invited",
	nda: true,
};

test("buyer dashboard and RFQ list", async () => {
	pages.buyer = await signedIn(BUYER);
	await pages.buyer.getByRole("heading", { name: "My requests for quotation" }).waitFor();
	await screenshot(pages.buyer, "dashboard-buyer");
	await pages.buyer.getByRole("link", { name: "Requests", exact: true }).click();
	await pages.buyer.getByRole("heading", { name: "Requests for quotation", level: 1 }).waitFor();
	await pages.buyer.locator("table tbody tr").first().waitFor();
	await screenshot(pages.buyer, "rfq-list");
	assertClean(pages.buyer);
});

test("buyer creates a draft RFQ with an NDA", async () => {
	const page = pages.buyer;
	await page.getByRole("link", { name: "New request for quotation" }).click();
	await page.getByRole("heading", { name: "New request for quotation" }).waitFor();
	await fillRfq(page, rfq);
	await screenshot(page, "rfq-new");
	await page.getByRole("button", { name: "Save draft" }).click();
	await notice(page, "The draft is saved.");
	rfq.id = rfqIdOf(page);
	await page.getByRole("heading", { name: rfq.title, level: 1 }).waitFor();
	assert.equal(await page.locator(".badge").first().textContent(), "Draft");
	assertClean(page);
});

test("publishing without an invitation names the problem", async () => {
	const page = pages.buyer;
	await page.getByRole("button", { name: "Publish" }).click();
	const alert = page.locator(".alert-error");
	await alert.waitFor();
	assert.match(await alert.textContent(), /Request id for support/);
	assertClean(page, { allowStatus: [400] });
});

test("buyer edits the draft", async () => {
	const page = pages.buyer;
	await page.getByRole("link", { name: "Edit the draft" }).click();
	await page.getByRole("heading", { name: "Edit the draft" }).waitFor();
	await page.getByLabel("Quantity").fill("600");
	await page.getByRole("button", { name: "Save changes" }).click();
	await notice(page, "The changes are saved.");
	await page.getByText("600 pcs").waitFor();
	assertClean(page);
});

test("buyer invites two suppliers and publishes", async () => {
	const page = pages.buyer;
	await invite(page, SUPPLIER);
	await invite(page, RIVAL);
	const invited = page.locator("section", { has: page.getByRole("heading", { name: "Invited suppliers" }) });
	await invited.getByRole("link", { name: SUPPLIER.name }).waitFor();
	await invited.getByRole("link", { name: RIVAL.name }).waitFor();
	await page.getByRole("button", { name: "Publish" }).click();
	await notice(page, "The request is published.");
	assert.equal(await page.locator(".badge").first().textContent(), "Open for quotes");
	await screenshot(page, "rfq-detail-buyer");
	assertClean(page);
});

test("supplier sees the teaser and accepts the NDA", async () => {
	pages.supplier = await signedIn(SUPPLIER.email);
	const page = pages.supplier;
	const invitations = page.locator("section", { has: page.getByRole("heading", { name: "Invitations" }) });
	const row = invitations.locator("tr", { hasText: rfq.title });
	await row.getByText("NDA to accept").waitFor();
	await screenshot(page, "dashboard-supplier");
	assertClean(page);

	await row.getByRole("link", { name: rfq.title }).click();
	await page.getByRole("heading", { name: "Non-disclosure agreement", level: 1 }).waitFor();
	await page.getByRole("heading", { name: rfq.title }).waitFor();
	assert.equal(await page.getByText("Stainless 1.4404").count(), 0,
		"the description stays hidden before the NDA is accepted");
	await page.locator(".nda-text").getByText("Non-Disclosure Agreement").waitFor();
	await screenshot(page, "rfq-nda-gate");
	// Opening the RFQ before acceptance is the 403 nda_required that the gate shows.
	assertClean(page, { allowStatus: [403] });

	await page.getByRole("button", { name: "Accept and open the request" }).click();
	await page.getByText("This field is required.").waitFor();
	await page.getByLabel(/I accept this agreement/).check();
	await page.getByRole("button", { name: "Accept and open the request" }).click();
	await page.getByRole("heading", { name: rfq.title, level: 1 }).waitFor();
	await page.getByText("Stainless 1.4404").waitFor();
	assertClean(page);
});

test("supplier submits and revises a quote", async () => {
	const page = pages.supplier;
	await page.getByLabel("Unit price").fill("12.50");
	await page.getByLabel("Lead time in days").fill("21");
	await page.getByLabel("Valid until").fill(isoDate(60));
	await page.getByLabel("Notes").fill("Material certificate 3.1 included.");
	await screenshot(page, "quote-new");
	await page.getByRole("button", { name: "Submit the quote" }).click();
	await notice(page, "Your quote is submitted.");
	await page.getByRole("heading", { name: "Your quote", exact: true }).waitFor();

	await page.getByLabel("Unit price").fill("11.90");
	await page.getByRole("button", { name: "Submit a revision" }).click();
	await notice(page, "Your quote is updated.");
	const history = page.locator("table", { hasText: "Revisions, oldest first" });
	await history.locator("tbody tr").nth(1).waitFor();
	assert.equal(await history.locator("tbody tr").count(), 2);
	await screenshot(page, "quote-supplier");
	assertClean(page);
});

test("supplier posts a message to the buyer", async () => {
	const page = pages.supplier;
	await page.getByRole("link", { name: "Messages with the buyer" }).click();
	await page.getByRole("heading", { name: "Messages", level: 1 }).waitFor();
	await page.getByLabel("Your message").fill("Is 1.4571 acceptable as well?");
	await page.getByRole("button", { name: "Send" }).click();
	await page.locator(".message-body").getByText("Is 1.4571 acceptable as well?").waitFor();
	await screenshot(page, "messages-supplier");
	assertClean(page);
});

test("second supplier quotes and withdraws", async () => {
	const page = await signedIn(RIVAL.email);
	await page.goto("/rfqs/" + rfq.id);
	await page.getByLabel(/I accept this agreement/).check();
	await page.getByRole("button", { name: "Accept and open the request" }).click();
	await page.getByLabel("Unit price").fill("10.00");
	await page.getByLabel("Lead time in days").fill("30");
	await page.getByLabel("Valid until").fill(isoDate(60));
	await page.getByRole("button", { name: "Submit the quote" }).click();
	await notice(page, "Your quote is submitted.");

	// Date the submission a day back, so that the withdrawal is the
	// later change on the page.
	const quoteId = psql("UPDATE sscn.quotes q SET submitted_at = submitted_at - interval '1 day' "
		+ "FROM sscn.organizations o WHERE o.id = q.supplier_org_id AND o.name = '"
		+ RIVAL.name + "' AND q.rfq_id = '" + rfq.id + "' RETURNING q.id");
	psql("UPDATE sscn.quote_revisions SET created_at = created_at - interval '1 day' "
		+ "WHERE quote_id = '" + quoteId + "'");
	await page.reload();
	await page.getByRole("button", { name: "Withdraw the quote" }).click();
	await notice(page, "Your quote is withdrawn.");
	await page.locator(".badge", { hasText: "Withdrawn" }).waitFor();

	const withdrawnAt = psql("SELECT to_char(withdrawn_at AT TIME ZONE 'UTC', "
		+ "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM sscn.quotes WHERE id = '" + quoteId + "'");
	const expected = await page.evaluate((value) => new Date(value).toLocaleString(undefined,
		{ dateStyle: "medium", timeStyle: "short" }), withdrawnAt);
	const fact = (term) => page.locator("dt", { hasText: term }).locator("xpath=following-sibling::dd[1]");
	assert.equal(await fact("Last change").textContent(), expected,
		"a withdrawn quote's last change is its withdrawal");
	assert.notEqual(await fact("First submitted").textContent(), expected,
		"the submission stays a day earlier");
	assertClean(page, { allowStatus: [403] });
	await page.context().close();
});

test("buyer replies in the supplier's thread", async () => {
	const page = pages.buyer;
	await page.goto("/rfqs/" + rfq.id + "/messages");
	await page.getByRole("link", { name: SUPPLIER.name }).click();
	await page.getByText("Is 1.4571 acceptable as well?").waitFor();
	await page.getByLabel("Your message").fill("Yes, 1.4571 is fine.");
	await page.getByRole("button", { name: "Send" }).click();
	await page.locator(".message-body").getByText("Yes, 1.4571 is fine.").waitFor();
	await screenshot(page, "messages-buyer");
	assertClean(page);
});

test("buyer awards after the deadline", async () => {
	const page = pages.buyer;
	// The API takes only a future deadline, so the test moves it into the
	// past in the database instead of waiting for it.
	psql(`UPDATE sscn.rfqs SET quote_deadline = now() - interval '1 second' WHERE id = '${rfq.id}'`);
	await page.goto("/rfqs/" + rfq.id);
	assert.equal(await page.locator(".badge").first().textContent(), "Closed");
	const table = page.locator("table.comparison");
	const row = table.locator("tbody tr", { hasText: SUPPLIER.name });
	await row.getByText("11.90 EUR").waitFor();
	await row.getByText("7,140.00 EUR").waitFor();
	assert.equal(await table.locator("tbody tr", { hasText: RIVAL.name }).count(), 0,
		"a withdrawn quote is hidden from the buyer");
	await screenshot(page, "rfq-compare");

	await row.getByRole("button", { name: /Award/ }).click();
	await notice(page, "The quote is awarded.");
	assert.equal(await page.locator(".badge").first().textContent(), "Awarded");
	await row.locator(".badge", { hasText: "Awarded" }).waitFor();
	assertClean(page);
});

test("supplier sees the award", async () => {
	const page = pages.supplier;
	await page.goto("/rfqs/" + rfq.id);
	await page.getByText("Your quote was awarded.").waitFor();
	await screenshot(page, "quote-awarded");
	assertClean(page);
});

// ---- markup in user text -----------------------------------------------------

const hostile = {
	title: `Flanges ${PAYLOAD}`,
	description: `Drawing ${PAYLOAD}`,
	visibility: "public",
	nda: false,
};

async function assertNotInjected(page) {
	assert.equal(await page.evaluate(() => window.sscnInjected), undefined,
		"no script from user text ran");
	assert.equal(await page.locator("main img[src='x'], main script").count(), 0,
		"user text made no element");
}

test("RFQ title with markup shows as text", async () => {
	const page = pages.buyer;
	await page.goto("/rfqs/new");
	await fillRfq(page, hostile);
	await page.getByRole("button", { name: "Save draft" }).click();
	await notice(page, "The draft is saved.");
	hostile.id = rfqIdOf(page);
	await page.getByRole("button", { name: "Publish" }).click();
	await notice(page, "The request is published.");
	assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), hostile.title);
	await page.getByText(hostile.description).waitFor();
	await assertNotInjected(page);

	await page.goto("/dashboard");
	await page.getByRole("link", { name: hostile.title }).first().waitFor();
	await assertNotInjected(page);
	assertClean(page);
});

test("message body with markup shows as text", async () => {
	const page = pages.supplier;
	await page.goto("/rfqs/" + hostile.id + "/messages");
	await page.getByLabel("Your message").fill(PAYLOAD);
	await page.getByRole("button", { name: "Send" }).click();
	await page.locator(".message-body").getByText(PAYLOAD).waitFor();
	await assertNotInjected(page);
	assertClean(page);

	const buyer = pages.buyer;
	await buyer.goto("/rfqs/" + hostile.id + "/messages");
	await buyer.getByRole("link", { name: SUPPLIER.name }).click();
	await buyer.locator(".message-body").getByText(PAYLOAD).waitFor();
	await assertNotInjected(buyer);
	assertClean(buyer);

	await buyer.goto("/rfqs/" + hostile.id);
	await buyer.getByRole("button", { name: "Cancel the request…" }).click();
	await buyer.getByLabel("Reason for cancelling").fill("Test finished.");
	await buyer.getByRole("button", { name: "Cancel the request", exact: true }).click();
	await notice(buyer, "The request is cancelled.");
	assertClean(buyer);
});

// ---- supplier directory --------------------------------------------------------

test("supplier directory search and profile", async () => {
	const page = pages.buyer;
	await page.getByRole("link", { name: "Suppliers", exact: true }).click();
	await page.getByRole("heading", { name: "Supplier directory" }).waitFor();
	// Words of the names narrow the results, so that suppliers seeded by
	// bench/seed-suppliers do not push the demo ones off the first page.
	await page.getByLabel("Search").fill("Iberia");
	await page.getByLabel("Category").selectOption("packaging");
	await page.getByRole("button", { name: "Search", exact: true }).click();
	await page.waitForURL("**/suppliers?*category=packaging*");
	const results = page.locator("table tbody");
	await results.getByRole("link", { name: "Iberia Packaging S.L." }).waitFor();
	assert.equal(await results.getByRole("link", { name: SUPPLIER.name }).count(), 0,
		"the category filter leaves out other suppliers");
	await screenshot(page, "supplier-directory");

	await page.getByLabel("Search").fill(`"${SUPPLIER.name}"`);
	await page.getByLabel("Category").selectOption("");
	await page.getByRole("button", { name: "Search", exact: true }).click();
	await results.getByRole("link", { name: SUPPLIER.name }).click();
	await page.getByRole("heading", { name: SUPPLIER.name, level: 1 }).waitFor();
	await page.locator(".markdown li").first().waitFor();
	await page.getByText("ISO 9001:2015").waitFor();
	await screenshot(page, "supplier-profile");
	assertClean(page);
});
