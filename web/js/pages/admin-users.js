// pages/admin-users.js - the administrators' list of accounts with lock
// and unlock, and the access review built from the same list.

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { showPageNotice } from "../errors.js";
import { pageHeading } from "../layout.js";
import { definePage, reload } from "../router.js";
import { actionButton, confirmed, pagedList, table } from "../sourcing.js";

// An account without a login for this long is dormant, the period that
// "sscnctl evidence" uses for its dormant_accounts control.
const DORMANT_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

function yesNo(flag) {
	return flag ? "Yes" : "No";
}

function lockButton(ctx, user) {
	const action = user.locked ? "unlock" : "lock";
	const label = [user.locked ? "Unlock" : "Lock",
		el("span", { class: "visually-hidden" }, " " + user.email)];
	return actionButton(label, { container: ctx.main,
		className: user.locked ? "button" : "button button-danger" }, async () => {
		if (action === "lock" && !confirmed("Lock " + user.email +
			"? Every session of the account ends and it cannot sign in until unlocked.")) {
			return;
		}
		await api.post("/api/v1/admin/users/" + user.id + "/" + action);
		reload();
	});
}

definePage({
	path: "/admin/users",
	title: "Users",
	access: ["admin"],
	nav: { label: "Admin", order: 80, roles: ["admin"] },
	async render(ctx) {
		pageHeading(ctx.main, "Users",
			"Locking an account ends its sessions at once; unlocking also lifts the lock after failed logins.");
		ctx.main.append(el("p", null, el("a", { href: "/admin/audit" }, "Audit log"), " · ",
			el("a", { href: "/admin/access-review" }, "Access review"), " · ",
			el("a", { href: "/admin/incidents" }, "Incidents")));
		ctx.main.append(await pagedList(
			(cursor) => api.get("/api/v1/admin/users", { query: { limit: 50, cursor } }),
			(items) => table({ caption: "Accounts",
				headers: ["Name", "E-mail", "Administrator", "MFA", "Locked", "Last login", "Action"],
				rows: items.map((user) => [user.full_name || "", user.email || "", yesNo(user.is_admin),
					yesNo(user.mfa_enabled), yesNo(user.locked),
					user.last_login_at ? formatTime(user.last_login_at) : "Never",
					lockButton(ctx, user)]),
				empty: "No account." })));
	},
});

async function allUsers() {
	const users = [];
	let cursor = null;
	do {
		const answer = await api.get("/api/v1/admin/users", { query: { limit: 100, cursor } });
		users.push(...answer.items);
		cursor = answer.next_cursor;
	} while (cursor);
	return users;
}

function isDormant(user, now) {
	return !user.locked && (!user.last_login_at ||
		now - new Date(user.last_login_at).getTime() > DORMANT_DAYS * DAY_MS);
}

definePage({
	path: "/admin/access-review",
	title: "Access review",
	access: ["admin"],
	async render(ctx) {
		pageHeading(ctx.main, "Access review",
			"Every account with its platform role, second factor and last login. ",
			"Lock the accounts that no longer need access.");
		// TODO: the API has no GET /api/v1/admin/access-review yet, so this
		// review lacks each account's organization roles and records no
		// reviewer sign-off; it is built from GET /api/v1/admin/users.
		const users = await allUsers();
		const now = Date.now();
		const dormant = users.filter((user) => isDormant(user, now));
		const adminsWithoutMfa = users.filter((user) => user.is_admin && !user.mfa_enabled);
		if (adminsWithoutMfa.length > 0 || dormant.length > 0) {
			showPageNotice(ctx.main, `${adminsWithoutMfa.length} administrator(s) without MFA, ` +
				`${dormant.length} dormant account(s) to review.`);
		}
		ctx.main.append(
			el("ul", { class: "summary" },
				el("li", null, users.length + " accounts"),
				el("li", null, users.filter((user) => user.is_admin).length + " administrators"),
				el("li", null, users.filter((user) => user.mfa_enabled).length + " with MFA"),
				el("li", null, dormant.length + " dormant (no login for " + DORMANT_DAYS + " days)"),
				el("li", null, users.filter((user) => user.locked).length + " locked")),
			table({ caption: "Accounts, dormant first",
				headers: ["Name", "E-mail", "Role", "MFA", "Last login", "Dormant", "Locked", "Action"],
				rows: [...users].sort((a, b) => Number(isDormant(b, now)) - Number(isDormant(a, now)))
					.map((user) => [user.full_name || "", user.email || "",
						user.is_admin ? "Administrator" : "User", yesNo(user.mfa_enabled),
						user.last_login_at ? formatTime(user.last_login_at) : "Never",
						isDormant(user, now) ? el("strong", null, "Dormant") : "No",
						yesNo(user.locked), lockButton(ctx, user)]),
				empty: "No account." }));
	},
});
