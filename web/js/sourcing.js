// sourcing.js - shared pieces of the sourcing pages: category names,
// status labels, tables, money and time conversions.

import { api } from "./api.js";
import { el, replace } from "./dom.js";
import { errorBox, showPageError } from "./errors.js";
import { navigate } from "./router.js";

let categoryList = null;

// Load the category code list once per page load (GET /api/v1/categories,
// which changes only with a migration).
export async function categories() {
	if (!categoryList) {
		const answer = await api.get("/api/v1/categories", { anonymous: true });
		categoryList = answer.items;
	}
	return categoryList;
}

export function categoryName(list, code) {
	const found = (list || []).find((category) => category.code === code);
	return found ? found.name : code || "";
}

export function categoryChoices(list, { empty = "Choose a category" } = {}) {
	return [{ value: "", label: empty },
		...list.map((category) => ({ value: category.code, label: category.name }))];
}

export const RFQ_STATUS = {
	draft: "Draft",
	published: "Open for quotes",
	closed: "Closed",
	awarded: "Awarded",
	cancelled: "Cancelled",
};

export const QUOTE_STATUS = {
	submitted: "Submitted",
	needs_reconfirmation: "Needs reconfirmation",
	withdrawn: "Withdrawn",
	awarded: "Awarded",
	rejected: "Not chosen",
	expired: "Expired",
};

// A status label; the class gives each status its own colour in app.css.
export function statusBadge(labels, status) {
	return el("span", { class: "badge badge-" + status }, labels[status] || status);
}

// Build a table inside its scroll wrapper.  headers are strings; rows are
// arrays of cells (strings or nodes).  empty is the text for no rows.
export function table({ caption, headers, rows, empty, className }) {
	const body = rows.length > 0 ?
		rows.map((cells) => el("tr", null, cells.map((cell) => el("td", null, cell)))) :
		el("tr", null, el("td", { colspan: String(headers.length), class: "muted" }, empty));
	return el("div", { class: "table-wrap" },
		el("table", { class: className || null },
			caption ? el("caption", null, caption) : null,
			el("thead", null, el("tr", null, headers.map((header) =>
				el("th", { scope: "col" }, header)))),
			el("tbody", null, body)));
}

// Show a list that pages with "Load more".  loadPage(cursor) returns the
// API's {items, next_cursor}; render(items) returns the node for them.
// Returns the container; errors of later pages appear inside it.
export async function pagedList(loadPage, render) {
	const container = el("div", { class: "paged-list" });
	let first = await loadPage(null);
	const items = [...first.items];
	let cursor = first.next_cursor;

	const draw = () => {
		const more = cursor ? el("button", { type: "button", class: "button",
			on: { click: loadMore } }, "Load more") : null;
		replace(container, render(items), more ? el("div", { class: "actions" }, more) : null);
	};
	async function loadMore(event) {
		event.target.disabled = true;
		try {
			const next = await loadPage(cursor);
			items.push(...next.items);
			cursor = next.next_cursor;
			draw();
		} catch (error) {
			if (error.name !== "ApiError") {
				throw error;
			}
			event.target.disabled = false;
			container.append(errorBox(error));
		}
	}
	draw();
	return container;
}

// Format a decimal amount (the API sends unit prices as text with four
// places) with its currency, without going through binary floating point.
export function formatMoney(amount, currency) {
	if (amount === null || amount === undefined) {
		return "";
	}
	const text = String(amount);
	const [whole, fraction = ""] = text.split(".");
	const trimmed = fraction.replace(/0+$/, "").padEnd(2, "0");
	const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	return grouped + "." + trimmed + (currency ? " " + currency : "");
}

// Compare two decimal texts as numbers (for sorting quotes by price).
export function compareAmounts(a, b) {
	return Number(a) - Number(b);
}

function pad(number) {
	return String(number).padStart(2, "0");
}

// The value for an <input type="datetime-local"> of an RFC 3339 time, in
// the browser's time zone.
export function toLocalInput(value) {
	if (!value) {
		return "";
	}
	const date = new Date(value);
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
		`T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// The RFC 3339 UTC time of a datetime-local value in the browser's time
// zone, or null for an empty one.
export function fromLocalInput(value) {
	if (!value) {
		return null;
	}
	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? value : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// Ask the user to confirm an action that cannot be undone.
export function confirmed(question) {
	return window.confirm(question);
}

// A short description list (term, value) for object summaries.
export function facts(pairs) {
	return el("dl", { class: "facts" }, pairs.filter(([, value]) =>
		value !== null && value !== undefined && value !== "").map(([term, value]) =>
		[el("dt", null, term), el("dd", null, value)]));
}

// A button whose click runs handler(); the button is disabled meanwhile
// and an ApiError appears at the top of container's page.  label is text,
// a node or an array of them, as children of el().
export function actionButton(label, { container, className = "button" }, handler) {
	const button = el("button", { type: "button", class: className }, label);
	button.addEventListener("click", async () => {
		button.disabled = true;
		try {
			await handler();
		} catch (error) {
			if (error.name !== "ApiError") {
				throw error;
			}
			showPageError(container, error);
		} finally {
			button.disabled = false;
		}
	});
	return button;
}

// Make the submit of a filter form open path with the named fields as
// query parameters, leaving out empty ones.  A checkbox counts as "true"
// when checked.  normalize(name, text) may rewrite a value (upper case,
// time zone).
export function submitAsQuery(formNode, path, names, normalize = (name, text) => text) {
	formNode.addEventListener("submit", (event) => {
		event.preventDefault();
		const params = new URLSearchParams();
		for (const name of names) {
			const input = formNode.querySelector(`[name="${name}"]`);
			const raw = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value.trim();
			const text = normalize(name, raw);
			if (text) {
				params.set(name, text);
			}
		}
		navigate(path + (params.toString() ? "?" + params : ""));
	});
	return formNode;
}
