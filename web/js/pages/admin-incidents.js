// pages/admin-incidents.js - the breach register: open incidents by their
// 72-hour notification deadline, a new incident, and one incident with its
// changes, history and the notice to affected users.

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { showPageNotice } from "../errors.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage, navigate } from "../router.js";
import { facts, fromLocalInput, pagedList, table, toLocalInput } from "../sourcing.js";

const SEVERITIES = [
	{ value: "sev1", label: "sev1: critical" },
	{ value: "sev2", label: "sev2: high" },
	{ value: "sev3", label: "sev3: medium" },
	{ value: "sev4", label: "sev4: low" },
];

const STATUSES = [
	{ value: "open", label: "Open" },
	{ value: "contained", label: "Contained" },
	{ value: "notified", label: "Notified" },
	{ value: "closed", label: "Closed" },
];

const RISK_LEVELS = [
	{ value: "", label: "Not assessed" },
	{ value: "none", label: "No risk" },
	{ value: "risk", label: "Risk" },
	{ value: "high", label: "High risk" },
];

// Long text fields that the detail form edits, in the order of the
// register.
const TEXT_FIELDS = [
	["description", "Description: what happened, the cause, the systems"],
	["consequences", "Likely consequences"],
	["measures", "Containment and remedial measures, with their times"],
	["risk_reasoning", "Reasoning behind the risk level"],
	["contact_point", "Contact point (data protection officer)"],
	["authority_not_notified_reason", "Reason for not notifying the authority"],
	["authority_delay_reason", "Reason for a late notification of the authority"],
	["subjects_not_notified_reason", "Reason for not notifying the data subjects"],
	["lessons_learned", "Lessons learned"],
];

const TIME_FIELDS = [
	["authority_notified_at", "Authority notified at"],
	["subjects_notified_at", "Data subjects notified at"],
];

function deadlineText(incident) {
	if (incident.status === "closed") {
		return "Closed " + formatTime(incident.closed_at);
	}
	const hours = Math.round(incident.seconds_to_deadline / 3600);
	return hours >= 0 ? `${hours} h left (${formatTime(incident.deadline_at)})` :
		`Overdue by ${-hours} h (${formatTime(incident.deadline_at)})`;
}

definePage({
	path: "/admin/incidents",
	title: "Incidents",
	access: ["admin"],
	async render(ctx) {
		const all = ctx.query.get("status") === "all";
		pageHeading(ctx.main, "Incidents", "The supervisory authority must be notified within ",
			"72 hours of becoming aware of a personal data breach. The nearest deadline comes first.");
		ctx.main.append(el("p", null, all ?
			el("a", { href: "/admin/incidents" }, "Show open incidents only") :
			el("a", { href: "/admin/incidents?status=all" }, "Show closed incidents too")));
		ctx.main.append(await pagedList(
			(cursor) => api.get("/api/v1/admin/incidents", { query: { status: all ? "all" : null,
				limit: 50, cursor } }),
			(items) => table({ caption: all ? "All incidents" : "Open incidents",
				headers: ["Title", "Severity", "Status", "Became aware", "Notification deadline"],
				rows: items.map((incident) => [
					el("a", { href: "/admin/incidents/" + incident.id }, incident.title),
					incident.severity, incident.status, formatTime(incident.became_aware_at),
					deadlineText(incident)]),
				empty: "No incident." })));

		const create = form({ label: "Record the incident", children: [
			field({ name: "title", label: "Title", required: true, attrs: { maxlength: "200" } }),
			el("div", { class: "field-row" },
				field({ name: "severity", label: "Severity", type: "select", value: "sev2",
					choices: SEVERITIES, required: true }),
				field({ name: "became_aware_at", label: "Became aware at", type: "datetime-local",
					required: true, value: toLocalInput(new Date().toISOString()),
					hint: "Starts the 72-hour clock. Your time zone." })),
			field({ name: "detected_at", label: "First signal at", type: "datetime-local" }),
			field({ name: "reporter", label: "Reported by", attrs: { maxlength: "200" } }),
			field({ name: "description", label: "Description", type: "textarea", rows: 5, required: true,
				hint: "What happened, the cause, the systems." }),
		] }, async (formNode) => {
			const body = {
				title: value(formNode, "title"),
				severity: value(formNode, "severity"),
				became_aware_at: fromLocalInput(value(formNode, "became_aware_at")),
				description: value(formNode, "description"),
			};
			const detected = fromLocalInput(value(formNode, "detected_at"));
			if (detected) {
				body.detected_at = detected;
			}
			if (value(formNode, "reporter")) {
				body.reporter = value(formNode, "reporter");
			}
			const incident = await api.post("/api/v1/admin/incidents", body);
			navigate("/admin/incidents/" + incident.id + "?notice=created");
		});
		ctx.main.append(el("section", { class: "card", "aria-labelledby": "new-incident" },
			el("h2", { id: "new-incident" }, "Record a new incident"), create));
	},
});

