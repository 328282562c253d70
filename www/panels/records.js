// The Records panel: the records of one collection as a table, one column
// per field. Text fields are edited together, keystroke by keystroke (each
// a splice); values are set on change; values written at once by several
// people are all shown, one kept by a click.
import { html, render, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { Directive, directive, PartType } from "lit-html/directive.js";
import { noChange } from "lit-html";
import { COLLECTION_INDEX } from "../state.js";
import { errorText, when, whyWords } from "../words.js";
import { diff, showText } from "../text.js";
import { readStoredJson, writeStored } from "../stored.js";
import { secondPress } from "../second-press.js";
import { mountPager, pagerButtons, say } from "../pager.js";
import { matches, valueText } from "../record-search.js";

const $ = (selector) => document.querySelector(selector);

/**
 * A directive for a `.value` binding that shows `text` with
 * `show(element, text)` instead of lit's plain assignment.
 */
const valueDirective = (name, show) =>
  directive(
    class extends Directive {
      constructor(part) {
        super(part);
        if (part.type !== PartType.PROPERTY) throw new Error(`${name} is for a .value binding`);
      }
      render(text) {
        return text;
      }
      update(part, [text]) {
        show(part.element, text);
        return noChange;
      }
    },
  );

/**
 * `.value=${liveText(text)}` on a <textarea>: shows the node's text around
 * the caret (showText) instead of replacing the value, which would move
 * the caret to the end under the person typing.
 */
const liveText = valueDirective("liveText", showText);

/**
 * `.value=${keptWhileTyped(text)}` on an <input> set on change: shows the
 * node's value, except while the person types in it (focused, and its
 * value not the one last shown). Before, another person's value arriving
 * replaced what was being typed, before it was ever set.
 */
const keptWhileTyped = valueDirective("keptWhileTyped", (input, text) => {
  const typing = input === document.activeElement && input.dataset.shown !== undefined && input.value !== input.dataset.shown;
  if (typing) return;
  if (input.value !== text) input.value = text;
  input.dataset.shown = text;
});

/**
 * Collection names seen on this device (the log keeps only their hashes),
 * per network (`info`, a NetworkInfo): an open network's by its name (the
 * key it always had), a private one's by its room (two may share a name).
 */
function collections(info) {
  const key = info.kind === "private" ? `trustfold-collections ${info.room}` : `trustfold-collections-${info.name}`;
  return {
    all: () => {
      const stored = readStoredJson(key, []);
      return new Set(["notes", ...(Array.isArray(stored) ? stored.filter((n) => typeof n === "string") : [])]);
    },
    add(name) {
      writeStored(key, JSON.stringify([...this.all().add(name)]));
    },
  };
}

/** Wires the panel's forms (static in index.html) to `app`; the open collection is `ui.collection`. */
export function mountRecords(app, ui, info) {
  ui.collections = collections(info);
  $("#collection-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    ui.collection = event.target.elements.collection.value.trim() || "notes";
    ui.collections.add(ui.collection);
    // Listed in the network's index of collections, so others find it.
    await app.guarded("#records-error", () => {
      if (!app.node.record(COLLECTION_INDEX, ui.collection)) app.node.createRecord(COLLECTION_INDEX, ui.collection);
    });
    app.refresh();
  });
  // A record under a deleted one's name is that one made empty again (in
  // place: what anyone still types into it lands there): asked once, then
  // made on a second press of the same.
  const mayRemake = secondPress();
  $("#record-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = event.target.elements.id.value.trim();
    const made = await app.guarded("#records-error", () => {
      // Said here: a blank name makes a row nobody can tell apart, and a
      // name in use would make nothing new.
      if (!id) throw new Error("A record needs a name: type one.");
      if (app.node.record(ui.collection, id)) throw new Error(`“${id}” is already in “${ui.collection}”.`);
      const deleted = app.node.deletedRecords(ui.collection).includes(id);
      if (!mayRemake(`${ui.collection}\u0000${id}`, deleted)) {
        throw new Error(`“${id}” was deleted: Restore it below to have it back as it was, or press Create again to start it over, empty (what it holds is cleared for everyone).`);
      }
      return deleted ? app.node.createRecordAgain(ui.collection, id) : app.node.createRecord(ui.collection, id);
    });
    if (made) {
      event.target.reset();
      ui.showRecord = id;
      // Shown even if it does not match what was being looked for.
      ui.recordsQuery = $("#records-search").value = "";
    }
    // The field form's record: the one made, or the one of that name
    // already there; not a name refused (blank, too long).
    if (made || app.node.record(ui.collection, id)) ui.chosenRecord = { collection: ui.collection, id };
    app.refresh();
  });
  // The save asked once over a field that held something else: asked
  // again (the same), it replaces it.
  const mayReplace = secondPress();
  $("#field-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const [id, field, value, kind] = [f.id.value.trim(), f.field.value.trim(), f.value.value, f.kind.value];
    const ok = await app.guarded("#records-error", () => {
      if (!app.node.record(ui.collection, id)) {
        // The record is typed (a collection can hold thousands): said here
        // which it is not, and what to do.
        const none = app.node.records(ui.collection).length === 0;
        if (none) throw new Error(`There is no record in “${ui.collection}” yet: make one above (its name, then Create), then set its fields here.`);
        if (!id) throw new Error("Which record? Type its name, or choose one of the list.");
        if (app.node.deletedRecords(ui.collection).includes(id)) throw new Error(`“${id}” was deleted: Restore it below first.`);
        throw new Error(`There is no record “${id}” in “${ui.collection}”: make it above (its name, then Create), or choose one of the list.`);
      }
      // What people wrote there is replaced for everyone: said first.
      const held = shownValue(app.node.record(ui.collection, id)?.fields?.[field]?.value);
      const asked = [ui.collection, id, field, value, kind].join("\u0000");
      if (!mayReplace(asked, held !== "" && held !== value)) {
        const cut = held.length > 40 ? `${held.slice(0, 40)}…` : held;
        throw new Error(`“${field}” of “${id}” holds “${cut}”: saving replaces it for everyone. Press Save again to replace it.`);
      }
      return kind === "text"
        ? app.node.setText(ui.collection, id, field, value)
        : app.node.setField(ui.collection, id, field, value);
    });
    if (ok) {
      f.field.value = "";
      f.value.value = "";
    }
  });
  $("#field-form").elements.id.addEventListener("change", (event) => (ui.chosenRecord = { collection: ui.collection, id: event.target.value.trim() }));
  $("#records-search").addEventListener("input", (event) => {
    ui.recordsQuery = event.target.value;
    ui.recordsPage = 0;
    app.refresh();
  });
  ui.recordsPage = 0;
  mountPager($("#records-prev"), $("#records-next"), (by) => {
    ui.recordsPage = Math.max(0, ui.recordsPage + by);
    app.refresh();
  });
}

