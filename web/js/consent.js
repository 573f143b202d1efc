// consent.js - the cookie banner.  It shows on a first visit, and again
// when the cookie policy has a newer version than the stored choice.  The
// footer's "Cookie settings" link opens it at any time.  The choice is
// stored by POST /api/v1/consents, which also sets the strictly necessary
// consent cookie.  The web UI itself sets no analytics or marketing
// cookie, so nothing non-essential exists before or after a choice; the
// categories record what the visitor allows.

import { api } from "./api.js";
import { el, replace } from "./dom.js";
import { errorBox } from "./errors.js";

const CATEGORIES = [
	{ name: "analytics", label: "Analytics",
		text: "Count visits and page use, so we can improve the service." },
	{ name: "marketing", label: "Marketing",
		text: "Measure our campaigns and show you offers." },
];

let banner = null;

async function currentState() {
	return api.get("/api/v1/consents", { anonymous: true });
}

async function record(state, categories) {
	return api.post("/api/v1/consents", {
		categories: categories,
		policy_version: state.current_policy_version,
	}, { anonymous: true });
}

function close() {
	if (banner) {
		banner.remove();
		banner = null;
	}
}

function choiceButton(label, handler) {
	// Accept, reject and save look the same, so no choice is pushed.
	return el("button", { type: "button", class: "button button-choice", on: { click: handler } },
		label);
}

function buildBanner(state, { focus }) {
	const current = state.consent ? state.consent.categories : {};
	const alerts = el("div", { class: "page-alerts" });
	const boxes = CATEGORIES.map((category) => {
		const id = "consent-" + category.name;
		return el("div", { class: "field field-checkbox" },
			el("input", { type: "checkbox", id: id, name: category.name,
				checked: Boolean(current[category.name]) }),
			el("label", { for: id }, category.label),
			el("p", { class: "hint" }, category.text));
	});
	const details = el("fieldset", { class: "consent-details", hidden: true },
		el("legend", null, "Cookie categories"),
		el("div", { class: "field field-checkbox" },
			el("input", { type: "checkbox", id: "consent-necessary", checked: true,
				disabled: true }),
			el("label", { for: "consent-necessary" }, "Strictly necessary"),
			el("p", { class: "hint" }, "Sign-in, security and this choice. Always on.")),
		boxes);

	const save = async (categories) => {
		try {
			await record(state, categories);
			close();
		} catch (error) {
			replace(alerts, errorBox(error));
		}
	};
	const chosen = () => Object.fromEntries(CATEGORIES.map((category) =>
		[category.name, details.querySelector(`[name="${category.name}"]`).checked]));
	const all = (value) => Object.fromEntries(CATEGORIES.map((c) => [c.name, value]));

	const customize = choiceButton("Choose categories", () => {
		details.hidden = false;
		customize.replaceWith(saveChoice);
		details.querySelector("input:not([disabled])").focus();
	});
	const saveChoice = choiceButton("Save my choice", () => save(chosen()));

	const node = el("section", { class: "cookie-banner", role: "region",
		"aria-labelledby": "cookie-banner-title", tabindex: "-1" },
		el("h2", { id: "cookie-banner-title" }, "Cookies"),
		el("p", null, "We use strictly necessary cookies to sign you in and keep the site secure. ",
			"With your permission we would also use analytics and marketing cookies. ",
			"You can change your choice at any time from the “Cookie settings” link at the bottom of every page. ",
			el("a", { href: "/legal/cookies" }, "Read the cookie policy"), "."),
		alerts, details,
		el("div", { class: "actions" },
			choiceButton("Accept all", () => save(all(true))),
			choiceButton("Reject all", () => save(all(false))),
			customize));
	if (state.consent) {
		// Opened from the footer: show the categories with the current choice.
		details.hidden = false;
		customize.replaceWith(saveChoice);
	}
	document.body.prepend(node);
	if (focus) {
		node.focus();
	}
	return node;
}

// Show the banner when no choice is stored for the current policy version.
export async function showBannerIfNeeded() {
	const state = await currentState();
	const stored = state.consent;
	if (!stored || stored.policy_version !== state.current_policy_version) {
		close();
		banner = buildBanner({ ...state, consent: null }, { focus: false });
	}
}

// Open the banner with the current choice (the footer's "Cookie settings").
export async function openCookieSettings() {
	const state = await currentState();
	close();
	banner = buildBanner(state, { focus: true });
}
