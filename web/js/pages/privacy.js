// pages/privacy.js - the user's privacy controls: download my data, the
// marketing mail preference, cookie settings, and deleting the account
// with its grace period (and cancelling it).

import { api } from "../api.js";
import { el, formatDate, replace } from "../dom.js";
import { errorBox, showPageNotice } from "../errors.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { openCookieSettings } from "../consent.js";
import { definePage, navigate, reload } from "../router.js";
import { forgetSession, loadUser, session } from "../session.js";

function section(title, ...children) {
	return el("section", { class: "card" }, el("h2", null, title), children);
}

function filenameOf(response) {
	const disposition = response.headers.get("Content-Disposition") || "";
	const found = /filename="([^"]+)"/.exec(disposition);
	return found ? found[1] : "sscn-data-export.json";
}

function exportSection() {
	const region = el("div", { class: "page-alerts" });
	const button = el("button", { type: "button", class: "button button-primary" },
		"Download my data");
	button.addEventListener("click", async () => {
		button.disabled = true;
		try {
			const response = await api.get("/api/v1/data/export", { response: true, stayOnPage: true });
			const url = URL.createObjectURL(await response.blob());
			const link = el("a", { href: url, download: filenameOf(response), hidden: true });
			document.body.append(link);
			link.click();
			link.remove();
			setTimeout(() => URL.revokeObjectURL(url), 10000);
			replace(region, el("div", { class: "alert alert-info", role: "status" },
				"Your data export is downloading as ", filenameOf(response), "."));
		} catch (error) {
			if (error.name !== "ApiError") {
				throw error;
			}
			replace(region, errorBox(error));
		} finally {
			button.disabled = false;
		}
	});
	return section("Your data",
		el("p", null, "Download everything SSCN holds about you as a JSON file: your account, ",
			"memberships, sessions, consents, the requests, quotes and messages you wrote, ",
			"and the audit events about you. You can do this three times per hour."),
		region, button);
}

async function marketingSection() {
	const container = el("div");
	let preferences;
	try {
		preferences = await api.get("/api/v1/me/preferences", { stayOnPage: true });
	} catch (error) {
		if (error.name !== "ApiError") {
			throw error;
		}
		replace(container, errorBox(error));
		return section("E-mail", container);
	}
	const save = form({ label: "Save preference", children: [
		field({ name: "marketing_emails", type: "checkbox", value: preferences.marketing_emails,
			label: "Send me news and offers from SSCN by e-mail" }),
		el("p", { class: "hint" }, "Mail about your account, requests and quotes is always sent."),
	] }, async (node) => {
		const answer = await api.put("/api/v1/me/preferences",
			{ marketing_emails: value(node, "marketing_emails") });
		showPageNotice(node, answer.marketing_emails ?
			"You will get news and offers by e-mail." : "You will get no news or offers by e-mail.");
	});
	replace(container, save);
	return section("E-mail", container);
}

function deletionSection() {
	const user = session.user;
	if (user.deletion_scheduled_for) {
		const region = el("div", { class: "page-alerts" });
		const cancel = el("button", { type: "button", class: "button button-primary" },
			"Cancel the deletion");
		cancel.addEventListener("click", async () => {
			try {
				await api.post("/api/v1/data/delete-account/cancel");
				await loadUser();
				reload();
			} catch (error) {
				if (error.name !== "ApiError") {
					throw error;
				}
				replace(region, errorBox(error));
			}
		});
		return section("Delete my account",
			el("div", { class: "alert alert-error", role: "status" },
				el("p", null, "Your account will be deleted on ",
					el("strong", null, formatDate(user.deletion_scheduled_for)), "."),
				el("p", null, "Until then you can cancel, and everything stays as it is.")),
			region, cancel);
	}

	const children = [
		el("p", null, "Your account is deleted 30 days after you confirm; during that time ",
			"you can sign in and cancel. Then your personal data is erased. You are signed out ",
			"everywhere at once."),
		field({ name: "password", label: "Password", type: "password", required: true,
			autocomplete: "current-password" }),
		user.mfa_enabled ? field({ name: "code", label: "Code from your authenticator app",
			required: true, autocomplete: "one-time-code", inputmode: "numeric" }) : null,
		field({ name: "confirm", type: "checkbox", required: true,
			label: "I understand that my account and personal data will be deleted." }),
	];
	const remove = form({ label: "Delete my account", children }, async (node) => {
		if (!value(node, "confirm")) {
			const slot = node.querySelector('[data-error-for="confirm"]');
			replace(slot, "Tick this box to confirm the deletion.");
			slot.hidden = false;
			node.querySelector('[name="confirm"]').focus();
			return;
		}
		const body = { password: value(node, "password") };
		if (user.mfa_enabled) {
			body.code = value(node, "code");
		}
		const answer = await api.post("/api/v1/data/delete-account", body);
		// Every session has ended, this one included.
		forgetSession();
		navigate("/login?notice=deletion_scheduled&date=" +
			encodeURIComponent(answer.scheduled_for), { replace: true });
	});
	remove.querySelector("button[type=submit]").classList.replace("button-primary", "button-danger");
	return section("Delete my account", remove);
}

definePage({
	path: "/account/privacy",
	title: "Privacy",
	access: "user",
	nav: { label: "Privacy", order: 90 },
	async render(ctx) {
		pageHeading(ctx.main, "Privacy");
		const cookies = section("Cookies",
			el("p", null, "Choose which optional cookies SSCN may use."),
			el("button", { type: "button", class: "button", on: { click: () => openCookieSettings() } },
				"Cookie settings"));
		ctx.main.append(exportSection(), await marketingSection(), cookies, deletionSection(),
			section("Documents", el("p", null, el("a", { href: "/legal/privacy" }, "Privacy notice"),
				" · ", el("a", { href: "/legal/cookies" }, "Cookie policy"))));
	},
});
