// dom.js - build DOM nodes without ever parsing HTML.
//
// Every string that reaches the page through these helpers becomes a text
// node or an attribute value, so user data cannot turn into markup or
// script.  Nothing here uses innerHTML, outerHTML, insertAdjacentHTML or
// document.write; pages must not either.  The one exception in the app is
// the supplier description, which the server renders and sanitises.

const SVG_NS = "http://www.w3.org/2000/svg";

// Properties set as DOM properties instead of attributes, because their
// attribute only gives the initial state (value, checked) or is boolean.
const PROPERTIES = new Set(["value", "checked", "disabled", "hidden",
	"selected", "required", "readOnly", "multiple"]);

function appendChildren(parent, children) {
	for (const child of children) {
		if (child === null || child === undefined || child === false) {
			continue;
		}
		if (Array.isArray(child)) {
			appendChildren(parent, child);
		} else if (child instanceof Node) {
			parent.appendChild(child);
		} else {
			parent.appendChild(document.createTextNode(String(child)));
		}
	}
}

function applyProps(node, props) {
	for (const [name, value] of Object.entries(props || {})) {
		const absent = value === null || value === undefined ||
		    (value === false && !PROPERTIES.has(name));
		if (absent) {
			continue;
		}
		if (name === "on") {
			for (const [event, handler] of Object.entries(value)) {
				node.addEventListener(event, handler);
			}
		} else if (name === "dataset") {
			Object.assign(node.dataset, value);
		} else if (PROPERTIES.has(name)) {
			node[name] = value;
		} else if (value === true) {
			node.setAttribute(name, "");
		} else {
			node.setAttribute(name, String(value));
		}
	}
}

// Create an HTML element.  props are attributes by name ("class", "for",
// "aria-live"), the properties listed in PROPERTIES, "dataset", and "on"
// with event handlers by event name.  children are nodes, strings
// (inserted as text), arrays of children, or null/false (skipped).
export function el(tag, props, ...children) {
	const node = document.createElement(tag);
	applyProps(node, props);
	appendChildren(node, children);
	return node;
}

// Create an SVG element, with the same arguments as el().
export function svg(tag, props, ...children) {
	const node = document.createElementNS(SVG_NS, tag);
	applyProps(node, props);
	appendChildren(node, children);
	return node;
}

// Replace the children of node with children (same forms as el()).
export function replace(node, ...children) {
	node.replaceChildren();
	appendChildren(node, children);
	return node;
}

// Set the text of node.
export function setText(node, value) {
	node.textContent = value === null || value === undefined ? "" : String(value);
	return node;
}

function formatWith(value, format) {
	if (!value) {
		return "";
	}
	const date = new Date(value);
	if (Number.isNaN(date.getTime())) {
		return String(value);
	}
	return format(date);
}

// Format an RFC 3339 time for people, in the browser's locale and zone.
export function formatTime(value) {
	return formatWith(value, (date) =>
		date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
}

// Format an RFC 3339 date or time as a date only.
export function formatDate(value) {
	return formatWith(value, (date) => date.toLocaleDateString(undefined, { dateStyle: "medium" }));
}
