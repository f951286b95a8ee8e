// The page's state lives in the URL: back, forward, reload and shared links all
// reproduce the view. API parameters pass through as they are.

export const FACETS = ["person", "country", "topic", "source"];
export const LABELS = { person: "People", country: "Countries", topic: "Topics", source: "Sources" };
// group=events shows results as events; event and meetings open those views (events.js).
const SINGLE = ["q", "from", "to", "sort", "page", "article", "group", "event", "meetings"];

export function readState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const state = { filters: {}, ops: {}, more: params.getAll("more") };
  for (const name of SINGLE) state[name] = params.get(name) || "";
  for (const facet of FACETS) {
    state.filters[facet] = params.getAll(facet);
    state.ops[facet] = params.get(`${facet}_op`) === "or" ? "or" : "and";
  }
  return state;
}

export function toParams(state, { forApi = false } = {}) {
  const params = new URLSearchParams();
  for (const name of ["q", "from", "to", "sort"]) if (state[name]) params.set(name, state[name]);
  for (const facet of FACETS) {
    for (const value of state.filters[facet] || []) params.append(facet, value);
    if (state.ops[facet] === "or") params.set(`${facet}_op`, "or");
  }
  if (state.page && state.page !== "1") params.set("page", state.page);
  if (state.group === "events" && forApi) {
    params.set("collapse", "event");
    params.set("count", "events");
  } else if (state.group === "events") {
    params.set("group", "events");
  }
  if (forApi) {
    // One value more than a panel shows, to know whether "Show more" has anything.
    params.set("facet_size", state.more.length ? "50" : "11");
  } else {
    for (const facet of state.more) params.append("more", facet);
    if (state.article) params.set("article", state.article);
    if (state.event) params.set("event", state.event);
    if (state.meetings) params.set("meetings", state.meetings);
  }
  return params;
}

export function urlFor(state) {
  const query = toParams(state).toString();
  return query ? `/?${query}` : "/";
}

export function clone(state) {
  return JSON.parse(JSON.stringify(state));
}

export function hasFilters(state) {
  return FACETS.some((f) => state.filters[f].length) || Boolean(state.from || state.to);
}