/**
 * Records per page of the table: a collection can hold thousands, and
 * drawing 5,000 rows of inputs took ≈ 1 s of the page's thread.
 */
const RECORDS_PAGE = 50;

/**
 * The page of `drawn` to show (ui.recordsPage, by name order), of
 * `count` records (`drawn` may also hold a deleted one kept under its
 * typist, which is not one of them); the page of a record just made, once. The record being typed in stays drawn
 * where it was, first or last, if others arriving or leaving move it to
 * another page: its row stays under the person typing (a row moved in
 * the DOM loses the focus).
 */
function recordsPage(drawn, count, ui, query = "") {
  const pages = Math.max(1, Math.ceil(drawn.length / RECORDS_PAGE));
  if (ui.pageOf !== ui.collection) [ui.recordsPage, ui.pageOf] = [0, ui.collection];
  const made = ui.showRecord === undefined ? -1 : drawn.findIndex((r) => r.id === ui.showRecord);
  ui.showRecord = undefined;
  if (made >= 0) ui.recordsPage = Math.floor(made / RECORDS_PAGE);
  ui.recordsPage = Math.min(ui.recordsPage, pages - 1);
  pagerButtons($("#records-prev"), $("#records-next"), ui.recordsPage === 0, ui.recordsPage >= pages - 1);
  const from = ui.recordsPage * RECORDS_PAGE;
  let shown = drawn.slice(from, from + RECORDS_PAGE);
  say(
    $("#records-page"),
    query
      ? `${count} of ${ui.recordsTotal} records match “${query}”${pages > 1 ? `: ${from + 1}–${from + shown.length}, page ${ui.recordsPage + 1} of ${pages}` : ""}`
      : `records ${from + 1}–${from + shown.length} of ${count}, page ${ui.recordsPage + 1} of ${pages}`,
  );
  $("#records-pages").hidden = pages === 1 && !query;
  const focused = document.activeElement;
  const typing = $("#record-table").contains(focused) ? focused.dataset.record : undefined;
  const at = typing === undefined ? -1 : drawn.findIndex((r) => r.id === typing);
  if (at >= 0 && !shown.includes(drawn[at])) shown = at < from ? [drawn[at], ...shown] : [...shown, drawn[at]];
  return shown;
}

