// pages/api-keys.js - the organization's API keys on the account security
// page, for owners and admins of the organization: list, create (the
// secret is shown once) and revoke.

import { api } from "../api.js";
import { el, formatTime, replace } from "../dom.js";
import { errorBox } from "../errors.js";
import { field, form, value } from "../forms.js";

function keysPath(organization) {
	return "/api/v1/organizations/" + encodeURIComponent(organization.id) + "/api-keys";
}

function secretBox(key) {
	return el("div", { class: "alert alert-info", role: "status" },
		el("p", null, el("strong", null, "Copy the secret of “", key.name, "” now."),
			" It is shown only this time; SSCN keeps no copy it can show again."),
		el("p", null, el("code", { class: "secret", "data-api-key-secret": "" }, key.secret)),
		el("p", null, "Key id: ", el("code", null, key.id)));
}

async function drawList(organization, list) {
	const answer = await api.get(keysPath(organization), { query: { limit: 100 }, stayOnPage: true });
	if (answer.items.length === 0) {
		replace(list, el("p", { class: "muted" }, "No API keys yet."));
		return;
	}
	const region = el("div", { class: "page-alerts" });
	const rows = answer.items.map((key) => {
		const revoke = key.revoked_at ? "revoked " + formatTime(key.revoked_at) :
			el("button", { type: "button", class: "button button-danger", on: {
				click: async () => {
					try {
						await api.delete(keysPath(organization) + "/" + encodeURIComponent(key.id));
						await drawList(organization, list);
					} catch (error) {
						if (error.name !== "ApiError") {
							throw error;
						}
						replace(region, errorBox(error));
					}
				},
			} }, "Revoke");
		return el("tr", null,
			el("td", null, key.name), el("td", null, el("code", null, key.prefix)),
			el("td", null, key.scopes.join(", ")),
			el("td", null, formatTime(key.created_at)),
			el("td", null, key.expires_at ? formatTime(key.expires_at) : "never"),
			el("td", null, key.last_used_at ? formatTime(key.last_used_at) : "never"),
			el("td", null, revoke));
	});
	replace(list, region, el("div", { class: "table-wrap" }, el("table", null,
		el("thead", null, el("tr", null, ["Name", "Prefix", "Scopes", "Created", "Expires",
			"Last used", "Action"].map((label) => el("th", { scope: "col" }, label)))),
		el("tbody", null, rows))));
}

// Build the API keys section of organization ({id, name, role}).
export async function apiKeysSection(organization) {
	const list = el("div");
	const created = el("div");
	const create = form({ label: "Create API key", children: [
		field({ name: "name", label: "Name", required: true,
			hint: "What the key is for, such as “ERP import”." }),
		el("fieldset", null, el("legend", null, "Scopes"),
			field({ name: "scope_read", label: "read: GET requests", type: "checkbox", value: true }),
			field({ name: "scope_write", label: "write: changes (POST, PUT, PATCH, DELETE)",
				type: "checkbox" }),
			el("p", { class: "field-error", "data-error-for": "scopes", hidden: true })),
		field({ name: "expires_at", label: "Expires on", type: "date",
			hint: "The key stops working at the start of this day (UTC). Leave empty for no expiry." }),
	] }, async (node) => {
		const scopes = [];
		if (value(node, "scope_read")) {
			scopes.push("read");
		}
		if (value(node, "scope_write")) {
			scopes.push("write");
		}
		const body = { name: value(node, "name"), scopes };
		const expires = value(node, "expires_at");
		if (expires) {
			body.expires_at = expires + "T00:00:00Z";
		}
		const key = await api.post(keysPath(organization), body);
		node.reset();
		replace(created, secretBox(key));
		await drawList(organization, list);
	});
	const node = el("div", null,
		el("p", null, "Keys let your systems call the SSCN API for ", organization.name,
			" with signed requests. A key acts as the member who created it."),
		created, create, el("h3", null, "Keys"), list);
	try {
		await drawList(organization, list);
	} catch (error) {
		if (error.name !== "ApiError") {
			throw error;
		}
		replace(list, errorBox(error));
	}
	return node;
}
