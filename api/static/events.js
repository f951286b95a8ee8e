// Events and meetings on the page: a result's event line, the event view with its
// timeline, and a person's meetings. State stays in the URL (group, event, meetings).
import { clear, el, formatDate } from "./dom.js";
import { urlFor } from "./state.js";

const $ = (id) => document.getElementById(id);
const SOURCES_SHOWN = 3;
let app = null;

// app: { api, go, articleLink, getState } from app.js.
export function setup(hooks) {
  app = hooks;
}

function state() {
  return JSON.parse(JSON.stringify(app.getState()));
}

function link(text, next, cls = "") {
  return el("a", { href: urlFor(next), class: cls, text,
    onclick: (event) => { event.preventDefault(); app.go(next, { resetPage: false }); } });
}

function openArticle(id, title) {
  return link(title, { ...state(), article: id, event: "", meetings: "" }, "title");
}

export function openEvent(id, text) {
  return link(text, { ...state(), event: id, meetings: "", article: "" }, "event-link");
}

function sourcesText(sources) {
  const shown = sources.slice(0, SOURCES_SHOWN).join(", ");
  return sources.length > SOURCES_SHOWN ? `${shown}, …` : shown;
}

// "4 reports: Financial Tribune, Xinhua, …" that expands into the event's articles.
export function eventLine(hit) {
  const event = hit.event;
  if (event.size < 2) return null;
  const list = el("ol", { class: "event-members" });
  const details = el("details", { class: "event-line" },
    el("summary", { text: `${event.size} reports${event.sources.length ? ": " + sourcesText(event.sources) : ""}` }),
    list,
    el("p", {}, openEvent(event.id, "Event timeline →")));
  details.addEventListener("toggle", async () => {
    if (!details.open || list.childElementCount) return;
    try {
      const found = await app.api(`/api/events/${encodeURIComponent(event.id)}`);
      for (const article of found.articles) list.append(memberItem(article));
    } catch (error) {
      list.append(el("li", { class: "error", text: error.message }));
    }
  });
  return details;
}

function memberItem(article) {
  return el("li", {}, el("time", { datetime: article.published || "", text: formatDate(article.published) }),
    " · ", article.source || "Unknown source", " · ", openArticle(article.id, article.title));
}

export function meetingsButton(person) {
  const next = { ...state(), meetings: person, event: "", article: "" };
  const button = link("met…", next, "meetings-link");
  button.setAttribute("aria-label", `Meetings of ${person}`);
  button.title = `Whom ${person} met`;
  return button;
}

async function show(viewId, titleId, load) {
  const view = $(viewId);
  view.hidden = false;
  view.setAttribute("aria-busy", "true");
  $(titleId).textContent = "Loading…";
  try {
    await load();
  } catch (error) {
    $(titleId).textContent = "This could not be shown";
    view.append(el("p", { class: "error", role: "alert", text: error.message }));
  } finally {
    view.setAttribute("aria-busy", "false");
    view.focus();
  }
}

export async function renderEvent(id) {
  const timeline = clear($("event-timeline"));
  clear($("event-entities"));
  await show("event-view", "event-title", async () => {
    const found = await app.api(`/api/events/${encodeURIComponent(id)}`);
    $("event-title").textContent = found.label;
    const span = found.dates[0] === found.dates[1] ? formatDate(found.dates[0])
      : `${formatDate(found.dates[0])} – ${formatDate(found.dates[1])}`;
    $("event-meta").textContent = `${found.size} reports · ${span} · ${found.sources.join(", ") || "unknown sources"}`;
    const people = el("ul", { class: "chips", "aria-label": "People of this event" });
    for (const person of found.persons.slice(0, 8)) people.append(el("li", {}, el("span", { class: "chip chip-person", text: person }), meetingsButton(person)));
    $("event-entities").append(people);
    for (const article of found.articles) timeline.append(memberItem(article));
    document.title = `${found.label} — Chancery`;
  });
}

export async function renderMeetings(person) {
  const list = clear($("meetings-list"));
  await show("meetings-view", "meetings-title", async () => {
    const params = new URLSearchParams({ person });
    const current = app.getState();
    // The whole archive within the page's dates: a meeting is about the person, not the query.
    for (const name of ["from", "to"]) if (current[name]) params.set(name, current[name]);
    const found = await app.api(`/api/meetings?${params}`);
    $("meetings-title").textContent = `Whom ${found.person} met`;
    $("meetings-meta").textContent = found.total ? `${found.total} counterparts` : "No meetings found in the articles.";
    for (const row of found.counterparts) {
      const span = row.first === row.last ? formatDate(row.first) : `${formatDate(row.first)} – ${formatDate(row.last)}`;
      const articles = el("ul", { class: "meeting-articles" });
      for (const article of row.articles) {
        articles.append(el("li", {}, el("time", { datetime: article.date || "", text: formatDate(article.date) }),
          article.place ? ` · ${article.place} · ` : " · ", openArticle(article.id, article.title)));
      }
      list.append(el("li", { class: "counterpart" },
        el("h3", {}, row.person),
        el("p", { class: "meta", text: `${row.count} ${row.count === 1 ? "report" : "reports"} · ${span}${row.places.length ? " · " + row.places.join(", ") : ""}` }),
        articles));
    }
    document.title = `Meetings of ${found.person} — Chancery`;
  });
}
