// harness.mjs - shared helpers of the browser tests (t/6NN_web_*.t).
//
// The tests drive Debian's Chromium (/usr/bin/chromium) through
// playwright-core against the stack that "tools/dev up" started, on the
// loopback URL of this work tree.  Every page a test opens records its
// console errors, uncaught exceptions and Content-Security-Policy
// violations; checkPage() fails the test when any occurred.  Screenshots go
// to .dev/test-output/web/ (WEB_TEST_OUTPUT overrides it).

import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = process.env.SSCN_ROOT ||
	resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DEV = process.env.SSCN_DEV || join(ROOT, ".dev");
export const BUILD = process.env.SSCN_BUILD || join(ROOT, ".build");
export const OUTPUT = process.env.WEB_TEST_OUTPUT || join(DEV, "test-output", "web");
export const DEMO_PASSWORD = "Kestrel-Harbour-Demo-2026";

function portOffset() {
	try {
		const text = readFileSync(join(DEV, "port-offset"), "utf8").trim();
		return /^\d{1,2}$/.test(text) ? Number(text) : 0;
	} catch {
		return 0;
	}
}

export const BASE_URL = process.env.SSCN_URL || `https://localhost:${8443 + portOffset()}`;

// Refuse any base URL off this machine, so no test sends traffic elsewhere.
const baseHost = new URL(BASE_URL).hostname;
if (!["localhost", "127.0.0.1", "[::1]"].includes(baseHost)) {
	throw new Error(`SSCN_URL must be a loopback URL, not ${BASE_URL}`);
}

// Chromium runs as root in the tests, which needs --no-sandbox.  The
// background-networking flags stop it from contacting Google's services.
const CHROMIUM_ARGS = [
	"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions",
	"--metrics-recording-only", "--no-default-browser-check",
];

// Launch Chromium.  playwright-core gives it a fresh temporary profile
// directory and deletes it on close.
export async function launchBrowser() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		args: CHROMIUM_ARGS,
		headless: true,
	});
}

// A new browser context (its own cookies, like a separate visitor) for
// the stack's self-signed certificate.  options go to newContext().
export async function newVisitor(browser, options = {}) {
	return browser.newContext({
		baseURL: BASE_URL,
		ignoreHTTPSErrors: true,
		viewport: { width: 1280, height: 900 },
		...options,
	});
}

// Open a page in context that records console errors, uncaught
// exceptions, failed requests and CSP violations in page.problems.
export async function openPage(context) {
	const page = await context.newPage();
	page.problems = [];
	await page.addInitScript(() => {
		document.addEventListener("securitypolicyviolation", (event) => {
			console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
		});
	});
	page.on("console", (message) => {
		if (message.type() === "error") {
			page.problems.push(`console error on ${page.url()}: ${message.text()}`);
		}
	});
	page.on("pageerror", (error) => {
		page.problems.push(`uncaught exception on ${page.url()}: ${error.message}`);
	});
	page.on("requestfailed", (request) => {
		// A navigation cancels the requests of the page it leaves.
		if (request.failure() && request.failure().errorText === "net::ERR_ABORTED") {
			return;
		}
		page.problems.push(`request failed on ${page.url()}: ${request.url()} ` +
			(request.failure() ? request.failure().errorText : ""));
	});
	return page;
}

// The problems page recorded since the last call, then forgotten.  The
// caller asserts that the list is empty.  Chromium logs every API response
// with an error status as a console error ("Failed to load resource: the
// server responded with a status of 401"); allowStatus lists the statuses
// that a step provokes on purpose, whose lines are left out.
export function takeProblems(page, { allowStatus = [] } = {}) {
	const problems = page.problems.filter((line) => !allowStatus.some((status) =>
		line.endsWith(`Failed to load resource: the server responded with a status of ${status} ()`)));
	page.problems = [];
	return problems;
}

// Save a full-page screenshot as OUTPUT/screenshots/NAME.png.
export async function screenshot(page, name) {
	const directory = join(OUTPUT, "screenshots");
	mkdirSync(directory, { recursive: true });
	const path = join(directory, `${name}.png`);
	await page.screenshot({ path, fullPage: true });
	return path;
}

