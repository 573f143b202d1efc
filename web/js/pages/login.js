// pages/login.js - sign-in: password, then the MFA step with an
// authenticator code or a recovery code, "Sign in with LinkedIn", and the
// steps that the LinkedIn callback requests with /login.html?error=,
// ?mfa=required, ?link=pending and ?restricted=.

import { api, readCookie } from "../api.js";
import { el, formatDate, replace } from "../dom.js";
import { showPageError, showPageNotice } from "../errors.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage, navigate } from "../router.js";
import { loadUser } from "../session.js";

// Messages for ?notice= (set by this app) and ?error= (set by the
// LinkedIn callback).
const NOTICES = {
	signed_out: "You are signed out.",
	idle: "You were signed out because you were inactive for too long. Sign in again to continue.",
	ended: "Your session has ended: it was signed out elsewhere, revoked, or reached its maximum length. Sign in again to continue.",
	password_changed: "Your password has been changed. Sign in with the new password.",
	password_reset: "Your password has been reset. Sign in with the new password.",
	verified: "Your e-mail address is confirmed. You can sign in now.",
	deletion_scheduled: "Your account is scheduled for deletion and you are signed out. Sign in before the date to cancel the deletion.",
	mfa_required: "Enter the code from your authenticator app.",
	link_pending: "An SSCN account already uses this e-mail address. Sign in with your password to link your LinkedIn account.",
};

const OIDC_ERRORS = {
	oidc_failed: "Sign-in with LinkedIn failed. Try again or use your password.",
	oidc_denied: "Sign-in with LinkedIn was cancelled.",
	oidc_disabled: "Sign-in with LinkedIn is not set up on this server.",
	oidc_email_unverified: "LinkedIn has not verified your e-mail address, so it cannot sign you in.",
	account_unavailable: "This account cannot sign in now.",
};

// The page to open after sign-in: ?next= when it is a path of this site.
export function nextPath(query) {
	const next = query.get("next");
	return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ?
		next : "/dashboard";
}

async function finishSignIn(ctx, step) {
	await loadUser();
	if (ctx.query.get("link") === "pending") {
		replace(step, linkStep(ctx));
		return;
	}
	navigate(nextPath(ctx.query), { replace: true });
}

function linkStep(ctx) {
	const confirm = form({ label: "Link my LinkedIn account" }, async () => {
		await api.post("/api/v1/auth/linkedin/link");
		navigate(nextPath(ctx.query), { replace: true });
	});
	return el("section", { class: "card" },
		el("h2", null, "Link LinkedIn"),
		el("p", null, "You are signed in. Link your LinkedIn account to sign in with it next time."),
		confirm,
		el("p", null, el("a", { href: nextPath(ctx.query) }, "Skip for now")));
}

function mfaStep(ctx, step, mfaToken) {
	let useRecovery = false;
	const codeField = field({ name: "code", label: "Authenticator code", required: true,
		autocomplete: "one-time-code", inputmode: "numeric",
		hint: "The 6-digit code that your authenticator app shows for SSCN." });
	const recoveryField = field({ name: "recovery_code", label: "Recovery code", required: true,
		autocomplete: "off", hint: "One of the recovery codes you saved, such as 7h2k-9mqe-x4ta. Each works once." });
	recoveryField.hidden = true;

	const toggle = el("button", { type: "button", class: "link-button" },
		"Use a recovery code instead");
	toggle.addEventListener("click", () => {
		useRecovery = !useRecovery;
		codeField.hidden = useRecovery;
		recoveryField.hidden = !useRecovery;
		replace(toggle, useRecovery ? "Use an authenticator code instead" :
			"Use a recovery code instead");
		(useRecovery ? recoveryField : codeField).querySelector("input").focus();
	});

	const verify = form({ label: "Verify", children: [codeField, recoveryField] }, async (node) => {
		const body = { mfa_token: mfaToken };
		if (useRecovery) {
			body.recovery_code = value(node, "recovery_code");
		} else {
			body.code = value(node, "code");
		}
		await api.post("/api/v1/auth/mfa/verify", body);
		await finishSignIn(ctx, step);
	});
	verify.dataset.step = "mfa";
	replace(step, el("h2", null, "Two-factor authentication"), verify, el("p", null, toggle));
	codeField.querySelector("input").focus();
}

function passwordStep(ctx, step) {
	const signIn = form({ label: "Sign in", children: [
		field({ name: "email", label: "E-mail address", type: "email", required: true,
			autocomplete: "username" }),
		field({ name: "password", label: "Password", type: "password", required: true,
			autocomplete: "current-password" }),
	] }, async (node) => {
		const answer = await api.post("/api/v1/auth/login", {
			email: value(node, "email"),
			password: value(node, "password"),
		});
		if (answer.mfa_required) {
			mfaStep(ctx, step, answer.mfa_token);
		} else {
			await finishSignIn(ctx, step);
		}
	});
	signIn.dataset.step = "password";
	replace(step, signIn,
		el("p", null, el("a", { href: "/forgot-password" }, "Forgot your password?")),
		el("p", null, "No account yet? ", el("a", { href: "/register" }, "Register"), "."),
		el("div", { class: "actions" },
			el("a", { class: "button", href: "/api/v1/auth/linkedin/start" }, "Sign in with LinkedIn")));
}

async function render(ctx) {
	pageHeading(ctx.main, "Sign in to SSCN");
	ctx.main.classList.add("narrow");
	const step = el("div", { class: "login-step" });
	ctx.main.append(step);

	const restricted = ctx.query.get("restricted");
	if (restricted) {
		// The LinkedIn callback signed the user in with a restricted session.
		await loadUser();
		navigate(restricted === "acceptance" ? "/accept-terms" :
			"/account/security?notice=mfa_enrollment", { replace: true });
		return;
	}
	if (ctx.user && ctx.query.get("link") !== "pending") {
		navigate(nextPath(ctx.query), { replace: true });
		return;
	}

	const error = ctx.query.get("error");
	if (error) {
		showPageError(ctx.main, { code: error, message: OIDC_ERRORS[error] ||
			"Sign-in with LinkedIn failed (" + error + ")." });
	} else if (ctx.query.get("link") === "pending") {
		showPageNotice(ctx.main, NOTICES.link_pending);
	} else if (NOTICES[ctx.query.get("notice")]) {
		const date = ctx.query.get("date");
		showPageNotice(ctx.main, NOTICES[ctx.query.get("notice")] +
			(date ? " Deletion date: " + formatDate(date) + "." : ""));
	}

	if (ctx.query.get("mfa") === "required") {
		// The LinkedIn callback hands the MFA token over in a short-lived
		// readable cookie; take it and delete it at once.
		const mfaToken = readCookie("__Host-sscn_mfa");
		document.cookie = "__Host-sscn_mfa=; Path=/; Max-Age=0; Secure";
		if (mfaToken) {
			mfaStep(ctx, step, mfaToken);
			return;
		}
		showPageNotice(ctx.main, "The sign-in with LinkedIn took too long. Start it again.");
	}
	if (ctx.user) {
		replace(step, linkStep(ctx));
		return;
	}
	passwordStep(ctx, step);
}

definePage({ path: "/login", title: "Sign in", access: "public", render });
definePage({ path: "/login.html", title: "Sign in", access: "public", render });
