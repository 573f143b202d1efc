// linkedin.test.mjs - "Sign in with LinkedIn" in the browser, against the
// mock provider (t/oidc_mock.py) that "tools/dev oidc-mock" starts on
// 127.0.0.1 and points sscnd at; run by t/601_web_linkedin.t.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { DEV, ROOT, launchBrowser, newVisitor, openPage, screenshot, takeProblems }
	from "./harness.mjs";

const CONTROL = join(DEV, "oidc-mock", "control.json");
let browser;

function devTool(...args) {
	return execFileSync(join(ROOT, "tools", "dev"), args, { encoding: "utf8" });
}

function writeControl(control) {
	writeFileSync(CONTROL, JSON.stringify(control));
}

// Wait until every sscnd worker has reloaded the linkedin_* keys, that is,
// until /api/v1/auth/linkedin/start redirects to the mock.
async function waitForMock(request) {
	const deadline = Date.now() + 30000;
	let hits = 0;
	while (hits < 8) {
		const answer = await request.get("/api/v1/auth/linkedin/start", { maxRedirects: 0 });
		const location = answer.headers()["location"] || "";
		hits = location.startsWith("https://127.0.0.1:") ? hits + 1 : 0;
		assert.ok(Date.now() < deadline, `the start still redirects to ${location}`);
	}
}

before(async () => {
	devTool("oidc-mock");
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
	devTool("oidc-mock-stop");
});

test("new LinkedIn member accepts the terms", async () => {
	const tag = randomBytes(4).toString("hex");
	writeControl({ claims: { sub: "web-member-" + tag, email: `web-linkedin-${tag}@example.test`,
		email_verified: true, name: "Lina Web" } });
	const context = await newVisitor(browser);
	const page = await openPage(context);
	await waitForMock(page.request);

	await page.goto("/login");
	await page.locator(".cookie-banner").getByRole("button", { name: "Reject all" }).click();
	await page.getByRole("link", { name: "Sign in with LinkedIn" }).click();
	await page.waitForURL("**/accept-terms");
	await page.getByRole("heading", { name: "Our terms have changed" }).waitFor();
	await screenshot(page, "linkedin-accept-terms");
	await page.getByLabel(/terms of service/).check();
	await page.getByLabel(/privacy notice/).check();
	await page.getByRole("button", { name: "Accept and continue" }).click();
	await page.waitForURL("**/dashboard");
	await page.locator(".site-header").getByText("Lina Web").waitFor();
	assert.deepEqual(takeProblems(page), []);
	await context.close();
});

test("cancelled LinkedIn sign-in shows its message", async () => {
	writeControl({ authorize: "error" });
	const context = await newVisitor(browser);
	const page = await openPage(context);
	await page.goto("/login");
	await page.getByRole("link", { name: "Sign in with LinkedIn" }).click();
	await page.waitForURL(/\/login\.html\?error=oidc_denied/);
	await page.locator(".alert-error").getByText("Sign-in with LinkedIn was cancelled.").waitFor();
	assert.deepEqual(takeProblems(page), []);
	await context.close();
});
