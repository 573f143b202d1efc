// pages/password.js - "forgot password" (a reset link by mail) and the
// reset itself from the mail link (/reset-password#token=TOKEN).

import { api } from "../api.js";
import { el, replace } from "../dom.js";
import { showPageError } from "../errors.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { attachStrengthMeter } from "../password-meter.js";
import { definePage, navigate } from "../router.js";

function renderForgot(ctx) {
	pageHeading(ctx.main, "Forgot your password?");
	ctx.main.classList.add("narrow");
	const request = form({ label: "Send reset link", children: [
		el("p", null, "Enter the e-mail address of your account. We will send a link to ",
			"set a new password; it works for 30 minutes."),
		field({ name: "email", label: "E-mail address", type: "email", required: true,
			autocomplete: "email" }),
	] }, async (node) => {
		const email = value(node, "email");
		await api.post("/api/v1/auth/password/forgot", { email });
		replace(node, el("div", { class: "alert alert-info", role: "status" },
			el("p", null, "If ", email, " belongs to an account, a reset link is on its way. ",
				"Check your mail, including the spam folder.")));
	});
	ctx.main.append(request, el("p", null, el("a", { href: "/login" }, "Back to sign-in")));
}

function renderReset(ctx) {
	pageHeading(ctx.main, "Set a new password");
	ctx.main.classList.add("narrow");
	// Keep the token for this page only, out of the history and address bar.
	const token = ctx.hash.get("token");
	history.replaceState(null, "", location.pathname);
	if (!token) {
		showPageError(ctx.main, { code: "validation_failed",
			message: "This page needs the link from your mail." },
		[el("a", { href: "/forgot-password" }, "Ask for a new reset link")]);
		return;
	}

	const password = field({ name: "new_password", label: "New password", type: "password",
		required: true, autocomplete: "new-password" });
	const reset = form({ label: "Set password", children: [
		password,
		field({ name: "confirm_password", label: "New password again", type: "password",
			required: true, autocomplete: "new-password" }),
	] }, async (node) => {
		if (value(node, "new_password") !== value(node, "confirm_password")) {
			const slot = node.querySelector('[data-error-for="confirm_password"]');
			replace(slot, "The two passwords differ.");
			slot.hidden = false;
			return;
		}
		try {
			await api.post("/api/v1/auth/password/reset",
				{ token, new_password: value(node, "new_password") });
		} catch (error) {
			if (error.fields && error.fields.token) {
				error.fields = {};
				showPageError(ctx.main, error, ["The link is invalid, already used or older than 30 minutes.",
					el("a", { href: "/forgot-password" }, "Ask for a new reset link")]);
				return;
			}
			throw error;
		}
		navigate("/login?notice=password_reset", { replace: true });
	});
	attachStrengthMeter(password.querySelector("input"));
	ctx.main.append(reset);
}

definePage({ path: "/forgot-password", title: "Forgot your password?", access: "public",
	render: renderForgot });
definePage({ path: "/reset-password", title: "Set a new password", access: "public",
	render: renderReset });
