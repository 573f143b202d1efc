// errors.js - show API errors in plain words: a field's problem next to the
// field, anything else at the top of the page, always with the request id
// that support needs to find the request in the logs.

import { el, replace } from "./dom.js";

// Plain-word messages by error code; the server's own message is used for
// a code not listed here.
const CODE_MESSAGES = {
	validation_failed: "Some of the information is not valid. Check the marked fields.",
	weak_password: "The password is not strong enough.",
	invalid_credentials: "The e-mail address or password is wrong, or the account cannot sign in now.",
	mfa_required: "This needs a sign-in with your second factor. Sign out and sign in again with your authenticator code.",
	mfa_invalid: "The code is wrong, already used or expired. Try the newest code.",
	unauthorized: "Your session has ended. Sign in again.",
	forbidden: "You are not allowed to do this.",
	not_found: "This item does not exist or you have no access to it.",
	conflict: "This cannot be done in the current state. Reload the page and try again.",
	nda_required: "Accept the non-disclosure agreement to see this request for quotation.",
	payload_too_large: "The file or text is too large.",
	unsupported_media_type: "The file type is not accepted. Use PDF, PNG or JPEG.",
	rate_limited: "Too many requests. Wait a minute and try again.",
	reauthentication_required: "For this change, sign in again first: your sign-in is older than 10 minutes.",
	acceptance_required: "Accept the current terms of service and privacy notice to continue.",
	mfa_enrollment_required: "Set up two-factor authentication to continue.",
	internal_error: "Something went wrong on our side. Try again later.",
	unavailable: "The service is unavailable at the moment. Try again in a few minutes.",
	network_error: "The server could not be reached. Check your connection and try again.",
};

// Plain words for the password policy codes that the server lists in
// fields.password and in /auth/password/check problems.
export const PASSWORD_PROBLEMS = {
	invalid_utf8: "contains characters that cannot be read",
	too_short: "is too short",
	too_long: "is too long",
	missing_upper: "needs an upper-case letter",
	missing_lower: "needs a lower-case letter",
	missing_digit: "needs a digit",
	common_password: "is a commonly used password",
	contains_email: "contains your e-mail address",
	contains_name: "contains your name",
	too_weak: "is too easy to guess",
};

// Plain words for the field problems that the server reports.
const FIELD_MESSAGES = {
	"missing": "This field is required.",
	"is too long": "This is too long.",
	"must be a string": "This value is not valid.",
	"is not a known field": "This value is not accepted.",
	"is not the current version": "The document has changed since the page was loaded. Reload the page and accept the current version.",
	"is invalid, used or expired": "This link is invalid, already used or expired.",
};

// Problems that start with these words get plain words of their own.
const FIELD_MESSAGE_PREFIXES = [
	["must be an array of 1 to 100 organization ids", "Choose at least one supplier."],
	["must be a decimal string", "Enter a number with a point before the decimals, such as 12.50."],
];

// API field names as a person reads them, for messages that quote a field
// and for problems of fields that the page has no input for.
const FIELD_LABELS = {
	need_by: "the needed-by date",
	quote_deadline: "the quote deadline",
	unit_price: "the unit price",
	lead_time_days: "the lead time",
	valid_until: "the valid-until date",
	delivery_country: "the delivery country",
	supplier_org_ids: "the suppliers",
	invitations: "the invited suppliers",
	nda_text: "the NDA text",
	current_password: "the current password",
};

// Replace the API field names (words joined by "_") in text.
function readableNames(text) {
	return text.replace(/\b[a-z]+(?:_[a-z]+)+\b/g,
		(name) => FIELD_LABELS[name] || name.replaceAll("_", " "));
}

// A field name as a label: "quote_deadline" becomes "Quote deadline".
function fieldLabel(name) {
	const text = readableNames(name.split(".")[0]).replace(/^the /, "");
	return text.charAt(0).toUpperCase() + text.slice(1);
}

