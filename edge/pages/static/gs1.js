// What a scan is, decided on the device so a wrong scan is refused at once, without the server.
// Knows GS1 element strings (AIM ]C1/]d2/]Q3/]e0, FNC1 as GS, or "(01)..(10).." typed by hand),
// plain GTIN-8/12/13/14, SSCC-18 crate labels, the warehouse's location and sort station codes.
// The server reads scans with edge/domain/floor/codes.py; tests/floor_api/test_scan_parity.py
// holds the two to the same answer for every kind of scan.

const GS = "\x1d";
const AIM_GS1 = /^\](C1|d2|Q3|e0|J1)/;
const AIM_ANY = /^\][A-Za-z][0-9A-Za-z]/;
const LOCATION = /^[A-Z]\d{2}-\d{2}-\d$/;
const STATION = /^SORT-\d{1,3}$/;
const SLOT = /^SLOT-\d{1,3}$/;

// Fixed-length AIs by their first two digits (GS1 General Specifications, figure 5.10.1-2).
const FIXED = { "00": 18, "01": 14, "02": 14, "03": 14, "04": 16, "11": 6, "12": 6, "13": 6, "14": 6,
  "15": 6, "16": 6, "17": 6, "18": 6, "19": 6, "20": 2, "31": 6, "32": 6, "33": 6, "34": 6, "35": 6,
  "36": 6, "41": 13 };
// Variable-length AIs we read (and their maximum length); anything else is an error, not a guess.
const VARIABLE = { "10": 20, "21": 20, "22": 20, "30": 8, "37": 8, "240": 30, "241": 30, "400": 30,
  "401": 30, "402": 17, "403": 30, "420": 20, "90": 30, "91": 90, "92": 90, "93": 90 };

/** A code that cannot be read; `code` is the message key suffix (floor.reason.<code>). */
export class ScanError extends Error {
  constructor(reason, raw, code = "bad_gs1") { super(reason); this.reason = reason; this.raw = raw; this.code = code; }
}

/** GS1 mod-10 check over all digits but the last; true when the last digit matches. */
export function checkDigitOk(digits) {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i--, w = w === 3 ? 1 : 3) sum += Number(digits[i]) * w;
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

function aiLength(ai4) {
  const two = ai4.slice(0, 2);
  if (two === "31" || two === "32" || two === "33" || two === "34" || two === "35" || two === "36") return [4, 6];
  if (two === "41") return [3, 13];
  if (FIXED[two] !== undefined) return [2, FIXED[two]];
  for (const n of [2, 3]) if (VARIABLE[ai4.slice(0, n)] !== undefined) return [n, -VARIABLE[ai4.slice(0, n)]];
  return null;
}

/** Split an element string (no AIM prefix) into {ai: value}; throws ScanError naming the bad spot. */
export function parseElements(text) {
  const out = {};
  if (text.startsWith("(")) {
    text = text.replace(/\s+/g, ""); // typed by hand: spaces between the parts mean nothing
    const re = /\((\d{2,4})\)([^()]+)/g;
    let m, seen = 0;
    while ((m = re.exec(text)) !== null) { out[m[1]] = m[2]; seen += m[0].length; }
    if (seen !== text.length) throw new ScanError("bad bracketed GS1 text", text);
    return validate(out, text);
  }
  let i = 0;
  while (i < text.length) {
    if (text[i] === GS) { i++; continue; }
    const spec = aiLength(text.slice(i, i + 4));
    if (!spec) throw new ScanError(`unknown GS1 AI at position ${i}`, text);
    const [n, len] = spec;
    const ai = text.slice(i, i + n);
    i += n;
    let value;
    if (len > 0) {
      value = text.slice(i, i + len);
      if (value.length !== len) throw new ScanError(`AI (${ai}) needs ${len} characters`, text);
      i += len;
    } else {
      const end = text.indexOf(GS, i);
      value = text.slice(i, end < 0 ? text.length : end);
      if (value.length === 0 || value.length > -len) throw new ScanError(`AI (${ai}) length ${value.length}`, text);
      i += value.length;
    }
    if (ai in out) throw new ScanError(`AI (${ai}) appears twice`, text);
    out[ai] = value;
  }
  return validate(out, text);
}

