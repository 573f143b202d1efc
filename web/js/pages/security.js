// pages/security.js - account security: two-factor authentication (TOTP
// enrolment with the QR code, recovery codes, turning it off), the active
// sessions with revoke, the password change, and the organization's API
// keys for its owners and admins.

import { api } from "../api.js";
import { el, formatTime, replace } from "../dom.js";
import { errorBox, showPageNotice } from "../errors.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { attachStrengthMeter } from "../password-meter.js";
import { qrCodeElement } from "../qr.js";
import { definePage, navigate } from "../router.js";
import { forgetSession, loadUser, session, signOut } from "../session.js";
import { apiKeysSection } from "./api-keys.js";

function section(title, ...children) {
	return el("section", { class: "card", "aria-labelledby": slug(title) },
		el("h2", { id: slug(title) }, title), children);
}

function slug(text) {
	return "section-" + text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

function recoveryCodesBox(codes) {
	return el("div", { class: "alert alert-info", role: "status" },
		el("p", null, el("strong", null, "Save these recovery codes now."),
			" Each signs you in once if you lose your authenticator. They are shown only this time."),
		el("ol", { class: "recovery-codes" }, codes.map((code) => el("li", null, code))));
}

// A hint with a link to sign in again, for 403 reauthentication_required.
function reauthHint(error) {
	if (error.code !== "reauthentication_required") {
		return [];
	}
	return [el("button", { type: "button", class: "link-button", on: { click: () => signOut() } },
		"Sign out and sign in again")];
}

// Run handler and show its ApiError in region (with the re-login hint).
async function guarded(region, handler) {
	try {
		await handler();
	} catch (error) {
		if (error.name !== "ApiError") {
			throw error;
		}
		replace(region, errorBox(error, reauthHint(error)));
	}
}

function enrolment(container, refresh) {
	const region = el("div", { class: "page-alerts" });
	const start = el("button", { type: "button", class: "button button-primary" },
		"Set up two-factor authentication");
	start.addEventListener("click", () => guarded(region, async () => {
		const setup = await api.post("/api/v1/auth/mfa/totp/setup");
		const confirm = form({ label: "Turn on", children: [
			field({ name: "code", label: "Code from the app", required: true,
				autocomplete: "one-time-code", inputmode: "numeric",
				hint: "The 6-digit code your app shows after adding SSCN." }),
		] }, async (node) => {
			const answer = await api.post("/api/v1/auth/mfa/totp/confirm",
				{ code: value(node, "code") });
			await loadUser();
			replace(container, el("p", null, "Two-factor authentication is on."),
				recoveryCodesBox(answer.recovery_codes),
				el("button", { type: "button", class: "button button-primary", on: {
					click: () => refresh(),
				} }, "I have saved the codes"));
		});
		replace(container,
			el("ol", { class: "stack" },
				el("li", null, "Open an authenticator app (such as FreeOTP, Aegis or Google Authenticator) and scan this QR code:",
					el("div", null, qrCodeElement(setup.qr_svg, "QR code for your authenticator app"))),
				el("li", null, "Or type this key into the app: ",
					el("code", { class: "secret", "data-totp-secret": "" }, setup.secret)),
				el("li", null, "Enter the code the app shows.")),
			confirm);
		confirm.querySelector("input").focus();
	}));
	replace(container,
		el("p", null, "Two-factor authentication is off. With it, signing in needs a code ",
			"from an app on your phone as well as your password."),
		region, start);
}

function mfaManagement(container, refresh) {
	const codes = el("div");
	const newCodes = form({ label: "Make new recovery codes", children: [
		el("p", null, "New codes replace the old ones, which stop working."),
		field({ name: "password", label: "Password", type: "password", required: true,
			autocomplete: "current-password" }),
	] }, async (node) => {
		const answer = await api.post("/api/v1/auth/mfa/recovery-codes",
			{ password: value(node, "password") });
		node.reset();
		replace(codes, recoveryCodesBox(answer.recovery_codes));
	});
	const turnOff = form({ label: "Turn off two-factor authentication", children: [
		field({ name: "password", label: "Password", type: "password", required: true,
			autocomplete: "current-password" }),
		field({ name: "code", label: "Code from the app", required: true,
			autocomplete: "one-time-code", inputmode: "numeric" }),
	] }, async (node) => {
		await api.delete("/api/v1/auth/mfa/totp", {
			password: value(node, "password"),
			code: value(node, "code"),
		});
		await loadUser();
		refresh();
	});
	turnOff.querySelector("button[type=submit]").classList.replace("button-primary", "button-danger");
	replace(container,
		el("p", null, el("strong", null, "Two-factor authentication is on.")),
		el("h3", null, "Recovery codes"), newCodes, codes,
		el("h3", null, "Turn off"),
		el("p", { class: "hint" }, "Administrators and members of organizations that require it cannot turn it off."),
		turnOff);
}

async function sessionsSection(container) {
	const region = el("div", { class: "page-alerts" });
	const answer = await api.get("/api/v1/auth/sessions", { stayOnPage: true });
	const rows = answer.items.map((item) => {
		const revoke = el("button", { type: "button", class: "button button-danger" },
			item.current ? "Sign out here" : "Revoke");
		revoke.addEventListener("click", () => guarded(region, async () => {
			await api.delete("/api/v1/auth/sessions/" + encodeURIComponent(item.id));
			if (item.current) {
				// Ending the current session is a sign-out; the server has
				// deleted the cookies already.
				forgetSession();
				navigate("/login?notice=signed_out");
				return;
			}
			await sessionsSection(container);
			showPageNotice(container, "The session is revoked.");
		}));
		return el("tr", null,
			el("td", null, item.user_agent || "unknown browser",
				item.current ? el("strong", null, " (this browser)") : null),
			el("td", null, item.ip || "unknown"),
			el("td", null, formatTime(item.created_at)),
			el("td", null, formatTime(item.last_seen_at)),
			el("td", null, revoke));
	});
	replace(container, el("div", { class: "page-alerts" }), region,
		el("div", { class: "table-wrap" }, el("table", null,
			el("caption", { class: "muted" }, "Your active sessions, oldest first"),
			el("thead", null, el("tr", null,
				el("th", { scope: "col" }, "Browser"), el("th", { scope: "col" }, "Address"),
				el("th", { scope: "col" }, "Signed in"), el("th", { scope: "col" }, "Last active"),
				el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Action")))),
			el("tbody", null, rows))));
}

function passwordSection() {
	const password = field({ name: "new_password", label: "New password", type: "password",
		required: true, autocomplete: "new-password" });
	const change = form({ label: "Change password", children: [
		el("p", { class: "hint" }, "For your security this needs a sign-in from the last 10 minutes. ",
			"Your other sessions end when the password changes."),
		field({ name: "current_password", label: "Current password", type: "password",
			required: true, autocomplete: "current-password" }),
		password,
	] }, async (node) => {
		try {
			await api.post("/api/v1/auth/password/change", {
				current_password: value(node, "current_password"),
				new_password: value(node, "new_password"),
			});
		} catch (error) {
			if (error.code === "reauthentication_required") {
				replace(node.querySelector(".page-alerts"), errorBox(error, reauthHint(error)));
				return;
			}
			throw error;
		}
		node.reset();
		showPageNotice(node, "Your password has been changed. Your other sessions have ended.");
	});
	attachStrengthMeter(password.querySelector("input"), () => ({
		email: session.user && session.user.email,
		full_name: session.user && session.user.full_name,
	}));
	return change;
}

async function render(ctx) {
	pageHeading(ctx.main, "Account security");
	if (ctx.query.get("notice") === "mfa_enrollment") {
		showPageNotice(ctx.main, "Your organization or your role requires two-factor " +
			"authentication. Set it up below to continue.");
	}

	const mfa = el("div");
	const refreshMfa = () => {
		if (session.user && session.user.mfa_enabled) {
			mfaManagement(mfa, refreshMfa);
		} else {
			enrolment(mfa, refreshMfa);
		}
	};
	refreshMfa();
	const sessions = el("div", null, el("p", { class: "muted" }, "Loading…"));
	ctx.main.append(
		section("Two-factor authentication", mfa),
		section("Active sessions", sessions),
		section("Password", passwordSection()));

	const organization = ctx.user.organization;
	if (organization && (organization.role === "owner" || organization.role === "admin")) {
		ctx.main.append(section("API keys", await apiKeysSection(organization)));
	}
	try {
		await sessionsSection(sessions);
	} catch (error) {
		if (error.name !== "ApiError") {
			throw error;
		}
		replace(sessions, errorBox(error));
	}
}

definePage({
	path: "/account/security",
	title: "Account security",
	access: "user",
	nav: { label: "Security", order: 80 },
	render,
});

