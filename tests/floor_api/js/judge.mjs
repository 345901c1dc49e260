// Judge scans with the pick page's own rules: reads {cases: [{tour, action, raw, keyed}]} as JSON
// on stdin, writes one {code, params, added, capped, stop} per case as JSON on stdout.
import { register } from "node:module";

register("./static-hooks.mjs", import.meta.url);
const { applyScan, judgeDrop } = await import("/static/pick-rules.js");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const answers = JSON.parse(input).cases.map(({ tour, action, raw, keyed }) => {
  const copy = structuredClone(tour);
  const r = action === "drop" ? judgeDrop(copy, raw) : applyScan(copy, raw, keyed);
  const stop = copy.stops.find((s) => s.stop_no === r.stop_no);
  return { code: r.code, params: r.params ?? {}, added: r.added ?? 0, capped: !!r.capped,
    stop: stop ? { picked_qty: stop.picked_qty, status: stop.status, at_location: stop.at_location } : null };
});
process.stdout.write(JSON.stringify(answers));