/**
 * The records to page through: those matching the search (`ui.recordsQuery`,
 * the open collection's), the one typed in, and a deleted one kept under its
 * typist. The search box shows once there is more than a page of records.
 */
function found(drawn, count, ui) {
  const box = $("#records-search");
  if (ui.queryOf !== ui.collection) [ui.recordsQuery, box.value, ui.queryOf] = ["", "", ui.collection];
  const query = (ui.recordsQuery ?? "").trim();
  $("#records-find").hidden = count <= RECORDS_PAGE && !query;
  ui.recordsTotal = count;
  if (!query) return { list: drawn, count, query };
  const words = query.toLowerCase().split(/\s+/);
  const focused = document.activeElement;
  const typing = $("#record-table").contains(focused) ? focused.dataset.record : undefined;
  let hits = 0;
  const list = drawn.filter((r) => {
    const hit = !r.kept && matches(r, words);
    if (hit) hits++;
    // The row typed in stays, matching or not: a row gone takes the focus.
    return hit || r.kept || r.id === typing;
  });
  return { list, count: hits, query };
}

/**
 * Brings the text field being typed in up to date with the node now, not
 * at the next frame: a keystroke before then would be diffed against text
 * the node no longer has. Called on every change the node announces.
 */
export function syncFocusedText(app, ui) {
  const area = document.activeElement;
  if (area?.tagName !== "TEXTAREA" || !$("#record-table").contains(area)) return;
  const text = app.node.record(ui.collection, area.dataset.record)?.fields[area.dataset.field]?.value?.text;
  if (typeof text === "string") showText(area, text);
}

const isText = (v) => v !== null && typeof v === "object" && "text" in v;

/**
 * The records to draw: those shown, and the one whose field is being typed
 * in if someone deleted it meanwhile, as last drawn (`kept`), until that
 * field loses focus. A delete keeps what is typed into the record; before,
 * its row vanished under the person typing and the next keystrokes went
 * nowhere.
 */
function withKept(s, ui) {
  const focused = document.activeElement;
  const id = $("#record-table").contains(focused) ? focused.dataset.record : undefined;
  const last = id !== undefined && (s.deleted ?? []).includes(id) ? ui.drawn?.get(id) : undefined;
  let records = s.records;
  if (last && !records.some((r) => r.id === id)) {
    // Where it was among the others: a row moved would lose the focus.
    const after = records.findIndex((r) => r.id > id);
    const at = after < 0 ? records.length : after;
    records = [...records.slice(0, at), { ...last, kept: true }, ...records.slice(at)];
  }
  ui.drawn = new Map(records.map((r) => [r.id, r]));
  return records;
}

