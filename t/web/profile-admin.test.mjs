// profile-admin.test.mjs - browser journeys of the supplier profile editor
// and the administration pages (run by t/611_web_profile_admin.t under
// node's test runner).
//
// A new supplier edits its profile.  A field error shows next to its
// field.  Then the description (with markup that must not run), the
// categories, a capacity and a certification with an uploaded PNG are
// saved and shown on the profile.  A new platform administrator sets a
// password from the sscnctl link, enrols TOTP, then locks and unlocks the
// supplier from the access review, signs the review off, finds the lock
// in the audit log and records and updates an incident.  Every page must load without a
// console error or CSP violation, and each main page is saved as a
// screenshot.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { deflateSync } from "node:zlib";

import {
	launchBrowser, mailLink, newVisitor, openPage, screenshot, sscnctl, strongPassword,
	takeProblems, totpCode, uniqueEmail, waitForFreshTotpStep,
} from "./harness.mjs";

const PAYLOAD = "<img src=x onerror=\"window.sscnInjected=1\"><script>window.sscnInjected=2</script>";

let browser;

before(async () => {
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
});

function assertClean(page, options) {
	assert.deepEqual(takeProblems(page, options), [], "console errors or CSP violations");
}

async function visitor() {
	const context = await newVisitor(browser);
	const page = await openPage(context);
	page.on("dialog", (dialog) => dialog.accept());
	return page;
}

