// forms.js - labelled form fields with a slot for their error, and the
// submit handling that shows API errors next to the fields.

import { el } from "./dom.js";
import { clearFieldErrors, clearPageAlerts, showFormError } from "./errors.js";

let fieldCounter = 0;

// Build a labelled field.  options: name, label, type ("text", "email",
// "password", "number", "date", "datetime-local", "textarea", "select",
// "checkbox"), value, required, autocomplete, hint, inputmode, choices
// (for select: [{value, label}]), attrs (more input attributes).  The
// input carries the name that the API uses for the field, so that
// showFormError() can put the server's problem next to it.
export function field(options) {
	fieldCounter += 1;
	const id = "f-" + options.name.replace(/[^A-Za-z0-9_-]/g, "-") + "-" + fieldCounter;
	const hintId = id + "-hint";
	const errorId = id + "-error";
	const describedBy = [options.hint ? hintId : null, errorId].filter(Boolean).join(" ");
	const props = {
		id: id,
		name: options.name,
		required: Boolean(options.required),
		autocomplete: options.autocomplete,
		inputmode: options.inputmode,
		"aria-describedby": describedBy,
		...options.attrs,
	};

	let input;
	if (options.type === "textarea") {
		input = el("textarea", { ...props, rows: options.rows || 5 });
		input.value = options.value ?? "";
	} else if (options.type === "select") {
		input = el("select", props, (options.choices || []).map((choice) =>
			el("option", { value: choice.value, selected: choice.value === options.value },
				choice.label)));
	} else {
		input = el("input", { ...props, type: options.type || "text" });
		if (options.type === "checkbox") {
			input.checked = Boolean(options.value);
		} else if (options.value !== undefined && options.value !== null) {
			input.value = options.value;
		}
	}

	const hint = options.hint ? el("p", { class: "hint", id: hintId }, options.hint) : null;
	const error = el("p", { class: "field-error", id: errorId, "data-error-for": options.name,
		hidden: true });
	if (options.type === "checkbox") {
		return el("div", { class: "field field-checkbox" },
			input, el("label", { for: id }, options.label), hint, error);
	}
	return el("div", { class: "field" },
		el("label", { for: id }, options.label, options.required ? null :
			el("span", { class: "optional" }, " (optional)")),
		hint, input, error);
}

// Return the input of the field named name inside form.
export function input(form, name) {
	return form.querySelector(`[name="${CSS.escape(name)}"]`);
}

// Return the value of the field named name: checked for a checkbox, the
// trimmed value otherwise, except for passwords, which are taken as typed.
export function value(form, name) {
	const node = input(form, name);
	if (!node) {
		return undefined;
	}
	if (node.type === "checkbox") {
		return node.checked;
	}
	return node.type === "password" ? node.value : node.value.trim();
}

// Build a form whose submit calls handler(form) with the submit button
// disabled meanwhile.  An ApiError thrown by the handler is shown next to
// the fields and in the form's alert region; other errors are rethrown.
// options: label (the submit button's text), class, children.
export function form(options, handler) {
	const submit = el("button", { type: "submit", class: "button button-primary" },
		options.label);
	const node = el("form", { class: options.class || "stack", novalidate: true },
		el("div", { class: "page-alerts", "aria-live": "polite" }),
		options.children, el("div", { class: "actions" }, submit, options.extraActions));
	node.addEventListener("submit", async (event) => {
		event.preventDefault();
		clearFieldErrors(node);
		clearPageAlerts(node);
		submit.disabled = true;
		try {
			await handler(node);
		} catch (error) {
			if (error.name !== "ApiError") {
				throw error;
			}
			showFormError(node, error);
		} finally {
			submit.disabled = false;
		}
	});
	return node;
}