function validate(ais, raw) {
  if ("37" in ais && (!/^\d+$/.test(ais["37"]) || Number(ais["37"]) === 0)) throw new ScanError("AI (37) is not a count", raw);
  for (const ai of ["00", "01", "02"]) {
    if (ai in ais && !checkDigitOk(ais[ai])) throw new ScanError(`AI (${ai}) check digit is wrong`, raw);
  }
  for (const ai of ["11", "13", "15", "17"]) {
    if (ai in ais) {
      const m = /^(\d\d)(\d\d)(\d\d)$/.exec(ais[ai]);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[3]) > 31) throw new ScanError(`AI (${ai}) is not a date`, raw);
    }
  }
  return ais;
}

/** Net weight in grams from AI 310n (kg with n decimals), or null. Integer grams, rounded half-even. */
export function weightGrams(ais) {
  const ai = Object.keys(ais).find((k) => k.length === 4 && k.startsWith("310"));
  if (!ai) return null;
  const decimals = Number(ai[3]);
  if (decimals > 5 || !/^\d{6}$/.test(ais[ai])) throw new ScanError(`AI (${ai}) is not a weight`, ais[ai]);
  const scaled = Number(ais[ai]) * 1000;
  const div = 10 ** decimals;
  const q = Math.floor(scaled / div), r = scaled - q * div;
  return 2 * r > div || (2 * r === div && q % 2 === 1) ? q + 1 : q;
}

/**
 * Classify one scan: {kind: "location", code} | {kind: "station", code} | {kind: "slot", code} |
 * {kind: "item", gtin, lot, grams, count} | {kind: "crate", sscc} | {kind: "text", text}.
 * Throws ScanError for an empty scan or a damaged GS1 code.
 */
export function classify(rawScan) {
  const raw = rawScan.replace(/^[\r\n\t ]+|[\r\n\t ]+$/g, "");
  if (!raw) throw new ScanError("empty scan", rawScan, "empty");
  if (raw.length > 512) throw new ScanError("scan too long", rawScan, "too_long");
  if (LOCATION.test(raw.toUpperCase())) return { kind: "location", code: raw.toUpperCase(), raw };
  if (STATION.test(raw.toUpperCase())) return { kind: "station", code: raw.toUpperCase(), raw };
  if (SLOT.test(raw.toUpperCase())) return { kind: "slot", code: raw.toUpperCase(), raw };
  // A bare SSCC (typed off a torn label): the server takes the 18 digits too.
  if (/^\d{18}$/.test(raw) && checkDigitOk(raw)) return { kind: "crate", sscc: raw, raw };
  let body = raw, gs1 = false;
  if (AIM_GS1.test(body)) { body = body.slice(3); gs1 = true; } else if (AIM_ANY.test(body)) body = body.slice(3);
  if (!gs1 && /^\d{8}$|^\d{12,14}$/.test(body)) {
    if (!checkDigitOk(body)) throw new ScanError("GTIN check digit is wrong", raw);
    return { kind: "item", gtin: body.padStart(14, "0"), lot: null, grams: null, count: null, raw };
  }
  if (gs1 || body.startsWith("(") || body.includes(GS) || /^0[012]/.test(body)) {
    const ais = parseElements(body);
    if ("00" in ais) return { kind: "crate", sscc: ais["00"], raw };
    const gtin = ais["01"] || ais["02"];
    if (gtin) {
      const count = "37" in ais ? Number(ais["37"]) : null;
      return { kind: "item", gtin, lot: ais["10"] ?? null, grams: weightGrams(ais), count, raw };
    }
    throw new ScanError("GS1 code without a GTIN or SSCC", raw);
  }
  return { kind: "text", text: raw, raw };
}