async function logIn(page, email, password) {
	await page.goto("/login");
	// Each visitor is a new browser context, so the banner shows once.
	const banner = page.locator(".cookie-banner");
	await banner.getByRole("button", { name: "Reject all" }).click();
	await banner.waitFor({ state: "detached" });
	await page.getByLabel("E-mail address").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

// A 2x2 PNG image, built with its CRCs, that libmagic and the server's
// structure check take as image/png.
function pngImage() {
	const crcTable = Array.from({ length: 256 }, (_, n) => {
		let c = n;
		for (let k = 0; k < 8; k++) {
			c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		}
		return c >>> 0;
	});
	const crc32 = (bytes) => {
		let c = 0xffffffff;
		for (const byte of bytes) {
			c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
		}
		return (c ^ 0xffffffff) >>> 0;
	};
	const chunk = (type, data) => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(body));
		return Buffer.concat([length, body, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(2, 0);
	header.writeUInt32BE(2, 4);
	header[8] = 8;
	header[9] = 2;
	const rows = Buffer.from([0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 255, 0]);
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

// ---- supplier profile ------------------------------------------------------

const supplier = {
	name: "Marta Kowal",
	email: uniqueEmail("profile"),
	company: `Kowal Drehteile ${Date.now()}`,
	password: strongPassword(),
};
let supplierPage;

test("new supplier registers and signs in", async () => {
	supplierPage = await visitor();
	const request = supplierPage.context().request;
	const versions = {};
	for (const name of ["terms", "privacy"]) {
		versions[name] = (await (await request.get("/api/v1/legal/" + name)).json()).version;
	}
	const registered = await request.post("/api/v1/auth/register", { data: {
		email: supplier.email, password: supplier.password, full_name: supplier.name,
		organization_name: supplier.company, organization_kind: "supplier",
		accept_terms_version: versions.terms, accept_privacy_version: versions.privacy } });
	assert.equal(registered.status(), 202);
	const link = await mailLink(supplier.email, "/verify-email");
	const token = new URL(link).hash.replace("#token=", "");
	const verified = await request.post("/api/v1/auth/verify-email", { data: { token } });
	assert.equal(verified.status(), 200);

	await logIn(supplierPage, supplier.email, supplier.password);
	await supplierPage.waitForURL("**/dashboard");
	await supplierPage.getByRole("heading", { name: "Invitations" }).waitFor();
	assertClean(supplierPage);
});

test("profile edit shows a field error next to its field", async () => {
	const page = supplierPage;
	await page.getByRole("link", { name: "edit it" }).click();
	await page.getByRole("heading", { name: "Edit supplier profile" }).waitFor();
	await page.getByLabel("Website").fill("http://insecure.example.test");
	await page.getByRole("button", { name: "Save the profile" }).click();
	const website = page.getByLabel("Website");
	await page.locator('[data-error-for="website"]:not([hidden])').waitFor();
	assert.equal(await website.getAttribute("aria-invalid"), "true");
	assert.match(await page.locator(".alert-error").textContent(), /Request id for support/);
	assertClean(page, { allowStatus: [400] });
});

test("profile edit saves a certificate file", async () => {
	const page = supplierPage;
	await page.getByLabel("Website").fill("https://kowal.example.test");
	await page.getByLabel("Description").fill(`We turn *stainless* parts.\n\n${PAYLOAD}`);
	await page.getByLabel("CNC machining and turned metal parts").check();
	await page.getByLabel("Delivery regions").fill("de, at, PL");

	await page.getByRole("button", { name: "Add a capacity" }).click();
	const capacity = page.locator('[data-repeater="capacities"] .repeat-row').last();
	await capacity.getByLabel("Category").selectOption("metal-machining");
	await capacity.getByLabel("Quantity").fill("12000");
	await capacity.getByLabel("Unit").fill("pcs");

	await page.getByRole("button", { name: "Add a certification" }).click();
	const cert = page.locator('[data-repeater="certifications"] .repeat-row').last();
	await cert.getByLabel("Scheme").fill("ISO 9001:2015");
	await cert.getByLabel("Certificate number").fill("PL-QMS-5521");
	await cert.getByLabel("Issuer").fill("Demo Certification Body");
	await cert.getByLabel("Valid from").fill("2025-01-01");
	await cert.getByLabel("Valid until").fill("2028-01-01");
	await cert.getByLabel("Certificate file").setInputFiles({ name: "iso9001.png",
		mimeType: "image/png", buffer: pngImage() });
	await screenshot(page, "supplier-edit");

	await page.getByRole("button", { name: "Save the profile" }).click();
	await page.getByRole("heading", { name: supplier.company, level: 1 }).waitFor();
	await page.locator(".markdown em").getByText("stainless").waitFor();
	assert.equal(await page.evaluate(() => window.sscnInjected), undefined,
		"no script from the description ran");
	assert.equal(await page.locator(".markdown img, .markdown script").count(), 0,
		"raw HTML of the description made no element");
	await page.getByText("DE, AT, PL").waitFor();
	const row = page.locator("tr", { hasText: "PL-QMS-5521" });
	await row.getByText("Claimed").waitFor();
	const download = row.getByRole("link", { name: "Download" });
	const response = await page.context().request.get(await download.getAttribute("href"));
	assert.equal(response.status(), 200);
	assert.equal(response.headers()["content-type"], "image/png");
	await screenshot(page, "supplier-profile-own");
	assertClean(page);
});

// ---- administration ---------------------------------------------------------

const admin = { email: uniqueEmail("admin"), password: strongPassword() };
let adminPage;

test("new administrator sets a password and enrols TOTP", async () => {
	const output = sscnctl("create-admin", admin.email, "--name", "Web Admin");
	const token = /#token=([A-Za-z0-9_-]+)/.exec(output)[1];
	adminPage = await visitor();
	const reset = await adminPage.context().request.post("/api/v1/auth/password/reset",
		{ data: { token, new_password: admin.password } });
	assert.equal(reset.status(), 204);

	await logIn(adminPage, admin.email, admin.password);
	await adminPage.waitForURL("**/account/security**");
	await adminPage.getByRole("button", { name: "Set up two-factor authentication" }).click();
	await adminPage.locator("[data-totp-secret]").waitFor();
	const secret = (await adminPage.locator("[data-totp-secret]").textContent()).trim();
	await waitForFreshTotpStep();
	await adminPage.getByLabel("Code from the app").fill(totpCode(secret));
	await adminPage.getByRole("button", { name: "Turn on" }).click();
	await adminPage.getByRole("button", { name: "I have saved the codes" }).click();
	await adminPage.getByText("Two-factor authentication is on.").waitFor();
	// The restricted session got 403 mfa_enrollment_required until now.
	assertClean(adminPage, { allowStatus: [403] });
});

test("admin users list", async () => {
	const page = adminPage;
	await page.getByRole("link", { name: "Admin", exact: true }).click();
	await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
	await page.locator("table tbody tr").first().waitFor();
	await screenshot(page, "admin-users");
	assertClean(page);
});

test("access review locks and unlocks an account", async () => {
	const page = adminPage;
	await page.getByRole("link", { name: "Access review" }).click();
	await page.getByRole("heading", { name: "Access review", level: 1 }).waitFor();
	const row = page.locator("tr", { hasText: supplier.email });
	await row.getByText("No", { exact: true }).last().waitFor();
	await screenshot(page, "admin-access-review");

	await row.getByRole("button", { name: /^Lock/ }).click();
	await row.getByRole("button", { name: /^Unlock/ }).waitFor();
	const me = await supplierPage.context().request.get("/api/v1/me");
	assert.equal(me.status(), 401, "the lock ended the supplier's session");
	await row.getByRole("button", { name: /^Unlock/ }).click();
	await row.getByRole("button", { name: /^Lock/ }).waitFor();
	assertClean(page);
});

test("access review shows roles and is signed off", async () => {
	const page = adminPage;
	await page.goto("/admin/access-review");
	const row = page.locator("tr", { hasText: supplier.email });
	await row.getByText(/\(supplier\): owner$/).waitFor();
	await page.getByRole("link", { name: "Download the review as CSV" }).waitFor();

	const note = `Quarterly review ${Date.now()}: no dormant supplier keeps access.`;
	await page.getByLabel("Review note").fill(note);
	await page.getByRole("button", { name: "Sign off the review" }).click();
	await page.getByText(/^The review is signed off: \d+ accounts, \d+ dormant/).waitFor();
	const audit = await page.context().request.get(
		"/api/v1/admin/audit?action=admin.access_review_sign_off&limit=1");
	assert.equal(audit.status(), 200);
	assert.equal((await audit.json()).items[0].details.note, note, "the audit row keeps the note");
	await page.reload();
	await page.getByText(/^Last sign-off: /).waitFor();
	assertClean(page);
});

test("audit search finds the lock", async () => {
	const page = adminPage;
	await page.goto("/admin/audit");
	await page.getByLabel("Action").fill("admin.lock");
	await page.getByRole("button", { name: "Search", exact: true }).click();
	await page.waitForURL("**/admin/audit?action=admin.lock");
	await page.locator("table.audit tbody tr", { hasText: "admin.lock" }).first().waitFor();
	await screenshot(page, "admin-audit");
	assertClean(page);
});

test("incident is recorded and updated", async () => {
	const page = adminPage;
	await page.goto("/admin/incidents");
	await page.getByRole("heading", { name: "Incidents", level: 1 }).waitFor();
	const title = `Misdirected export ${Date.now()}`;
	await page.getByLabel("Title").fill(title);
	await page.getByLabel("Severity").selectOption("sev3");
	await page.getByLabel("Description").fill("An export mail went to a former employee's address.");
	await page.getByRole("button", { name: "Record the incident" }).click();
	await page.getByRole("heading", { name: title, level: 1 }).waitFor();
	await page.getByText("The incident is recorded.").waitFor();

	await page.getByLabel("Status").selectOption("contained");
	await page.getByLabel("Likely consequences").fill("Names and order numbers of one buyer.");
	await page.getByRole("button", { name: "Save changes" }).click();
	await page.getByText("The changes are saved.").waitFor();
	const history = page.locator("table", { hasText: "Changes, oldest first" });
	await history.locator("tbody tr").nth(1).waitFor();
	await screenshot(page, "admin-incident");

	await page.getByRole("link", { name: "All incidents" }).click();
	await page.getByRole("link", { name: title }).waitFor();
	await screenshot(page, "admin-incidents");
	assertClean(page);
});
