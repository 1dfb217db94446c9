import test from "ava";
import { AgeBoundedMap } from "../server/store/age-bounded-map.js";

test("an age-bounded map forgets entries past their age, drops the oldest past its size, and a sweep frees what nobody asked for", (t) => {
  let now = 0;
  const map = new AgeBoundedMap<string>({ maxEntries: 2, maxAgeMs: 100 }, () => now);
  map.set("a", "1");
  now = 50;
  map.set("b", "2");
  t.is(map.get("a"), "1");
  now = 120;
  t.is(map.get("a"), undefined, "past its age");
  t.is(map.get("b"), "2");
  map.sweep();
  t.is(map.size, 1, "the sweep dropped the old entry without anyone asking for it");
  map.set("c", "3");
  map.set("d", "4");
  t.is(map.size, 2);
  t.is(map.get("b"), undefined, "the oldest went out first");
  map.deleteWhere((key) => key === "c");
  t.is(map.get("c"), undefined);
  t.is(map.get("d"), "4");
});