/** Draws the panel from the snapshot `s` (read with `records: ui.collection`). */
export function renderRecords(s, ui, app) {
  const drawn = withKept(s, ui);
  const records = s.records;
  const known = [...new Set([...ui.collections.all(), ...(s.collectionNames ?? [])])].sort();
  render(
    known.map((c) => html`<option value=${c}></option>`),
    $("#collections"),
  );
  render(
    html`Collections here: ${known.map(
      (c) => html`<button type="button" class="quiet" aria-pressed=${String(c === ui.collection)} @click=${() => {
        ui.collection = c;
        $("#collection-form").elements.collection.value = c;
        app.refresh();
      }}>${c}</button> `,
    )}`,
    $("#collection-list"),
  );
  const { list, count, query } = found(drawn, records.length, ui);
  const shown = recordsPage(list, count, ui, query);
  chooseRecord(s, shown, ui);
  const fields = [...new Set(shown.flatMap((r) => Object.keys(r.fields)))].sort();
  // A record's History and Delete beside its name: last, they sat out of
  // sight on a phone, past a table scrolled sideways (a newcomer's session).
  render(
    ["Record", "", ...fields].map((name) => html`<th>${name}</th>`),
    $("#record-table").tHead.rows[0],
  );
  const row = (record) => html`<tr data-record=${record.id} class=${record.kept ? "kept-deleted" : ""}>
    <th scope="row">${record.id}</th>
    <td class="record-actions">${record.kept ? html`<span class="muted">deleted</span>` : html`<button type="button" class="quiet" aria-label="History of ${record.id}" aria-expanded=${String(ui.historyOf === record.id)}
      @click=${() => {
        ui.historyOf = ui.historyOf === record.id ? null : record.id;
        app.refresh();
      }}>History</button>
    <button type="button" class="quiet" aria-label="Delete ${record.id}"
      @click=${() => deleteWithUndo(record, ui, app)}>Delete</button>`}</td>
    ${fields.map((name) => fieldCell(record, name, Object.hasOwn(record.fields, name) ? record.fields[name] : null, ui, app))}
  </tr>`;
  const deleted = s.deleted ?? [];
  render(
    shown.length
      ? repeat(shown, (r) => r.id, row)
      : html`<tr><td class="muted">${query
          ? `No record in “${ui.collection}” matches “${query}”.`
          : deleted.length
          ? `No records in “${ui.collection}” now: the deleted ones are below.`
          : `No records in “${ui.collection}” yet.`}</td></tr>`,
    $("#record-table").tBodies[0],
  );
  renderDeleted(deleted, drawn.find((r) => r.kept)?.id, ui, app);
  renderHistory(s, ui, app);
}

/**
 * The field form's record: typed, with the records of the page shown
 * suggested (a list of every record — 5,000 `<option>`s — took ≈ 100 ms to
 * draw and as long to lay out). The one chosen (made last, or typed) stays
 * while others arrive; if it is deleted, the first record takes its place,
 * not a blank. What the person is typing is never replaced.
 */
function chooseRecord(s, shown, ui) {
  render(
    repeat(shown, (r) => r.id, (r) => html`<option value=${r.id}></option>`),
    $("#record-names"),
  );
  const chooser = $("#field-form").elements.id;
  if (document.activeElement === chooser) return;
  const deleted = s.deleted ?? [];
  const chosen = ui.chosenRecord?.collection === ui.collection ? ui.chosenRecord.id : null;
  if (chosen !== null && !deleted.includes(chosen)) {
    chooser.value = chosen;
  } else {
    chooser.value = s.records[0]?.id ?? "";
  }
}

/** Deleted records shown at most, with a Restore button each. */
const DELETED_SHOWN = 20;

/**
 * The deleted records of the open collection, each with Restore: anyone
 * may bring one back, as it is now (what was typed into it after the
 * delete too), after a reload as well. The one being typed into when
 * someone deleted it is said so (`kept`: its field still has the focus).
 */
function renderDeleted(deleted, kept, ui, app) {
  // Undo is offered while the record stays deleted: someone may have
  // restored it (or made another) meanwhile.
  if (ui.undoFor?.collection === ui.collection && !deleted.includes(ui.undoFor.id)) {
    $("#records-undo").hidden = true;
    ui.undoFor = null;
  }
  const box = $("#records-deleted");
  box.hidden = deleted.length === 0;
  const editing = deleted.includes(ui.editing) ? ui.editing : null;
  const shown = deleted.slice(0, DELETED_SHOWN);
  const restore = (id) =>
    app.guarded("#records-error", () => {
      app.node.restoreRecord(ui.collection, id);
      if (ui.editing === id) ui.editing = null;
    });
  render(
    html`${kept
        ? html`<strong>“${kept}”, which you are typing in, was deleted: what you type is kept in it, and Restore shows it again.</strong><br>`
        : editing
          ? html`<strong>“${editing}”, which you were editing, was deleted: what you had typed until then is kept in it.</strong><br>`
          : nothing}Deleted: ${shown.map(
        (id) => html`<span class="deleted-record">“${id}” <button type="button" class="quiet" aria-label="Restore ${id}"
          @click=${() => restore(id)}>Restore</button></span> `,
      )}${deleted.length > shown.length ? `and ${deleted.length - shown.length} more.` : ""}`,
    box,
  );
}