// Read the edit form into a PATCH body of the fields whose value changed;
// an emptied field is sent as null, which clears it.
function changedFields(formNode, incident) {
	const body = {};
	const names = ["status", "severity", "risk_level", ...TEXT_FIELDS.map(([name]) => name),
		...TIME_FIELDS.map(([name]) => name)];
	const timeNames = new Set(TIME_FIELDS.map(([name]) => name));
	for (const name of names) {
		const raw = value(formNode, name);
		const next = timeNames.has(name) ? fromLocalInput(raw) : raw || null;
		const before = incident[name] === undefined ? null : incident[name];
		const same = timeNames.has(name) && next && before ?
			new Date(next).getTime() === new Date(before).getTime() : next === before;
		if (!same) {
			body[name] = next;
		}
	}
	return body;
}

function editForm(incident) {
	return form({ label: "Save changes", children: [
		el("div", { class: "field-row" },
			field({ name: "status", label: "Status", type: "select", value: incident.status,
				choices: STATUSES }),
			field({ name: "severity", label: "Severity", type: "select", value: incident.severity,
				choices: SEVERITIES }),
			field({ name: "risk_level", label: "Risk level", type: "select",
				value: incident.risk_level || "", choices: RISK_LEVELS })),
		TIME_FIELDS.map(([name, label]) => field({ name, label, type: "datetime-local",
			value: toLocalInput(incident[name]) })),
		TEXT_FIELDS.map(([name, label]) => field({ name, label, type: "textarea", rows: 3,
			value: incident[name], required: name === "description" })),
	] }, async (formNode) => {
		const body = changedFields(formNode, incident);
		if (Object.keys(body).length === 0) {
			showPageNotice(formNode, "Nothing changed.");
			return;
		}
		await api.patch("/api/v1/admin/incidents/" + incident.id, body);
		navigate("/admin/incidents/" + incident.id + "?notice=saved", { replace: true });
	});
}

function idList(text) {
	return text.split(/[\s,]+/).filter(Boolean);
}

function notifyForm(incident) {
	return form({ label: "Queue the notices", children: [
		field({ name: "user_ids", label: "Affected user ids", type: "textarea", rows: 2,
			hint: "Separated by commas or new lines." }),
		field({ name: "organization_ids", label: "Affected organization ids", type: "textarea", rows: 2,
			hint: "Every current member of each is notified." }),
		field({ name: "message", label: "What happened", type: "textarea", rows: 4, required: true }),
		field({ name: "advice", label: "What the user can do", type: "textarea", rows: 4, required: true }),
	] }, async (formNode) => {
		const answer = await api.post("/api/v1/admin/incidents/" + incident.id + "/notify", {
			user_ids: idList(value(formNode, "user_ids")),
			organization_ids: idList(value(formNode, "organization_ids")),
			message: value(formNode, "message"),
			advice: value(formNode, "advice"),
		});
		showPageNotice(formNode, `${answer.queued} notice(s) queued; ` +
			`${answer.already_notified} user(s) had been notified before.`);
	});
}

function historyTable(incident) {
	return table({ caption: "Changes, oldest first",
		headers: ["Time", "By (user id)", "Changes"],
		rows: (incident.updates || []).map((update) => [formatTime(update.changed_at),
			update.changed_by || "", el("code", null, JSON.stringify(update.changes))]),
		empty: "No change recorded." });
}

definePage({
	path: "/admin/incidents/:id",
	title: "Incident",
	access: ["admin"],
	async render(ctx) {
		const incident = await api.get("/api/v1/admin/incidents/" + encodeURIComponent(ctx.params.id));
		document.title = "Incident: " + incident.title + " - SSCN";
		pageHeading(ctx.main, incident.title);
		const notice = { created: "The incident is recorded.", saved: "The changes are saved." };
		if (notice[ctx.query.get("notice")]) {
			showPageNotice(ctx.main, notice[ctx.query.get("notice")]);
		}
		ctx.main.append(
			el("p", null, el("a", { href: "/admin/incidents" }, "All incidents")),
			el("section", { class: "card", "aria-label": "Summary" }, facts([
				["Severity", incident.severity],
				["Status", incident.status],
				["Became aware", formatTime(incident.became_aware_at)],
				["Notification deadline", deadlineText(incident)],
				["Authority notified", incident.authority_notified ? "Yes" : "No"],
				["Data subjects notified", incident.subjects_notified ? "Yes" : "No"],
				["Reported by", incident.reporter],
			])),
			el("section", { class: "card", "aria-labelledby": "edit-incident" },
				el("h2", { id: "edit-incident" }, "Update the incident"), editForm(incident)),
			el("section", { class: "card", "aria-labelledby": "notify-incident" },
				el("h2", { id: "notify-incident" }, "Notify affected users"),
				el("p", { class: "hint" }, "Needs the consequences, measures and contact point first. ",
					"Each user gets one notice per incident."),
				notifyForm(incident)),
			el("section", { class: "card", "aria-labelledby": "incident-history" },
				el("h2", { id: "incident-history" }, "History"), historyTable(incident)));
	},
});
