// pages/register.js - registration with the password strength meter and
// the acceptance of the current terms and privacy notice, and the
// confirmation of the e-mail address from the mail link
// (/verify-email#token=TOKEN).

import { api } from "../api.js";
import { el, replace } from "../dom.js";
import { showPageError, showPageNotice } from "../errors.js";
import { field, form, input, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { attachStrengthMeter } from "../password-meter.js";
import { definePage, navigate } from "../router.js";

// The current versions of the terms and the privacy notice, which a new
// account accepts.
export async function currentVersions() {
	const [terms, privacy] = await Promise.all([
		api.get("/api/v1/legal/terms", { anonymous: true }),
		api.get("/api/v1/legal/privacy", { anonymous: true }),
	]);
	return { terms: terms.version, privacy: privacy.version };
}

// A check box that accepts one legal document, with a link that opens the
// document in a new tab so the form keeps its input.
export function acceptanceField(name, documentName, label, version) {
	const node = field({ name, type: "checkbox", required: true, label: "" });
	replace(node.querySelector("label"), "I accept the ",
		el("a", { href: "/legal/" + documentName, target: "_blank", rel: "noopener" },
			label, " (opens in a new tab)"),
		", version ", version, ".");
	return node;
}

// Mark unchecked acceptance boxes next to themselves.  Returns false when
// one is unchecked.
export function checkAcceptances(node, names) {
	let ok = true;
	for (const name of names) {
		if (!value(node, name)) {
			const slot = node.querySelector(`[data-error-for="${name}"]`);
			replace(slot, "You must accept this to continue.");
			slot.hidden = false;
			input(node, name).setAttribute("aria-invalid", "true");
			ok = false;
		}
	}
	if (!ok) {
		node.querySelector("[aria-invalid]").focus();
	}
	return ok;
}

async function renderRegister(ctx) {
	pageHeading(ctx.main, "Create an account");
	ctx.main.classList.add("narrow");
	const versions = await currentVersions();
	const invitation = ctx.hash.get("invitation_token");

	const kind = field({ name: "organization_kind", label: "My company", type: "select",
		required: true, value: "buyer", choices: [
			{ value: "buyer", label: "buys: we request quotes (buyer)" },
			{ value: "supplier", label: "sells: we answer requests (supplier)" },
		] });
	const password = field({ name: "password", label: "Password", type: "password",
		required: true, autocomplete: "new-password" });
	const children = [
		field({ name: "full_name", label: "Full name", required: true, autocomplete: "name" }),
		field({ name: "email", label: "E-mail address", type: "email", required: true,
			autocomplete: "email" }),
		invitation ? el("p", { class: "hint" },
			"You are joining the organization that invited you.") : [
			field({ name: "organization_name", label: "Company name", required: true,
				autocomplete: "organization" }),
			kind,
		],
		password,
		acceptanceField("accept_terms_version", "terms", "terms of service", versions.terms),
		acceptanceField("accept_privacy_version", "privacy", "privacy notice", versions.privacy),
	];

	const register = form({ label: "Create account", children }, async (node) => {
		if (!checkAcceptances(node, ["accept_terms_version", "accept_privacy_version"])) {
			return;
		}
		const body = {
			email: value(node, "email"),
			password: value(node, "password"),
			full_name: value(node, "full_name"),
			accept_terms_version: versions.terms,
			accept_privacy_version: versions.privacy,
		};
		if (invitation) {
			body.invitation_token = invitation;
		} else {
			body.organization_name = value(node, "organization_name");
			body.organization_kind = value(node, "organization_kind");
		}
		await api.post("/api/v1/auth/register", body);
		replace(ctx.main.querySelector(".register-form"),
			el("div", { class: "card", role: "status" },
				el("h2", null, "Check your mail"),
				el("p", null, "We sent a link to ", body.email, ". Open it within 24 hours to ",
					"confirm your address; then you can sign in."),
				el("p", null, "No mail? Check the spam folder, or register again to get a new link.")));
	});
	attachStrengthMeter(password.querySelector("input"), () => ({
		email: value(register, "email"),
		full_name: value(register, "full_name"),
	}));
	ctx.main.append(el("div", { class: "register-form" }, register,
		el("p", null, "Have an account? ", el("a", { href: "/login" }, "Sign in"), ".")));
}

async function renderVerify(ctx) {
	pageHeading(ctx.main, "Confirm your e-mail address");
	const token = ctx.hash.get("token");
	// The token has done its job once read; keep it out of the history.
	history.replaceState(null, "", location.pathname);
	if (!token) {
		showPageError(ctx.main, { code: "validation_failed",
			message: "This page needs the link from your mail." },
		["Open the link from the mail again, or copy it whole into the address bar."]);
		return;
	}
	try {
		await api.post("/api/v1/auth/verify-email", { token });
	} catch (error) {
		showPageError(ctx.main, error, error.fields && error.fields.token ?
			["The link is invalid, already used or older than 24 hours. Register again to get a new one."] : []);
		return;
	}
	if (ctx.user) {
		showPageNotice(ctx.main, "Your e-mail address is confirmed.");
		return;
	}
	navigate("/login?notice=verified", { replace: true });
}

definePage({ path: "/register", title: "Create an account", access: "guest", render: renderRegister });
definePage({ path: "/verify-email", title: "Confirm your e-mail address", access: "public",
	render: renderVerify });
