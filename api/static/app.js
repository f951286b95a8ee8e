// Chancery's search page: search, facets, time, reading, all driven by the URL.
import { FACETS, LABELS, clone, hasFilters, readState, toParams, urlFor } from "./state.js";
import { clear, debounce, el, formatDate, snippetNodes } from "./dom.js";
import * as events from "./events.js";

const $ = (id) => document.getElementById(id);
const SHOWN = 10;
let state = readState();

let request = 0;

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// Past this many characters of parameters a search is POSTed: a pasted page does not fit a URL.
const MAX_GET = 2000;

async function api(path, payload) {
  let response;
  const headers = { Accept: "application/json" };
  const init = payload === undefined ? { headers }
    : { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(payload) };
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("Cannot reach the Chancery server. Check that it is running, then try again.", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} without JSON.`, response.status);
  }
  if (!response.ok) throw new ApiError(body?.error?.message || `Error ${response.status}`, response.status);
  return body;
}

// -- navigation ---------------------------------------------------------------------

function go(next, { replace = false, resetPage = true } = {}) {
  if (resetPage) next.page = "";
  state = next;
  const url = urlFor(state);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

function toggleFilter(facet, value, on) {
  const next = clone(state);
  next.article = "";
  const values = next.filters[facet].filter((v) => v !== value);
  if (on) values.push(value);
  next.filters[facet] = values;
  go(next);
}

// -- rendering ----------------------------------------------------------------------

async function render() {
  $("q").value = state.q;
  $("sort").value = state.sort;
  $("from").value = state.from;
  $("to").value = state.to;
  $("group-events").checked = state.group === "events";
  for (const id of ["event-view", "meetings-view"]) $(id).hidden = true;
  if (state.event || state.meetings) {
    $("reader").hidden = true;
    $("results").hidden = true;
    await (state.event ? events.renderEvent(state.event) : events.renderMeetings(state.meetings));
  } else if (state.article) {
    await renderArticle();
  } else {
    $("reader").hidden = true;
    $("results").hidden = false;
    await renderSearch();
  }
}

async function renderSearch() {
  const mine = ++request;
  const main = $("results");
  main.setAttribute("aria-busy", "true");
  $("status").textContent = "Searching…";
  try {
    const params = toParams(state, { forApi: true });
    const data = params.toString().length > MAX_GET
      ? await api("/api/search", jsonParams(params))
      : await api(`/api/search?${params}`);
    if (mine !== request) return;

    renderResults(data);
    renderFacets(data);
    renderHistogram(data.facets.published);
    renderSelected(data.query.filters);
  } catch (error) {
    if (mine !== request) return;
    showError(error);
  } finally {
    if (mine === request) main.setAttribute("aria-busy", "false");
  }
}

// The same parameters as a JSON object; a repeated one becomes a list.
function jsonParams(params) {
  const body = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    body[name] = values.length > 1 ? values : values[0];
  }
  return body;
}

function showError(error) {
  $("status").textContent = "";
  clear($("result-list"));
  clear($("pagination"));
  const message = clear($("message"));
  message.hidden = false;
  message.setAttribute("role", "alert");
  message.append(el("p", { class: "error", text: error.message }));
  if (error.status === 0) message.append(el("button", { type: "button", text: "Try again", onclick: () => render() }));
}

function renderResults(data) {
  const list = clear($("result-list"));
  const message = clear($("message"));
  message.hidden = true;
  message.removeAttribute("role");
  const noun = (state.group === "events" ? "event" : "article") + (data.total === 1 ? "" : "s");
  $("status").textContent = `${data.total.toLocaleString("en")} ${noun} · ${data.took_ms} ms`;

  const suggestion = clear($("suggestion"));
  suggestion.hidden = !data.suggestion;
  if (data.suggestion) {
    const next = { ...clone(state), q: data.suggestion };
    suggestion.append("Did you mean ", el("a", { href: urlFor(next), text: data.suggestion,
      onclick: (event) => { event.preventDefault(); go(next); } }), "?");
  }

  if (!data.total) {
    message.hidden = false;
    if (!state.q && !hasFilters(state)) {
      message.append(el("p", { text: "The index is empty. Add articles with “chancery index PATH” or POST /api/articles." }));
    } else {
      message.append(el("p", { text: "No articles match." }));
      if (hasFilters(state)) {
        message.append(el("p", { text: "Try removing a filter:" }), selectedChips(data.query.filters));
      } else {
        message.append(el("p", { text: "Try fewer or different words." }));
      }
    }
  }

  for (const hit of data.results) list.append(resultItem(hit));
  renderPagination(data);
}

function entityChips(item, label) {
  const chips = el("ul", { class: "chips entity-chips", "aria-label": label });
  const groups = [["person", item.persons], ["country", item.countries], ["topic", item.topics]];
  for (const [facet, values] of groups) {
    for (const value of values) {
      const active = state.filters[facet].includes(value);
      chips.append(el("li", {}, el("button", {
        type: "button", class: `chip chip-${facet}`, "aria-pressed": active ? "true" : "false",
        "aria-label": `Filter by ${facet} ${value}`, text: value,
        onclick: () => toggleFilter(facet, value, !active),
      }), facet === "person" ? events.meetingsButton(value) : null));
    }
  }
  return chips;
}

function articleLink(hit, cls) {
  const next = { ...clone(state), article: hit.id };
  return el("a", { href: urlFor(next), class: cls, text: hit.title,
    onclick: (event) => { event.preventDefault(); go(next, { resetPage: false }); } });
}

function resultItem(hit) {
  return el("li", { class: "result" },
    el("h3", {}, articleLink(hit, "title")),
    el("p", { class: "meta" }, [hit.source || "Unknown source", " · ",
      el("time", { datetime: hit.published || "", text: formatDate(hit.published) })]),
    el("p", { class: "snippet" }, snippetNodes(hit.snippet)),
    hit.event ? events.eventLine(hit) : null,
    entityChips(hit, `Entities of ${hit.title}`));
}

function renderPagination(data) {
  const nav = clear($("pagination"));
  const perPage = data.query.per_page;
  const pages = Math.min(Math.ceil(data.total / perPage), Math.floor(10000 / perPage));
  const page = data.query.page;
  if (pages <= 1) return;
  const link = (number, text, label) => {
    const next = { ...clone(state), page: String(number) };
    return el("a", { href: urlFor(next), text, "aria-label": label,
      "aria-current": number === page ? "page" : null,
      onclick: (event) => { event.preventDefault(); go(next, { resetPage: false }); $("results").focus(); } });
  };
  if (page > 1) nav.append(link(page - 1, "‹ Previous", "Previous page"));
  const first = Math.max(1, page - 3);
  for (let n = first; n <= Math.min(pages, first + 6); n += 1) nav.append(link(n, String(n), `Page ${n}`));
  if (page < pages) nav.append(link(page + 1, "Next ›", "Next page"));
}

// -- facets -------------------------------------------------------------------------

function renderFacets(data) {
  const root = $("facet-panels");
  const openBefore = new Map([...root.querySelectorAll("details")].map((d) => [d.dataset.facet, d.open]));
  clear(root);
  for (const facet of FACETS) {
    root.append(facetPanel(facet, data.facets[facet], openBefore.get(facet) ?? true));
  }
}

function facetPanel(facet, buckets, open) {
  const expanded = state.more.includes(facet);
  const shown = expanded ? buckets : buckets.slice(0, SHOWN).concat(
    buckets.slice(SHOWN).filter((b) => b.selected));
  const titleId = `facet-${facet}-title`;
  const list = el("ul", { class: "facet-list", "aria-labelledby": titleId });
  for (const bucket of shown) list.append(facetOption(facet, bucket));
  if (!buckets.length) list.append(el("li", { class: "hint", text: "None in these results" }));

  const opGroup = el("div", { class: "op", role: "group", "aria-label": `Combine ${LABELS[facet]}` });
  for (const op of ["and", "or"]) {
    opGroup.append(el("button", {
      type: "button", class: "op-button", text: op.toUpperCase(),
      "aria-pressed": state.ops[facet] === op ? "true" : "false",
      title: op === "and" ? "Articles with all the ticked values" : "Articles with any ticked value",
      onclick: () => {
        const next = clone(state);
        next.ops[facet] = op;
        go(next);
      },
    }));
  }

  const filterId = `facet-${facet}-filter`;
  const matches = el("ul", { class: "facet-list facet-matches", "aria-label": `Matching ${LABELS[facet]}` });
  const search = el("input", {
    type: "search", id: filterId, class: "facet-filter", autocomplete: "off",
    placeholder: `Find ${LABELS[facet].toLowerCase()}…`,
  });
  search.addEventListener("input", debounce(async () => {
    const prefix = search.value.trim();
    clear(matches);
    if (!prefix) return;
    try {
      const found = await api(`/api/facets/${facet}?prefix=${encodeURIComponent(prefix)}&size=20`);
      for (const value of found.values) {
        matches.append(facetOption(facet, { ...value, selected: state.filters[facet].includes(value.value) }));
      }
      if (!found.values.length) matches.append(el("li", { class: "hint", text: "No match" }));
    } catch (error) {
      matches.append(el("li", { class: "error", text: error.message }));
    }
  }, 150));

  const more = buckets.length > SHOWN ? el("button", {
    type: "button", class: "link", text: expanded ? "Show fewer" : "Show more",
    "aria-expanded": expanded ? "true" : "false",
    onclick: () => {
      const next = clone(state);
      next.more = expanded ? next.more.filter((f) => f !== facet) : [...next.more, facet];
      go(next, { resetPage: false });
    },
  }) : null;

  const details = el("details", { class: "panel facet", "data-facet": facet },
    el("summary", {}, el("h2", { id: titleId, text: LABELS[facet] })),
    opGroup,
    el("label", { for: filterId, class: "visually-hidden", text: `Find ${LABELS[facet]}` }),
    search, matches, list, more);
  details.open = open;
  return details;
}

function facetOption(facet, bucket) {
  const id = `f-${facet}-${bucket.value}`.replace(/[^\w-]/g, "_");
  const input = el("input", { type: "checkbox", id, checked: bucket.selected,
    onchange: (event) => toggleFilter(facet, bucket.value, event.target.checked) });
  return el("li", {}, input, el("label", { for: id },
    el("span", { class: "value", text: bucket.label || bucket.value }),
    el("span", { class: "count", text: bucket.count.toLocaleString("en") })));
}

function selectedChips(filters) {
  const chips = el("ul", { class: "chips" });
  for (const facet of FACETS) {
    for (const value of filters[facet] || []) {
      chips.append(el("li", {}, el("button", {
        type: "button", class: `chip chip-${facet} removable`, "aria-label": `Remove filter ${facet} ${value}`,
        onclick: () => toggleFilter(facet, value, false),
      }, `${facet}: ${value}`, el("span", { "aria-hidden": "true", text: " ×" }))));
    }
  }
  for (const [name, label] of [["from", "from"], ["to", "to"]]) {
    if (state[name]) {
      chips.append(el("li", {}, el("button", {
        type: "button", class: "chip removable", "aria-label": `Remove date ${label} ${state[name]}`,
        onclick: () => { const next = clone(state); next[name] = ""; go(next); },
      }, `${label}: ${state[name]}`, el("span", { "aria-hidden": "true", text: " ×" }))));
    }
  }
  return chips;
}

function renderSelected(filters) {
  const any = hasFilters(state);
  $("selected").hidden = !any;
  const holder = clear($("selected-chips"));
  if (any) holder.replaceWith(Object.assign(selectedChips(filters), { id: "selected-chips" }));
}

// -- time ---------------------------------------------------------------------------

function monthRange(first, last) {
  const [y, m] = last.split("-").map(Number);
  const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return { from: `${first}-01`, to: end };
}

function renderHistogram(months) {
  const root = clear($("histogram"));
  $("histogram-hint").hidden = months.length === 0;
  if (!months.length) {
    root.append(el("p", { class: "hint", text: "No dated articles" }));
    return;
  }
  const peak = Math.max(...months.map((m) => m.count));
  let dragStart = null;
  const choose = (a, b) => {
    const [first, last] = [a, b].sort();
    const next = { ...clone(state), ...monthRange(first, last) };
    go(next);
  };
  for (const month of months) {
    const bar = el("button", {
      type: "button", class: "bar", "data-month": month.value,
      "aria-label": `${month.value}: ${month.count} articles`, title: `${month.value}: ${month.count}`,
    }, el("span", { class: "fill" }));
    bar.firstChild.style.height = `${Math.max(4, Math.round((month.count / peak) * 100))}%`;
    bar.addEventListener("pointerdown", (event) => {
      dragStart = month.value;
      bar.releasePointerCapture?.(event.pointerId);
    });
    bar.addEventListener("pointerenter", () => {
      if (dragStart) for (const b of root.children) {
        b.classList.toggle("dragging", inRange(b.dataset.month, dragStart, month.value));
      }
    });
    bar.addEventListener("pointerup", () => {
      if (dragStart) choose(dragStart, month.value);
      dragStart = null;
    });
    bar.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose(month.value, month.value);
      }
    });
    root.append(bar);
  }
  root.append(el("span", { class: "axis", text: `${months[0].value} – ${months[months.length - 1].value}` }));
}

function inRange(value, a, b) {
  const [low, high] = [a, b].sort();
  return value >= low && value <= high;
}

// -- reading ------------------------------------------------------------------------

async function renderArticle() {
  const reader = $("reader");
  $("results").hidden = true;
  reader.hidden = false;
  reader.setAttribute("aria-busy", "true");
  $("reader-title").textContent = "Loading…";
  clear($("reader-body"));
  clear($("similar-list"));
  clear($("reader-entities"));
  $("reader-meta").textContent = "";
  try {
    const [article, similar] = await Promise.all([
      api(`/api/articles/${encodeURIComponent(state.article)}?explain=true`),
      api(`/api/articles/${encodeURIComponent(state.article)}/similar?size=5`),
    ]);
    $("reader-title").textContent = article.title;
    $("reader-meta").textContent = `${article.source || "Unknown source"} · ${formatDate(article.published)}`;
    if (article.url) $("reader-meta").append(" · ", el("a", { href: article.url, rel: "noopener noreferrer", text: "original" }));
    $("reader-entities").append(entityChips(article, "Entities of this article"));
    if (article.explain) $("reader-entities").append(topicReasons(article.explain.topics));
    const spans = entitySpans(article.explain, "body");
    for (const [start, end] of paragraphs(article.body)) {
      $("reader-body").append(el("p", {}, markedText(article.body, start, end, spans)));
    }
    for (const hit of similar.results) {
      $("similar-list").append(el("li", {}, articleLink(hit, "title"),
        el("span", { class: "meta", text: ` · ${hit.source || "Unknown source"} · ${formatDate(hit.published)}` })));
    }
    if (!similar.results.length) $("similar-list").append(el("li", { class: "hint", text: "None found" }));
    document.title = `${article.title} — Chancery`;
  } catch (error) {
    $("reader-title").textContent = "This article could not be shown";
    $("reader-body").append(el("p", { class: "error", role: "alert", text: error.message }));
  } finally {
    reader.setAttribute("aria-busy", "false");
    reader.focus();
  }
}

// -- evidence: where each person and place stands, why each topic was given --------

// The non-overlapping person and country spans of one field, in text order.
function entitySpans(explain, field) {
  if (!explain) return [];
  const spans = [];
  for (const [facet, key] of [["person", "persons"], ["country", "countries"]]) {
    for (const [value, list] of Object.entries(explain[key])) {
      for (const span of list) if (span.field === field) spans.push({ ...span, facet, value });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept = [];
  for (const span of spans) if (!kept.length || span.start >= kept[kept.length - 1].end) kept.push(span);
  return kept;
}

// [start, end) of each paragraph: text between blank lines.
function paragraphs(text) {
  const out = [];
  let start = 0;
  for (const gap of text.matchAll(/\n{2,}/g)) {
    out.push([start, gap.index]);
    start = gap.index + gap[0].length;
  }
  out.push([start, text.length]);
  return out;
}

// Text nodes and <mark> elements for text[start, end); article text is only ever set as text.
function markedText(text, start, end, spans) {
  const nodes = [];
  let at = start;
  for (const span of spans) {
    if (span.end <= start || span.start >= end) continue;
    const from = Math.max(span.start, at);
    const to = Math.min(span.end, end);
    if (from > at) nodes.push(document.createTextNode(text.slice(at, from)));
    nodes.push(el("mark", { class: `entity entity-${span.facet}`, "data-value": span.value,
      title: `${LABELS[span.facet] || span.facet}: ${span.value} (${span.rule})`, text: text.slice(from, to) }));
    at = to;
  }
  if (at < end) nodes.push(document.createTextNode(text.slice(at, end)));
  return nodes;
}

function topicReasons(topics) {
  const list = el("ul", { class: "topic-reasons", "aria-label": "Why these topics" });
  for (const [slug, why] of Object.entries(topics)) {
    const cues = [...new Set(why.spans.map((span) => `${span.text} (${span.rule.split(":")[0]}, ${span.field})`))];
    const score = why.score === null ? "" : ` scored ${why.score} (needs ${why.threshold})`;
    list.append(el("li", { "data-topic": slug }, el("strong", { text: why.label }),
      `${score}: ${cues.join(", ") || "no evidence in the current rules"}`));
  }
  return list;
}

// -- events -------------------------------------------------------------------------

function bind() {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    go({ ...clone(state), q: $("q").value.trim(), article: "" });
  });
  $("sort").addEventListener("change", () => go({ ...clone(state), sort: $("sort").value }));
  for (const name of ["from", "to"]) {
    $(name).addEventListener("change", () => go({ ...clone(state), [name]: $(name).value, article: "" }));
  }
  $("clear-all").addEventListener("click", () => {
    const next = clone(state);
    for (const facet of FACETS) next.filters[facet] = [];
    next.from = "";
    next.to = "";
    go(next);
  });
  $("back").addEventListener("click", () => go({ ...clone(state), article: "" }, { resetPage: false }));
  $("group-events").addEventListener("change", () => go({ ...clone(state), group: $("group-events").checked ? "events" : "" }));
  for (const button of document.querySelectorAll(".back-to-results")) {
    button.addEventListener("click", () => go({ ...clone(state), event: "", meetings: "" }, { resetPage: false }));
  }
  $("home").addEventListener("click", (event) => {
    event.preventDefault();
    go(readState(""));
  });
  window.addEventListener("popstate", () => {
    state = readState();
    render();
  });
  document.addEventListener("pointerup", () => {
    for (const bar of document.querySelectorAll(".bar.dragging")) bar.classList.remove("dragging");
  });
}

events.setup({ api, go, articleLink, getState: () => state });
bind();
render();
