// tap-reporter.mjs - a node:test reporter that writes plain TAP for prove.
//
// node's own TAP reporter puts failure details into YAML blocks that
// prove's YAML reader rejects when an error message spans several lines,
// and prove then loses the plan.  This reporter prints one "ok" or
// "not ok" line per top-level test and the details of a failure as "#"
// comment lines, then the plan.  Failure details go to stderr as well.

function comment(text) {
	return String(text).split("\n").map((line) => "# " + line).join("\n") + "\n";
}

function failureText(error) {
	const cause = error && error.cause ? error.cause : error;
	if (!cause) {
		return "failed";
	}
	return cause.stack || cause.message || String(cause);
}

export default async function* tapReporter(source) {
	let count = 0;
	yield "TAP version 13\n";
	for await (const event of source) {
		const data = event.data || {};
		if (event.type === "test:pass" && data.nesting === 0) {
			count += 1;
			let directive = "";
			if (data.skip) {
				directive = typeof data.skip === "string" ? " # SKIP " + data.skip : " # SKIP";
			}
			yield `ok ${count} - ${data.name}${directive}\n`;
		} else if (event.type === "test:fail" && data.nesting === 0) {
			count += 1;
			yield `not ok ${count} - ${data.name}\n`;
			// Also on stderr, which prove shows without -v, as it does
			// the diagnostics of the Perl tests.
			const details = comment(failureText(data.details && data.details.error));
			process.stderr.write(`# Failed test '${data.name}'\n` + details);
			yield details;
		} else if (event.type === "test:diagnostic" && data.nesting === 0) {
			yield comment(data.message);
		} else if (event.type === "test:stderr" || event.type === "test:stdout") {
			yield comment(data.message.replace(/\n$/, ""));
		}
	}
	yield `1..${count}\n`;
}
