// login.js - the minimal login page: password sign-in with its MFA step,
// the "Sign in with LinkedIn" button, and the messages and steps that the
// LinkedIn callback asks for with ?error=, ?mfa=, ?link= and ?restricted=.
// Loaded from a file because the Content-Security-Policy forbids inline
// scripts.
"use strict";

const MESSAGES = {
	oidc_failed: "Sign-in with LinkedIn failed. Try again or use your password.",
	oidc_denied: "LinkedIn sign-in was cancelled.",
	oidc_disabled: "Sign-in with LinkedIn is not set up on this server.",
	oidc_email_unverified: "LinkedIn has not verified your e-mail address, so it cannot sign you in.",
	account_unavailable: "This account cannot sign in now.",
	link_pending: "An SSCN account already uses this e-mail address. Sign in with your password to link your LinkedIn account.",
	mfa_required: "Enter the code from your authenticator app.",
	acceptance: "Accept the current terms and privacy notice to continue.",
	mfa_enrollment: "Set up two-factor authentication to continue.",
};

function show(key) {
	const notice = document.getElementById("notice");
	notice.textContent = MESSAGES[key] || "Sign-in failed (" + key + ").";
	notice.hidden = false;
}

function cookie(name) {
	const prefix = name + "=";
	const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
	return found ? found.slice(prefix.length) : null;
}

async function post(path, body) {
	const headers = { "Content-Type": "application/json" };
	const csrf = cookie("__Host-sscn_csrf");
	if (csrf) {
		headers["X-CSRF-Token"] = csrf;
	}
	return fetch(path, { method: "POST", headers: headers,
		body: body === undefined ? undefined : JSON.stringify(body) });
}

// After a full sign-in: confirm a pending LinkedIn link, or go to the app.
function signedIn(linkPending) {
	if (linkPending) {
		document.getElementById("password-form").hidden = true;
		document.getElementById("mfa-form").hidden = true;
		document.getElementById("link-step").hidden = false;
		return;
	}
	window.location.assign("/");
}

// The versions in force of the documents a new account must accept.
async function currentVersions() {
	const versions = {};
	for (const name of ["terms", "privacy"]) {
		const response = await fetch("/api/v1/legal/" + name);
		const body = await response.json();
		versions[name] = body.version;
	}
	return versions;
}

// A session restricted to accepting the terms and privacy notice: show
// both with their versions, then record the acceptance of each.
async function acceptStep() {
	const versions = await currentVersions();
	document.getElementById("password-form").hidden = true;
	document.getElementById("terms-version").textContent = "version " + versions.terms;
	document.getElementById("privacy-version").textContent = "version " + versions.privacy;
	const form = document.getElementById("accept-form");
	form.hidden = false;
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		for (const name of ["terms", "privacy"]) {
			const response = await post("/api/v1/legal/accept",
				{ document: name, version: versions[name] });
			if (response.status !== 204) {
				const body = await response.json();
				show(body.error ? body.error.code : "HTTP " + response.status);
				return;
			}
		}
		window.location.assign("/");
	});
}

function setUp() {
	const params = new URLSearchParams(window.location.search);
	const linkPending = params.get("link") === "pending";
	let mfaToken = null;

	if (params.has("error")) {
		show(params.get("error"));
	} else if (linkPending) {
		show("link_pending");
	} else if (params.has("restricted")) {
		show(params.get("restricted"));
		if (params.get("restricted") === "acceptance") {
			acceptStep();
		}
	}
	if (params.get("mfa") === "required") {
		// The callback hands the MFA token over in a short-lived cookie.
		mfaToken = cookie("__Host-sscn_mfa");
		document.cookie = "__Host-sscn_mfa=; Path=/; Max-Age=0; Secure";
		document.getElementById("password-form").hidden = true;
		document.getElementById("mfa-form").hidden = false;
		show("mfa_required");
	}

	document.getElementById("password-form").addEventListener("submit", async (event) => {
		event.preventDefault();
		const response = await post("/api/v1/auth/login", {
			email: document.getElementById("email").value,
			password: document.getElementById("password").value,
		});
		const body = await response.json();
		if (response.ok && body.mfa_required) {
			mfaToken = body.mfa_token;
			document.getElementById("password-form").hidden = true;
			document.getElementById("mfa-form").hidden = false;
			show("mfa_required");
		} else if (response.ok) {
			signedIn(linkPending);
		} else {
			show(body.error ? body.error.code : "HTTP " + response.status);
		}
	});

	document.getElementById("mfa-form").addEventListener("submit", async (event) => {
		event.preventDefault();
		const response = await post("/api/v1/auth/mfa/verify", {
			mfa_token: mfaToken,
			code: document.getElementById("mfa-code").value,
		});
		if (response.ok) {
			signedIn(linkPending);
		} else {
			const body = await response.json();
			show(body.error ? body.error.code : "HTTP " + response.status);
		}
	});

	document.getElementById("link-confirm").addEventListener("click", async () => {
		const response = await post("/api/v1/auth/linkedin/link");
		if (response.status === 204) {
			window.location.assign("/");
		} else {
			const body = await response.json();
			show(body.error ? body.error.code : "HTTP " + response.status);
		}
	});
}

document.addEventListener("DOMContentLoaded", setUp);
