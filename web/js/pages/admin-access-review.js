// pages/admin-access-review.js - the periodic access review: every
// account with its platform and organization roles, MFA, last login and
// dormant flag, a CSV download, and the reviewer's sign-off.

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { showPageNotice } from "../errors.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { table } from "../sourcing.js";
import { lockButton, yesNo } from "./admin-users.js";

// Read every page of the review.  Each page is one audit row on the server.
async function allAccounts() {
	const accounts = [];
	let cursor = null;
	let dormantDays = null;
	do {
		const page = await api.get("/api/v1/admin/access-review", { query: { limit: 100, cursor } });
		accounts.push(...page.items);
		dormantDays = page.dormant_days;
		cursor = page.next_cursor;
	} while (cursor);
	return { accounts, dormantDays };
}

function rolesCell(account) {
	const roles = account.organizations.map((membership) =>
		`${membership.organization_name} (${membership.organization_kind}): ${membership.role}`);
	if (account.is_admin) {
		roles.unshift("Platform administrator");
	}
	if (roles.length === 0) {
		return el("span", { class: "muted" }, "None");
	}
	return el("ul", { class: "cell-list" }, roles.map((role) => el("li", null, role)));
}

// The newest sign-off, from the audit log, or null.
async function latestSignOff() {
	const page = await api.get("/api/v1/admin/audit",
		{ query: { action: "admin.access_review_sign_off", limit: 1 } });
	return page.items[0] || null;
}

function signOffForm(ctx) {
	return form({ label: "Sign off the review", children: [
		field({ name: "note", label: "Review note", type: "textarea", required: true,
			hint: "What you checked and decided, 1 to 2000 characters. It is stored in the audit log." }),
	] }, async (formNode) => {
		const answer = await api.post("/api/v1/admin/access-review/sign-off",
			{ note: value(formNode, "note") });
		formNode.reset();
		showPageNotice(ctx.main, `The review is signed off: ${answer.accounts} accounts, ` +
			`${answer.dormant} dormant, at ${formatTime(answer.signed_off_at)}.`);
	});
}

definePage({
	path: "/admin/access-review",
	title: "Access review",
	access: ["admin"],
	async render(ctx) {
		pageHeading(ctx.main, "Access review",
			"Every account with its roles, second factor and last login. ",
			"Lock the accounts that no longer need access, then sign off the review.");
		const { accounts, dormantDays } = await allAccounts();
		const dormant = accounts.filter((account) => account.dormant);
		const adminsWithoutMfa = accounts.filter((account) => account.is_admin && !account.mfa_enabled);
		if (adminsWithoutMfa.length > 0 || dormant.length > 0) {
			showPageNotice(ctx.main, `${adminsWithoutMfa.length} administrator(s) without MFA, ` +
				`${dormant.length} dormant account(s) to review.`);
		}

		const last = await latestSignOff();
		ctx.main.append(
			el("ul", { class: "summary" },
				el("li", null, accounts.length + " accounts"),
				el("li", null, accounts.filter((account) => account.is_admin).length + " administrators"),
				el("li", null, accounts.filter((account) => account.mfa_enabled).length + " with MFA"),
				el("li", null, dormant.length + " dormant (no login for " + dormantDays + " days)"),
				el("li", null, accounts.filter((account) => account.locked).length + " locked")),
			el("p", null, last ? "Last sign-off: " + formatTime(last.occurred_at) + " by " +
				(last.actor_id || "unknown") + "." : "No sign-off is recorded yet."),
			el("p", null, el("a", { href: "/api/v1/admin/access-review?format=csv", download: "" },
				"Download the review as CSV"), el("span", { class: "muted" }, " (up to 10000 accounts)")),
			table({ caption: "Accounts, dormant first",
				headers: ["Name", "E-mail", "Roles", "MFA", "Last login", "Dormant",
					"Deletion scheduled", "Locked", "Action"],
				rows: [...accounts].sort((a, b) => Number(b.dormant) - Number(a.dormant))
					.map((account) => [account.full_name || "", account.email || "",
						rolesCell(account), yesNo(account.mfa_enabled),
						account.last_login_at ? formatTime(account.last_login_at) : "Never",
						account.dormant ? el("strong", null, "Dormant") : "No",
						account.deletion_scheduled_for ? formatTime(account.deletion_scheduled_for) : "No",
						yesNo(account.locked), lockButton(ctx, account)]),
				empty: "No account." }),
			el("h2", null, "Sign-off"),
			signOffForm(ctx));
	},
});
