// account.test.mjs - browser journeys of the account pages (run by
// t/600_web_account.t under node's test runner).
//
// One visitor registers, confirms the address from the mail link, logs
// in, enrols TOTP with a code computed from the secret on the page, signs
// out, logs in with a TOTP code and with a recovery code, and signs out.
// A second account covers the privacy page, API keys, the password change
// and revoking a session, and the session timers.  The cookie banner's
// choice must persist across reloads and change from the footer.  Every
// page must load without a console error or CSP violation, and each main
// page is saved as a screenshot.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
	DEMO_PASSWORD, launchBrowser, mailLink, newVisitor, openPage, screenshot,
	strongPassword, takeProblems, totpCode, uniqueEmail, waitForFreshTotpStep,
} from "./harness.mjs";

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

// Answer the cookie banner with "Reject all", so later steps see the page
// without it.
async function dismissCookieBanner(page) {
	const banner = page.locator(".cookie-banner");
	await banner.waitFor({ state: "visible" });
	await banner.getByRole("button", { name: "Reject all" }).click();
	await banner.waitFor({ state: "detached" });
}

async function register(page, account) {
	await page.goto("/register");
	await page.getByLabel("Full name").fill(account.name);
	await page.getByLabel("E-mail address").fill(account.email);
	await page.getByLabel("Company name").fill(account.company);
	await page.getByLabel("My company").selectOption(account.kind);
	await page.getByLabel("Password", { exact: true }).fill(account.password);
	await page.locator(".strength").getByText("This password is accepted.").waitFor();
	await page.getByLabel(/terms of service/).check();
	await page.getByLabel(/privacy notice/).check();
	await page.getByRole("button", { name: "Create account" }).click();
	await page.getByRole("heading", { name: "Check your mail" }).waitFor();
}

async function verify(page, account) {
	const link = await mailLink(account.email, "/verify-email");
	await page.goto(link);
	await page.waitForURL("**/login?notice=verified");
	await page.getByText("Your e-mail address is confirmed").waitFor();
}