export function messageFor(error) {
	// A wrong current password outside the sign-in form: the server names
	// the field that was wrong, which the sign-in wording would hide.
	if (error.code === "invalid_credentials" && error.message &&
		!/e-mail/i.test(error.message)) {
		return error.message;
	}
	return CODE_MESSAGES[error.code] || error.message || "The request failed.";
}

// Plain words for one field problem.  Password problems are a list of
// codes separated by ", ".
export function fieldMessage(name, problem) {
	const text = String(problem);
	const codes = text.split(", ");
	if (codes.every((code) => PASSWORD_PROBLEMS[code])) {
		return "The password " + codes.map((code) => PASSWORD_PROBLEMS[code]).join(", ") + ".";
	}
	if (FIELD_MESSAGES[text]) {
		return FIELD_MESSAGES[text];
	}
	for (const [prefix, message] of FIELD_MESSAGE_PREFIXES) {
		if (text.startsWith(prefix)) {
			return message;
		}
	}
	const readable = readableNames(text);
	return readable.charAt(0).toUpperCase() + readable.slice(1) + ".";
}

// Build the alert box for error: the plain message, extra lines, and the
// request id when the server gave one.
export function errorBox(error, extraLines) {
	// Without lines from a form, every field problem is listed here, so
	// that "check the marked fields" always comes with the problems.
	const lines = extraLines !== undefined ? extraLines :
		flattenFields(error.fields).map(([name, problem]) =>
			fieldLabel(name) + ": " + fieldMessage(name, problem));
	return el("div", { class: "alert alert-error", role: "alert", tabindex: "-1" },
		el("p", null, messageFor(error)),
		lines.map((line) => el("p", null, line)),
		error.requestId ? el("p", { class: "request-id" },
			"Request id for support: ", el("code", null, error.requestId)) : null);
}

// Show error at the top of the page region (the element with class
// "page-alerts" inside container, or the container itself).
export function showPageError(container, error, extraLines) {
	const region = container.querySelector(".page-alerts") || container;
	const box = errorBox(error, extraLines);
	replace(region, box);
	box.focus();
	return box;
}

// Show a success or information message at the top of the page region.
export function showPageNotice(container, text) {
	const region = container.querySelector(".page-alerts") || container;
	replace(region, el("div", { class: "alert alert-info", role: "status" }, text));
}

export function clearPageAlerts(container) {
	const region = container.querySelector(".page-alerts");
	if (region) {
		replace(region);
	}
}

// Clear the field errors of form.
export function clearFieldErrors(form) {
	for (const node of form.querySelectorAll(".field-error")) {
		replace(node);
		node.hidden = true;
	}
	for (const input of form.querySelectorAll("[aria-invalid]")) {
		input.removeAttribute("aria-invalid");
	}
}

// Show error on form: each problem in error.fields next to the field of
// that name (fields.categories.analytics reaches the field named
// "categories.analytics"), and the message with the request id in the
// form's alert region (".page-alerts" inside the form, else the page's).
// Problems of fields the form lacks are listed in the alert.  Focus moves
// to the first invalid field, or to the alert.
export function showFormError(form, error, pageContainer) {
	clearFieldErrors(form);
	const unplaced = [];
	let first = null;
	for (const [name, problem] of flattenFields(error.fields)) {
		const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
		const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
		const text = fieldMessage(name, problem);
		if (!input || !slot) {
			unplaced.push(fieldLabel(name) + ": " + text);
			continue;
		}
		replace(slot, text);
		slot.hidden = false;
		input.setAttribute("aria-invalid", "true");
		first = first || input;
	}
	const target = form.querySelector(".page-alerts") ? form :
		pageContainer || document.querySelector("main");
	const box = showPageError(target, error, unplaced);
	if (first) {
		first.focus();
	} else {
		box.focus();
	}
}

function flattenFields(fields, prefix = "") {
	const entries = [];
	for (const [name, value] of Object.entries(fields || {})) {
		const key = prefix ? prefix + "." + name : name;
		if (value && typeof value === "object") {
			entries.push(...flattenFields(value, key));
		} else {
			entries.push([key, value]);
		}
	}
	return entries;
}
