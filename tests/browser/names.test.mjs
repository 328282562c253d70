// How the page tells people apart (www/names.js), without a browser: names
// that look alike (another script's letters, accents, I for l) are told
// apart by their keys as equal names are, paying by one of them is never
// guessed, and a nickname may not pass one person off as another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lookalike, naming } from "../../www/names.js";

const [me, carol, fake, dave, eve] = ["a", "c", "d", "e", "f"].map((c) => c.repeat(64));

test("names drawn alike look alike: another script's letters, accents, I and l", () => {
  assert.equal(lookalike("Сarol"), lookalike("Carol"), "a Cyrillic С");
  assert.equal(lookalike("Αlice"), lookalike("alice"), "a Greek Α");
  assert.equal(lookalike("AIice"), lookalike("Alice"), "a capital I for an l");
  assert.equal(lookalike("José "), lookalike("jose"));
  assert.equal(lookalike("B0b"), lookalike("Bob"));
  assert.notEqual(lookalike("Carl"), lookalike("Carol"));
});

test("a lookalike name is told apart by its key, and paying by it is not guessed", () => {
  const names = new Map([[carol, "Carol"], [fake, "Сarol"], [dave, "Dave"]]);
  const { who, keyFrom } = naming(me, names);
  assert.equal(who(carol), "Carol (cccccc)");
  assert.equal(who(fake), "Сarol (dddddd)");
  assert.throws(() => keyFrom("Carol"), (e) => e.code === "AMBIGUOUS_NAME" && /Carol \(cccccc\), Сarol \(dddddd\)/.test(e.message));
  assert.equal(keyFrom("Carol (cccccc)"), carol);
  assert.equal(keyFrom("dave"), dave);
  // The "(cccccc)" form still names Carol once nobody else looks like her.
  const { who: whoNow, keyFrom: keyFromNow } = naming(me, new Map([[carol, "Carol"], [dave, "Dave"]]));
  assert.equal(whoNow(carol), "Carol");
  assert.equal(keyFromNow("Carol (cccccc)"), carol);
  assert.throws(() => keyFromNow("Carol (dddddd)"), (e) => e.code === "UNKNOWN_PERSON");
});

test("a nickname may not look like someone else's name or nickname; a name like my nickname is told apart", () => {
  const names = new Map([[carol, "Carol"], [dave, "Dave"], [eve, "Boss"]]);
  const petnames = new Map([[dave, "Boss"], [carol, "Cee"]]);
  const { who, keyFrom, nicknameClash } = naming(me, names, petnames);
  assert.match(nicknameClash(dave, "carol"), /“carol” is what Carol \(cccccccc…\) calls themselves/);
  assert.match(nicknameClash(dave, "Сarol"), /calls themselves/, "nor by another script's letters");
  assert.match(nicknameClash(carol, "Boss"), /“Boss” is what Boss \(ffffffff…\) calls themselves/);
  assert.match(nicknameClash(dave, "cee"), /already your nickname for cccccccc…/);
  assert.match(nicknameClash(carol, "You"), /“you” is you/);
  assert.equal(nicknameClash(dave, "Carol the baker"), null);
  assert.equal(nicknameClash(carol, "Carol"), null, "a person's own name as my nickname for them");
  assert.equal(nicknameClash(carol, "Cee"), null, "the nickname I gave them");
  assert.match(nicknameClash(dave, "Boss"), /calls themselves/, "given before Eve took the name: not again");
  assert.equal(nicknameClash(dave, "  "), null, "removing it");
  // Eve calls herself what I call Dave: she is shown with her key.
  assert.equal(who(dave), "Boss");
  assert.equal(who(eve), "Boss (ffffff)");
  assert.throws(() => keyFrom("Boss"), (e) => e.code === "AMBIGUOUS_NAME", "Eve took my nickname for Dave: asked which");
  assert.equal(keyFrom("cee"), carol, "my nickname is what I pay by");
});

test("a name one or two letters off a known one is said, never paid; an uppercase key is a key", () => {
  const { keyFrom } = naming(me, new Map([[carol, "Carol"], [dave, "Dave"]]));
  assert.throws(() => keyFrom("Carl"), (e) => e.code === "UNKNOWN_PERSON" && /Did you mean “Carol”\?/.test(e.message));
  assert.throws(() => keyFrom("Zed"), (e) => e.code === "UNKNOWN_PERSON" && !/Did you mean/.test(e.message));
  assert.equal(keyFrom("C".repeat(64)), carol);
});

test("a name or nickname ending in a key's start in brackets is refused: it would pass for another person's tag", async () => {
  const { unfairName, fairName } = await import("../../www/names.js");
  for (const name of ["Carol (261d73)", "Carol(261D73)", "Carol ( 261d73 )"]) {
    assert.match(unfairName(name), /how the page tells two people of one name apart/, name);
  }
  assert.equal(fairName("Flat (12)"), true, "a short number in brackets is a name");
  assert.match(unfairName("Bo\u200Bb"), /invisible characters/);
  assert.match(unfairName("you"), /how the page names you/);
  // A claim of that form (a client other than this page) is not read as a name at all.
  const { namesFrom } = await import("../../www/names.js");
  const claims = [{ author: carol, record: { fields: { name: { value: "Carol (261d73)" } } } }];
  assert.equal(namesFrom(claims).size, 0);
  const { nicknameClash } = naming(me, new Map([[carol, "Carol"]]));
  assert.match(nicknameClash(dave, "Carol (cccccc)"), /cannot be a nickname/);
});

test("my nickname that someone else has since taken as their name asks which one is meant", () => {
  const names = new Map([[carol, "Bobby"], [dave, "Dave"]]);
  const { keyFrom, who } = naming(me, names, new Map([[dave, "Bobby"]]));
  assert.throws(() => keyFrom("Bobby"), (e) => e.code === "AMBIGUOUS_NAME" && /your nickname for eeeeeeee…, and Bobby \(cccccc\) now calls themselves that/.test(e.message));
  assert.equal(keyFrom("Bobby (cccccc)"), carol);
  assert.equal(who(carol), "Bobby (cccccc)");
});