async function logIn(page, email, password) {
	await page.goto("/login");
	await page.getByLabel("E-mail address").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function signOut(page) {
	await page.getByRole("button", { name: "Sign out", exact: true }).click();
	await page.waitForURL("**/login?notice=signed_out");
	await page.getByText("You are signed out.").waitFor();
}

// ---- registration, verification, MFA -------------------------------------

// The name carries markup that would set window.sscnXss if the page
// inserted it as HTML.
const alice = {
	name: "Alice <img src=x onerror=\"window.sscnXss=1\"> <script>window.sscnXss=2</script> Web",
	email: uniqueEmail("alice"),
	company: "Alice Web Components GmbH",
	kind: "buyer",
	password: strongPassword(),
};
let alicePage;
let secret;
let recoveryCodes;
let confirmStep;

test("landing page for a visitor", async () => {
	const context = await newVisitor(browser);
	alicePage = await openPage(context);
	await alicePage.goto("/");
	await alicePage.getByRole("heading", { level: 1 }).waitFor();
	await alicePage.locator(".cookie-banner").waitFor({ state: "visible" });
	await screenshot(alicePage, "landing");
	await dismissCookieBanner(alicePage);
	assertClean(alicePage);
});

test("strength meter reports a common password", async () => {
	await alicePage.goto("/register");
	await alicePage.getByLabel("Password", { exact: true }).fill("password123");
	const status = alicePage.locator(".strength .hint");
	await status.getByText("commonly used").waitFor();
	assert.equal(await alicePage.locator(".strength").getAttribute("data-acceptable"), "false");
	await screenshot(alicePage, "register");
	assertClean(alicePage);
});

test("register requires the terms check boxes", async () => {
	await alicePage.getByLabel("Full name").fill(alice.name);
	await alicePage.getByRole("button", { name: "Create account" }).click();
	const termsError = alicePage.locator('[data-error-for="accept_terms_version"]');
	await termsError.getByText("You must accept this").waitFor();
	assert.equal(await alicePage.getByLabel(/terms of service/).getAttribute("aria-invalid"), "true");
	assertClean(alicePage);
});

test("register, then verify from the mail link", async () => {
	await register(alicePage, alice);
	await verify(alicePage, alice);
	await screenshot(alicePage, "login");
	assertClean(alicePage);
});

test("log in with the password", async () => {
	await logIn(alicePage, alice.email, alice.password);
	await alicePage.waitForURL("**/dashboard");
	await alicePage.locator(".site-header").getByText(alice.name).waitFor();
	assertClean(alicePage);
});

test("name with markup is shown as text", async () => {
	await alicePage.goto("/account/security");
	const header = alicePage.locator(".site-header");
	await header.getByText(alice.name).waitFor();
	assert.equal(await header.locator("img, script").count(), 0, "no element made from the name");
	assert.equal(await alicePage.evaluate(() => window.sscnXss), undefined, "no script ran");
	assertClean(alicePage);
});

test("enrol TOTP from the displayed secret", async () => {
	await alicePage.getByRole("link", { name: "Security" }).click();
	await alicePage.waitForURL("**/account/security");
	await alicePage.getByRole("button", { name: "Set up two-factor authentication" }).click();
	const qr = alicePage.getByRole("img", { name: "QR code for your authenticator app" });
	await qr.waitFor();
	assert.ok(await qr.locator("path").getAttribute("d"), "the QR code has its modules");
	secret = (await alicePage.locator("[data-totp-secret]").textContent()).trim();
	assert.match(secret, /^[A-Z2-7]{32}$/);
	await screenshot(alicePage, "security-mfa-setup");

	// A mistyped code is an error on the form; the session goes on.
	await alicePage.getByLabel("Code from the app").fill("000000");
	await alicePage.getByRole("button", { name: "Turn on" }).click();
	await alicePage.getByText("The code is wrong, already used or expired.").waitFor();
	assert.match(alicePage.url(), /\/account\/security$/, "a wrong code keeps the page");
	assert.equal((await alicePage.request.get("/api/v1/me")).status(), 200,
		"a wrong code keeps the session");
	assertClean(alicePage, { allowStatus: [401] });

	await waitForFreshTotpStep();
	confirmStep = Math.floor(Date.now() / 30000);
	await alicePage.getByLabel("Code from the app").fill(totpCode(secret));
	await alicePage.getByRole("button", { name: "Turn on" }).click();
	const codes = alicePage.locator(".recovery-codes li");
	await codes.first().waitFor();
	recoveryCodes = await codes.allTextContents();
	assert.equal(recoveryCodes.length, 10);
	await screenshot(alicePage, "security-recovery-codes");
	await alicePage.getByRole("button", { name: "I have saved the codes" }).click();
	await alicePage.getByText("Two-factor authentication is on.").waitFor();
	await screenshot(alicePage, "security");
	assertClean(alicePage);
});

test("log out", async () => {
	await signOut(alicePage);
	assertClean(alicePage);
});

test("wrong TOTP code shows the error with a request id", async () => {
	await logIn(alicePage, alice.email, alice.password);
	await alicePage.getByLabel("Authenticator code").waitFor();
	await screenshot(alicePage, "login-mfa");
	await alicePage.getByLabel("Authenticator code").fill(totpCode(secret, -10));
	await alicePage.getByRole("button", { name: "Verify" }).click();
	const alert = alicePage.locator(".alert-error");
	await alert.getByText("The code is wrong, already used or expired.").waitFor();
	assert.match(await alert.locator(".request-id code").textContent(), /\S{8,}/);
	assertClean(alicePage, { allowStatus: [401] });
});

test("log in with a TOTP code", async () => {
	// The confirmation used its step; the server accepts only a later one.
	while (Math.floor(Date.now() / 30000) <= confirmStep) {
		await new Promise((done) => setTimeout(done, 500));
	}
	await waitForFreshTotpStep();
	await alicePage.getByLabel("Authenticator code").fill(totpCode(secret));
	await alicePage.getByRole("button", { name: "Verify" }).click();
	await alicePage.waitForURL("**/dashboard");
	await alicePage.locator(".site-header").getByText(alice.name).waitFor();
	assertClean(alicePage);
});

test("sign out", async () => {
	await signOut(alicePage);
	const me = await alicePage.request.get("/api/v1/me");
	assert.equal(me.status(), 401, "the session has ended on the server");
	assertClean(alicePage);
});

async function logInWithRecoveryCode(page, account, code) {
	await logIn(page, account.email, account.password);
	await page.getByRole("button", { name: "Use a recovery code instead" }).click();
	await page.getByLabel("Recovery code").fill(code);
	await page.getByRole("button", { name: "Verify" }).click();
}

test("log in with a recovery code", async () => {
	await logInWithRecoveryCode(alicePage, alice, recoveryCodes[0]);
	await alicePage.waitForURL("**/dashboard");
	await signOut(alicePage);
	assertClean(alicePage);
});

test("a used recovery code is refused", async () => {
	await logInWithRecoveryCode(alicePage, alice, recoveryCodes[0]);
	await alicePage.locator(".alert-error").getByText("The code is wrong").waitFor();
	assertClean(alicePage, { allowStatus: [401] });
	await alicePage.context().close();
});

// ---- forgot and reset password ------------------------------------------

const bob = {
	name: "Bob Web",
	email: uniqueEmail("bob"),
	company: "Bob Web Supplies s.r.o.",
	kind: "supplier",
	password: strongPassword(),
};
let bobPage;

test("forgot and reset the password from the mail link", async () => {
	const context = await newVisitor(browser);
	bobPage = await openPage(context);
	await bobPage.goto("/");
	await dismissCookieBanner(bobPage);
	await register(bobPage, bob);
	await verify(bobPage, bob);

	await bobPage.getByRole("link", { name: "Forgot your password?" }).click();
	await bobPage.getByLabel("E-mail address").fill(bob.email);
	await bobPage.getByRole("button", { name: "Send reset link" }).click();
	await bobPage.getByText("a reset link is on its way").waitFor();
	await screenshot(bobPage, "forgot-password");

	const link = await mailLink(bob.email, "/reset-password");
	bob.password = strongPassword();
	await bobPage.goto(link);
	assert.equal(new URL(bobPage.url()).hash, "", "the token leaves the address bar");
	await bobPage.getByLabel("New password", { exact: true }).fill(bob.password);
	await bobPage.getByLabel("New password again").fill(bob.password);
	await screenshot(bobPage, "reset-password");
	await bobPage.getByRole("button", { name: "Set password" }).click();
	await bobPage.waitForURL("**/login?notice=password_reset");
	await logIn(bobPage, bob.email, bob.password);
	await bobPage.waitForURL("**/dashboard");
	assertClean(bobPage);
});

// ---- account security and privacy ------------------------------------------

test("API key is shown once and revoked", async () => {
	await bobPage.goto("/account/security");
	await bobPage.getByLabel("Name", { exact: true }).fill("ERP import");
	await bobPage.getByRole("button", { name: "Create API key" }).click();
	const secretNode = bobPage.locator("[data-api-key-secret]");
	await secretNode.waitFor();
	assert.match(await secretNode.textContent(), /^[A-Za-z0-9_-]{43}$/);
	const row = bobPage.locator("tr", { hasText: "ERP import" });
	await row.getByRole("button", { name: "Revoke" }).click();
	await row.getByText(/^revoked/).waitFor();
	assertClean(bobPage);
});

test("revoking a session signs the other browser out", async () => {
	const otherContext = await newVisitor(browser);
	const other = await openPage(otherContext);
	await logIn(other, bob.email, bob.password);
	await other.waitForURL("**/dashboard");

	await bobPage.goto("/account/security");
	const rows = bobPage.locator("tbody tr", { has: bobPage.getByRole("button", { name: "Revoke" }) });
	await rows.first().waitFor();
	await rows.last().getByRole("button", { name: "Revoke" }).click();
	await bobPage.getByText("The session is revoked.").waitFor();

	await other.getByRole("navigation").getByRole("link", { name: "Privacy" }).click();
	await other.waitForURL(/\/login\?notice=ended/);
	await other.getByText("Your session has ended").waitFor();
	await screenshot(other, "session-ended");
	assertClean(other, { allowStatus: [401] });
	await otherContext.close();
	assertClean(bobPage);
});

test("password change needs the current password", async () => {
	await bobPage.goto("/account/security");
	await bobPage.getByLabel("Current password").fill("not-the-password");
	await bobPage.getByLabel("New password", { exact: true }).fill(strongPassword());
	await bobPage.getByRole("button", { name: "Change password" }).click();
	await bobPage.locator(".alert-error").getByText("password is wrong").waitFor();
	assertClean(bobPage, { allowStatus: [401] });

	const newPassword = strongPassword();
	await bobPage.getByLabel("Current password").fill(bob.password);
	await bobPage.getByLabel("New password", { exact: true }).fill(newPassword);
	await bobPage.getByRole("button", { name: "Change password" }).click();
	await bobPage.getByText("Your password has been changed.").waitFor();
	bob.password = newPassword;
	assertClean(bobPage);
});

test("privacy: preference, export, delete and cancel", async () => {
	await bobPage.getByRole("navigation").getByRole("link", { name: "Privacy" }).click();
	await bobPage.waitForURL("**/account/privacy");
	await bobPage.getByLabel("Send me news and offers").check();
	await bobPage.getByRole("button", { name: "Save preference" }).click();
	await bobPage.getByText("You will get news and offers by e-mail.").waitFor();
	await bobPage.reload();
	assert.ok(await bobPage.getByLabel("Send me news and offers").isChecked(),
		"the preference survives a reload");
	await screenshot(bobPage, "privacy");

	const [download] = await Promise.all([
		bobPage.waitForEvent("download"),
		bobPage.getByRole("button", { name: "Download my data" }).click(),
	]);
	assert.match(download.suggestedFilename(), /^sscn-data-export-\d{4}-\d{2}-\d{2}\.json$/);
	const exported = JSON.parse(await (await import("node:fs/promises"))
		.readFile(await download.path(), "utf8"));
	assert.equal(exported.account.email, bob.email);

	await bobPage.getByLabel("Password", { exact: true }).fill(bob.password);
	await bobPage.getByLabel(/I understand/).check();
	await bobPage.getByRole("button", { name: "Delete my account" }).click();
	await bobPage.waitForURL(/\/login\?notice=deletion_scheduled/);
	await bobPage.getByText("scheduled for deletion").waitFor();

	await logIn(bobPage, bob.email, bob.password);
	await bobPage.waitForURL("**/dashboard");
	await bobPage.goto("/account/privacy");
	await bobPage.getByText("Your account will be deleted on").waitFor();
	await bobPage.getByRole("button", { name: "Cancel the deletion" }).click();
	await bobPage.getByRole("button", { name: "Delete my account" }).waitFor();
	assertClean(bobPage);
});

test("accept-terms page and legal documents", async () => {
	await bobPage.goto("/accept-terms");
	await bobPage.getByRole("heading", { name: "Our terms have changed" }).waitFor();
	await screenshot(bobPage, "accept-terms");
	for (const name of ["terms", "privacy", "cookies", "dpa"]) {
		await bobPage.goto("/legal/" + name);
		await bobPage.locator("pre.document").waitFor();
	}
	await screenshot(bobPage, "legal-dpa");
	assertClean(bobPage);
});

// ---- session timers ----------------------------------------------------------

test("idle warning, refresh while active, idle sign-out", async () => {
	const refreshes = [];
	bobPage.on("request", (request) => {
		if (request.url().endsWith("/api/v1/auth/refresh")) {
			refreshes.push(request);
		}
	});
	await bobPage.goto("/account/security");
	// Shrink the timers so the test need not wait half an hour.
	await bobPage.evaluate(async () => {
		const module = await import("/js/session.js");
		module.configureTimers({ idleMs: 15000, warnMs: 7000, keepAliveMs: 1000, tickMs: 250 });
	});

	await bobPage.getByRole("heading", { name: "Are you still there?" }).waitFor();
	await screenshot(bobPage, "idle-warning");
	await bobPage.getByRole("button", { name: "Stay signed in" }).click();
	await bobPage.getByRole("heading", { name: "Are you still there?" }).waitFor({ state: "detached" });
	assert.ok(refreshes.length >= 1, "Stay signed in refreshes the session");

	const before = refreshes.length;
	for (let i = 0; i < 6; i++) {
		await bobPage.keyboard.press("Shift");
		await bobPage.waitForTimeout(500);
	}
	assert.ok(refreshes.length > before, "activity refreshes the session");

	await bobPage.waitForURL(/\/login\?notice=idle/, { timeout: 40000 });
	await bobPage.getByText("inactive for too long").waitFor();
	const me = await bobPage.request.get("/api/v1/me");
	assert.equal(me.status(), 401, "the idle sign-out ended the server session");
	assertClean(bobPage);
	await bobPage.context().close();
});

// ---- cookie banner -------------------------------------------------------

test("cookie choice persists and can be changed", async () => {
	const context = await newVisitor(browser);
	const page = await openPage(context);
	await page.goto("/");
	const banner = page.locator(".cookie-banner");
	await banner.waitFor({ state: "visible" });
	assert.deepEqual((await context.cookies()).map((cookie) => cookie.name), [],
		"no cookie before the choice");
	for (const name of ["Accept all", "Reject all", "Choose categories"]) {
		assert.equal(await banner.getByRole("button", { name }).getAttribute("class"),
			"button button-choice", `${name} has the same weight`);
	}

	await banner.getByRole("button", { name: "Choose categories" }).click();
	await banner.getByLabel("Analytics").check();
	await banner.getByRole("button", { name: "Save my choice" }).click();
	await banner.waitFor({ state: "detached" });
	assert.deepEqual((await context.cookies()).map((cookie) => cookie.name),
		["__Host-sscn_consent"]);

	await page.reload();
	await page.getByRole("heading", { level: 1 }).waitFor();
	await page.waitForTimeout(500);
	assert.equal(await banner.count(), 0, "no banner after a reload");
	let stored = await (await page.request.get("/api/v1/consents")).json();
	assert.equal(stored.consent.categories.analytics, true);
	assert.equal(stored.consent.categories.marketing, false);

	await page.getByRole("button", { name: "Cookie settings" }).click();
	await banner.waitFor({ state: "visible" });
	assert.ok(await banner.getByLabel("Analytics").isChecked(), "the stored choice is shown");
	await screenshot(page, "cookie-settings");
	await banner.getByRole("button", { name: "Reject all" }).click();
	await banner.waitFor({ state: "detached" });
	await page.reload();
	await page.getByRole("heading", { level: 1 }).waitFor();
	await page.waitForTimeout(500);
	assert.equal(await banner.count(), 0, "no banner after the change and a reload");
	stored = await (await page.request.get("/api/v1/consents")).json();
	assert.equal(stored.consent.categories.analytics, false);
	assertClean(page);
	await context.close();
});

// ---- error display and phone width -------------------------------------------

test("wrong password error in plain words at phone width", async () => {
	const context = await newVisitor(browser, { viewport: { width: 375, height: 740 } });
	const page = await openPage(context);
	await logIn(page, "buyer1@demo.example.test", DEMO_PASSWORD + "x");
	const alert = page.locator(".alert-error");
	await alert.getByText("The e-mail address or password is wrong").waitFor();
	assert.match(await alert.locator(".request-id").textContent(), /Request id for support: \S+/);
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(width <= 375, `no horizontal scrolling at 375 px (page is ${width} px wide)`);
	await page.getByRole("button", { name: "Menu" }).click();
	await page.getByRole("navigation").getByRole("link", { name: "Register" }).waitFor();
	await screenshot(page, "login-error-phone");
	assertClean(page, { allowStatus: [401] });
	await context.close();
});

test("keyboard reaches the sign-in form with visible focus", async () => {
	const context = await newVisitor(browser);
	const page = await openPage(context);
	await page.goto("/login");
	await dismissCookieBanner(page);
	await page.keyboard.press("Tab");
	const skip = page.getByRole("link", { name: "Skip to content" });
	assert.ok(await skip.evaluate((node) => node === document.activeElement), "skip link first");
	await page.getByLabel("E-mail address").focus();
	await page.keyboard.type("buyer1@demo.example.test");
	await page.keyboard.press("Tab");
	await page.keyboard.type(DEMO_PASSWORD);
	const outline = await page.getByLabel("Password").evaluate((node) =>
		getComputedStyle(node).outlineStyle);
	assert.notEqual(outline, "none", "the focused field shows an outline");
	await page.keyboard.press("Enter");
	await page.waitForURL("**/dashboard");
	assertClean(page);
	await context.close();
});