/** What excluding an edit does, on its button (a tooltip, and read by screen readers). */
const EXCLUDE_EDIT_HELP =
  "Leave this edit out of your view, with a reason others can read: the record shows what it held without it, for you and for everyone who trusts you.";

/**
 * The history of the record `ui.historyOf`: who changed it, when, which
 * fields, and why an edit does not count; an edit someone else made can
 * be excluded (with a reason), and my exclusion retracted.
 */
function renderHistory(s, ui, app) {
  const id = ui.historyOf;
  const box = $("#record-history");
  box.hidden = !id;
  if (!id) return render(nothing, box);
  const edits = s.history ?? [];
  const refresh = () => app.refresh();
  const askReason = (e) => {
    const submit = async (event) => {
      event.preventDefault();
      const reason = event.target.elements.reason.value.trim();
      if (await app.guarded("#records-error", () => app.node.exclude(e.event, reason))) {
        ui.excludingEdit = null;
        refresh();
      }
    };
    return html`<form class="ask" @submit=${submit}>
      <label>Reason to exclude <input name="reason" placeholder="why you exclude it" size="30" required></label>
      <button>Publish exclusion</button>
      <button type="button" class="quiet" @click=${() => ((ui.excludingEdit = null), refresh())}>Cancel</button>
    </form>`;
  };
  const line = ({ edit: e, times, since }) => {
    const what = [
      e.made ? "made the record" : null,
      e.deleted ? "deleted the record" : null,
      e.restored ? "brought the record back" : null,
      e.fields.length ? `${e.made ? "set" : "changed"} ${e.fields.join(", ")}` : null,
    ]
      .filter(Boolean)
      .join(" and ");
    const myExclusions = e.why?.kind === "excluded" ? e.why.by.filter((st) => st.author === s.me) : [];
    const at = times > 1 && when(since) !== when(e.time) ? `${when(since)}–${when(e.time)}` : when(e.time);
    return html`<li class=${e.counted ? "" : "not-counted"}>${at} — ${s.who(e.author)} ${what}${times > 1 ? ` (${times} times)` : ""}${
      e.counted ? "" : html` <span class="reason why">(does not count in your view: ${whyWords(e.why, s.who)})</span>`
    }
      ${e.counted && e.author !== s.me && ui.excludingEdit !== e.event
        ? html`<button type="button" class="quiet" title=${EXCLUDE_EDIT_HELP}
            @click=${() => ((ui.excludingEdit = e.event), refresh())}>Exclude…</button>`
        : nothing}
      ${myExclusions.map(
        (st) => html`<button type="button" class="quiet" title="Take back your exclusion: the edit counts again."
          @click=${() => app.guarded("#records-error", () => app.node.retract(st.statement))}>Retract</button>`,
      )}
      ${ui.excludingEdit === e.event ? askReason(e) : nothing}</li>`;
  };
  render(
    html`<h3>History of “${id}”</h3>
      <ol>${edits.length ? runs(edits, s.me).map(line) : html`<li class="muted">No edits yet.</li>`}</ol>
      <button type="button" class="quiet" @click=${() => {
        ui.historyOf = null;
        app.refresh();
      }}>Close</button>`,
    box,
  );
}

/** Own edits in a row closer than this are one line of the history. */
const RUN_MS = 15 * 60 * 1000;

/**
 * A record's edits as the history lists them: my own counted edits of the
 * same fields in a row (typing a sentence commits several times) are one
 * line, "(5 times)"; anyone else's stay one line each, each with its own
 * Exclude.
 */