// An e-mail address no earlier run used.
export function uniqueEmail(tag) {
	return `web-${tag}-${Date.now()}-${randomBytes(3).toString("hex")}@example.test`;
}

// A password that passes the default policy.
export function strongPassword() {
	return `Harbour-${randomBytes(6).toString("hex")}-Kestrel7`;
}

// The current TOTP code (RFC 6238: SHA-1, 6 digits, 30-second step) of a
// base32 secret.  stepOffset picks an earlier or later step.
export function totpCode(secret, stepOffset = 0) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	let bits = "";
	for (const character of secret.replace(/[\s=]/g, "").toUpperCase()) {
		const index = alphabet.indexOf(character);
		if (index < 0) {
			throw new Error(`invalid base32 character in the TOTP secret: ${character}`);
		}
		bits += index.toString(2).padStart(5, "0");
	}
	const key = Buffer.alloc(Math.floor(bits.length / 8));
	for (let i = 0; i < key.length; i++) {
		key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
	}
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + stepOffset));
	const digest = createHmac("sha1", key).update(counter).digest();
	const offset = digest[digest.length - 1] & 0x0f;
	const number = (digest.readUInt32BE(offset) & 0x7fffffff) % 1000000;
	return String(number).padStart(6, "0");
}

// Wait until the next TOTP step begins when the current one has less than
// margin seconds left, so that a code typed now is not replayed or
// expired by the time the server checks it.
export async function waitForFreshTotpStep(margin = 5) {
	const left = 30 - (Date.now() / 1000) % 30;
	if (left < margin) {
		await new Promise((done) => setTimeout(done, left * 1000 + 200));
	}
}

// Run sscnctl with the dev configuration and return its output.
export function sscnctl(...args) {
	return execFileSync(join(BUILD, "sscnctl"), ["-c", join(DEV, "sscn.conf"), ...args],
		{ encoding: "utf8" });
}

// Run SQL as the database superuser through "tools/dev psql" and return
// the unaligned, tuples-only output.
export function psql(sql) {
	return execFileSync(join(ROOT, "tools", "dev"), ["psql", "-XAtq", "-c", sql],
		{ encoding: "utf8" }).trim();
}

function outboxBodies(recipient) {
	const queued = JSON.parse(sscnctl("mailq", "--json"));
	return queued.filter((mail) => mail.recipient === recipient && mail.body)
		.map((mail) => mail.body);
}

function deliveredBodies(recipient) {
	const directory = join(ROOT, "var", "mail");
	if (!existsSync(directory)) {
		return [];
	}
	const bodies = [];
	for (const name of readdirSync(directory).sort()) {
		const text = readFileSync(join(directory, name), "utf8");
		const split = text.indexOf("\r\n\r\n") >= 0 ? text.indexOf("\r\n\r\n") : text.indexOf("\n\n");
		const headers = text.slice(0, split);
		if (new RegExp(`^To: .*${recipient.replace(/[.+]/g, "\\$&")}`, "mi").test(headers)) {
			bodies.push(text.slice(split));
		}
	}
	return bodies;
}

// Wait up to timeoutMs for a mail to recipient with a link to PATH
// ("/verify-email", "/reset-password") and return the newest such link.
// Mail is read from the outbox (sscnctl mailq shows the body of a mail not
// yet sent) and from var/mail/, where the dev mail server stores sent mail.
export async function mailLink(recipient, path, timeoutMs = 15000) {
	const pattern = new RegExp(`https://[^\\s]+${path}#token=[A-Za-z0-9_-]+`, "g");
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const bodies = [...deliveredBodies(recipient), ...outboxBodies(recipient)];
		const links = bodies.flatMap((body) => body.match(pattern) || []);
		if (links.length > 0) {
			return links[links.length - 1];
		}
		if (Date.now() > deadline) {
			throw new Error(`no mail to ${recipient} with a link to ${path} within ${timeoutMs} ms`);
		}
		await new Promise((done) => setTimeout(done, 250));
	}
}