function runs(edits, me) {
  const out = [];
  for (const e of edits) {
    const last = out.at(-1);
    const same = (a) =>
      a.author === me && a.counted && !a.made && !a.deleted && !a.restored && a.fields.join() === e.fields.join();
    if (last && same(last.edit) && same(e) && e.time - last.edit.time <= RUN_MS) {
      out[out.length - 1] = { edit: e, times: last.times + 1, since: last.since };
    } else {
      out.push({ edit: e, times: 1, since: e.time });
    }
  }
  return out;
}

/**
 * Deletes a record for everyone — after asking, since it is shared — and
 * offers to undo: the record comes back as it is then — with what others
 * typed into it meanwhile, which a delete keeps.
 */
async function deleteWithUndo(record, ui, app) {
  const collection = ui.collection;
  if (!window.confirm(`Delete “${record.id}” for everyone in this network? You can undo it right after.`)) return;
  const ok = await app.guarded("#records-error", () => app.node.deleteRecord(collection, record.id));
  if (!ok) return;
  if (ui.editing === record.id) ui.editing = null; // deleted here, not under my typing
  ui.undoFor = { collection, id: record.id }; // the notice goes once it is back, by whoever
  const notice = $("#records-undo");
  render(
    html`Deleted “${record.id}”.
      <button type="button" @click=${async () => {
        const restored = await app.guarded("#records-error", () => app.node.restoreRecord(collection, record.id));
        if (restored) {
          notice.hidden = true;
          ui.undoFor = null;
        }
      }}>Undo</button>`,
    notice,
  );
  notice.hidden = false;
}

/** The editor of one field of one record: live text, or a value set on change. */
function fieldCell(record, name, field, ui, app) {
  if (!field) return html`<td class="muted">—</td>`;
  const { collection } = ui;
  const value = field.value;
  const splice = (event) => {
    const area = event.target;
    const change = diff(area.dataset.shown, area.value);
    try {
      app.node.spliceText(collection, record.id, name, change.index, change.deleteCount, change.insert);
      area.dataset.shown = area.value;
      ui.editing = record.id; // said if someone deletes it meanwhile
    } catch (e) {
      $("#records-error").textContent = errorText(e);
    }
  };
  const set = (event) =>
    app.guarded("#records-error", () => app.node.setField(collection, record.id, name, event.target.value));
  // A deleted record's row kept under the person typing: what its box
  // holds is theirs (the node no longer reads the record out), and it
  // goes once they leave the box.
  const gone = record.kept ? () => app.refresh() : undefined;
  const editor = isText(value)
    ? html`<textarea aria-label="${record.id}: ${name}" data-record=${record.id} data-field=${name}
        .value=${record.kept ? noChange : liveText(value.text)} @input=${splice} @blur=${gone}></textarea>`
    : html`<input aria-label="${record.id}: ${name}" data-record=${record.id} data-field=${name}
        .value=${record.kept ? noChange : keptWhileTyped(valueText(value))} @change=${set} @blur=${gone}>`;
  const keep = (v) => () =>
    app.guarded("#records-error", () =>
      isText(v) ? app.node.setText(collection, record.id, name, v.text) : app.node.setField(collection, record.id, name, v),
    );
  // Values written at once by several people: all shown with whose each is,
  // one kept by a click.
  const writers = app.snapshot?.writers?.get(`${record.id}\u0000${name}`) ?? [];
  const whose = (v) => {
    const w = writers.find((x) => valueText(x.value) === valueText(v));
    return w ? ` (${app.snapshot?.who(w.author) ?? w.author.slice(0, 8)})` : "";
  };
  const versions = field.conflicts.length && !record.kept
    ? html`<div class="conflict">${field.conflicts.length + 1} versions, written without seeing each other:
        ${[value, ...field.conflicts].map(
          (v) =>
            html`<button type="button" class="quiet keep" @click=${keep(v)}>keep “${valueText(v).slice(0, 40)}”${whose(v)}</button>`,
        )}</div>`
    : nothing;
  return html`<td>${editor}${versions}</td>`;
}

/** A field's value as typed text ("" when it holds nothing). */
function shownValue(v) {
  if (v === undefined || v === null) return "";
  if (typeof v === "object") return v.text ?? v.unsupported ?? "";
  return String(v);
}
