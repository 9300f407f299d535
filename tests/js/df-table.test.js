// Unit tests of the page-independent functions of df-table.js, with Node's
// own test runner (no packages): `node --test tests/js/`. Run by
// tests/test_js.py as part of the pytest suite.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const dfTable = require(path.join(
  __dirname, "..", "..", "src", "sphinx_df_table", "static", "df-table.js",
));
const {
  sortKey, compareKeys, sortOrder, queryWords, searchText, matches, cellGrid,
  tableSettings, shownSpan, frozenOffsets, distinctValues, rowMatches, parseColor, composite,
} = dfTable;

/* The values of `cells` ([data-sort or null, text]) in sorted order. */
function sorted(cells, ascending) {
  const keys = cells.map(([fact, text]) => sortKey(fact, text));
  return sortOrder(keys, ascending).map((i) => cells[i][1]);
}

test("exports only what needs no page", () => {
  assert.deepEqual(Object.keys(dfTable).sort(), [
    "cellGrid", "compareKeys", "composite", "distinctValues", "frozenOffsets", "matches",
    "parseColor", "queryWords", "rowMatches", "searchText", "shownSpan", "sortKey", "sortOrder",
    "tableSettings",
  ]);
});

test("numbers with data-sort sort by value, not by their text", () => {
  const cells = [
    ["10", "$10.00"], ["-2.5", "(2.50)"], ["9.75", "$9.75"], ["-10", "-10"],
    ["0.5", "50 %"], ["1e3", "1,000"], ["-0.25", "−0.25"],
  ];
  assert.deepEqual(sorted(cells, true),
    ["-10", "(2.50)", "−0.25", "50 %", "$9.75", "$10.00", "1,000"]);
  assert.deepEqual(sorted(cells, false),
    ["1,000", "$10.00", "$9.75", "50 %", "−0.25", "(2.50)", "-10"]);
});

test("decimals compare as numbers, not digit run by digit run", () => {
  const cells = [["1.5", "1.5"], ["1.25", "1.25"], ["0.09", "0.09"], ["0.1", "0.1"]];
  assert.deepEqual(sorted(cells, true), ["0.09", "0.1", "1.25", "1.5"]);
});

test("Infinity and -Infinity are the ends, and equal to themselves", () => {
  const cells = [
    ["Infinity", "inf"], ["1e308", "big"], ["-Infinity", "-inf"], ["0", "0"],
    ["Infinity", "inf 2"],
  ];
  assert.deepEqual(sorted(cells, true), ["-inf", "0", "big", "inf", "inf 2"]);
  assert.deepEqual(sorted(cells, false), ["inf", "inf 2", "big", "0", "-inf"]);
  // (=== rather than assert.equal, for which -0, a descending tie, is not 0)
  assert.ok(compareKeys(sortKey("Infinity", ""), sortKey("Infinity", ""), true) === 0);
  assert.ok(compareKeys(sortKey("-Infinity", ""), sortKey("-Infinity", ""), false) === 0);
});

test("missing values go last in both directions", () => {
  // An empty data-sort is missing, whatever the cell shows (an na-rep);
  // so is a text cell with no text, and an unparsable fact.
  const cells = [["", "n/a"], ["3", "3"], ["", ""], ["-1", "-1"], ["nan", "?"], ["2", "2"]];
  assert.deepEqual(sorted(cells, true), ["-1", "2", "3", "n/a", "", "?"]);
  assert.deepEqual(sorted(cells, false), ["3", "2", "-1", "n/a", "", "?"]);
  const missing = sortKey("", "n/a");
  assert.ok(compareKeys(missing, sortKey("-Infinity", ""), true) > 0);
  assert.ok(compareKeys(missing, sortKey("-Infinity", ""), false) > 0);
  assert.ok(compareKeys(sortKey(null, "a"), sortKey(null, ""), false) < 0);
});

test("text without data-sort sorts by locale collation, with numbers inside in order", () => {
  const cells = ["model-10", "model-2", "Zebra", "apple", "Émile", "banana", "model-1"]
    .map((text) => [null, text]);
  assert.deepEqual(sorted(cells, true),
    ["apple", "banana", "Émile", "model-1", "model-2", "model-10", "Zebra"]);
  assert.deepEqual(sorted(cells, false),
    ["Zebra", "model-10", "model-2", "model-1", "Émile", "banana", "apple"]);
});

test("a text cell that looks like a number is still text", () => {
  // Display text is never parsed: "$10.000" and "$2.000" are text here.
  const cells = [[null, "$10.000"], [null, "$2.000"], [null, "$1,234.5"]];
  assert.deepEqual(sorted(cells, true), ["$1,234.5", "$2.000", "$10.000"]);
  assert.equal(sortKey(null, "12").kind, sortKey(null, "abc").kind);
  assert.notEqual(sortKey("12", "12").kind, sortKey(null, "12").kind);
});

test("numbers come before text in a mixed column, missing still last", () => {
  const cells = [[null, "total"], ["5", "5"], ["", ""], ["-1", "-1"]];
  assert.deepEqual(sorted(cells, true), ["-1", "5", "total", ""]);
  assert.deepEqual(sorted(cells, false), ["total", "5", "-1", ""]);
});

test("ties keep the table's order in both directions", () => {
  const numbers = [["5", "a"], ["1", "b"], ["5", "c"], ["5.0", "d"], ["1", "e"]];
  assert.deepEqual(sorted(numbers, true), ["b", "e", "a", "c", "d"]);
  assert.deepEqual(sorted(numbers, false), ["a", "c", "d", "b", "e"]);
  // Case and accents alone make no order: a tie.
  const texts = [[null, "apple"], [null, "Apple"], [null, "APPLE"], [null, "äpple"]];
  assert.deepEqual(sorted(texts, true), ["apple", "Apple", "APPLE", "äpple"]);
  assert.deepEqual(sorted(texts, false), ["apple", "Apple", "APPLE", "äpple"]);
  const missing = [["", "x"], ["", "y"], ["1", "z"], ["", "w"]];
  assert.deepEqual(sorted(missing, false), ["z", "x", "y", "w"]);
});

test("sortOrder does not change the keys it is given", () => {
  const keys = [sortKey("2", ""), sortKey("1", "")];
  assert.deepEqual(sortOrder(keys, true), [1, 0]);
  assert.deepEqual(keys.map((k) => k.value), [2, 1]);
  assert.deepEqual(sortOrder([], true), []);
});

/* Rows of cells as the DOM gives them: only rowSpan and colSpan count. */
function rows(spec) {
  return spec.map((line) => ({
    cells: line.map(([name, rowSpan = 1, colSpan = 1]) => ({ name, rowSpan, colSpan })),
  }));
}

function names(grid) {
  return grid.map((line) => Array.from(line, (cell) => (cell ? cell.name : null)));
}

test("cellGrid without spans is the rows' cells", () => {
  assert.deepEqual(names(cellGrid(rows([[["a"], ["b"]], [["c"], ["d"]]]))),
    [["a", "b"], ["c", "d"]]);
});

test("cellGrid: a merged index cell covers the rows below it", () => {
  // 2024 spans two rows, 2023 three (cut at the last row: only two remain).
  const grid = cellGrid(rows([
    [["2024", 2], ["Q1"]],
    [["Q2"]],
    [["2023", 3], ["Q3"]],
    [["Q4"]],
  ]));
  assert.deepEqual(names(grid), [
    ["2024", "Q1"], ["2024", "Q2"], ["2023", "Q3"], ["2023", "Q4"],
  ]);
  assert.equal(grid[0][0], grid[1][0]); // the same cell, not a copy
});

test("cellGrid: column spans and row spans together", () => {
  const grid = cellGrid(rows([
    [["top", 1, 3]],
    [["left", 2, 1], ["x"], ["y"]],
    [["wide", 1, 2]],
  ]));
  assert.deepEqual(names(grid), [
    ["top", "top", "top"],
    ["left", "x", "y"],
    ["left", "wide", "wide"],
  ]);
});

test("cellGrid: a short row leaves holes, and a zero span counts as one", () => {
  const grid = cellGrid(rows([[["a"], ["b"], ["c"]], [["d", 0, 0]]]));
  assert.deepEqual(names(grid), [["a", "b", "c"], ["d"]]);
  assert.equal(grid[1][2], undefined);
});

test("filter: every word must be somewhere in the row, in any case", () => {
  const row = searchText(["BERT-base", "trn1.2xlarge", "$0.123"]);
  assert.equal(row, "bert-base\ntrn1.2xlarge\n$0.123");
  assert.ok(matches(row, queryWords("bert")));
  assert.ok(matches(row, queryWords("  Trn1.2XLARGE   bert ")));
  assert.ok(matches(row, queryWords("0.12")));
  assert.ok(!matches(row, queryWords("bert inf2")));
  assert.deepEqual(queryWords("  "), []);
  assert.ok(matches(row, queryWords(""))); // an empty query shows every row
});

test("filter: a word does not match across two cells", () => {
  const row = searchText(["ab", "cd"]);
  assert.ok(!matches(row, queryWords("bc")));
  assert.ok(matches(row, queryWords("b c")));
});

// -- wide tables: frozen, hidden and filtered columns ---------------------------

test("tableSettings reads the extension's classes, and nothing else", () => {
  assert.deepEqual(
    tableSettings("docutils align-default df-table df-table-interactive df-table-freeze-2 "
      + "df-table-freeze-first df-table-hide-9 df-table-hide-10 df-table-filter-3 wide"),
    { freeze: 2, hidden: [9, 10], filters: [3] },
  );
  assert.deepEqual(tableSettings("df-table df-table-hide-x df-table-freeze-"),
    { freeze: 0, hidden: [], filters: [] });
});

test("cellGrid: a span reader replaces colSpan (a narrowed cell keeps its columns)", () => {
  const table = rows([[["group", 1, 1], ["x"]], [["a"], ["b"], ["c"], ["d"]]]);
  table[0].cells[0].full = 3; // shown over 1 column, spans 3 in the full table
  assert.deepEqual(names(cellGrid(table, (c) => c.full || c.colSpan))[0],
    ["group", "group", "group", "x"]);
  assert.deepEqual(names(cellGrid(table))[0], ["group", "x"]);
});

test("shownSpan counts the columns of a span that are not hidden", () => {
  const hidden = [];
  hidden[1] = true;
  hidden[2] = true;
  assert.equal(shownSpan(0, 4, hidden), 2);
  assert.equal(shownSpan(1, 2, hidden), 0);
  assert.equal(shownSpan(3, 1, hidden), 1);
  assert.equal(shownSpan(0, 1, []), 1);
});

test("frozenOffsets: each frozen column sticks after the shown ones before it", () => {
  assert.deepEqual(frozenOffsets([100, 50, 30, 999], [], 3), [0, 100, 150]);
  // A hidden frozen column takes no room.
  assert.deepEqual(frozenOffsets([100, 50, 30], [false, true], 3), [0, 100, 100]);
  assert.deepEqual(frozenOffsets([100], [], 0), []);
  // Less each column's left border (collapsed borders: the table paints it).
  assert.deepEqual(frozenOffsets([100, 50, 30], [], 3, [1, 1, 0]), [-1, 99, 150]);
});

test("distinctValues: each non-empty text once, in the reader's order", () => {
  assert.deepEqual(
    distinctValues(["trn1.32xlarge", "trn1.2xlarge", "", "trn1.32xlarge", "inf2.xlarge"]),
    ["inf2.xlarge", "trn1.2xlarge", "trn1.32xlarge"],
  );
  assert.deepEqual(distinctValues(["model-10", "model-2", "toString"]),
    ["model-2", "model-10", "toString"]);
});

test("rowMatches: the filter box and every chosen value must match", () => {
  const texts = ["bert-base", "trn1.2xlarge", "PyTorch"];
  const search = searchText(texts);
  assert.ok(rowMatches(search, texts, [], {}));
  assert.ok(rowMatches(search, texts, ["bert"], { 1: "trn1.2xlarge", 2: "" }));
  assert.ok(!rowMatches(search, texts, ["bert"], { 1: "trn1.32xlarge" }));
  assert.ok(!rowMatches(search, texts, ["albert"], { 1: "trn1.2xlarge" }));
  // A chosen value is the whole cell, not a part of it.
  assert.ok(!rowMatches(search, texts, [], { 1: "trn1" }));
});

test("parseColor reads computed colours, and nothing it cannot", () => {
  assert.deepEqual(parseColor("rgb(255, 128, 0)"), [255, 128, 0, 1]);
  assert.deepEqual(parseColor("rgba(0, 0, 0, 0.5)"), [0, 0, 0, 0.5]);
  assert.deepEqual(parseColor("rgb(10 20 30 / 0.25)"), [10, 20, 30, 0.25]);
  assert.equal(parseColor("color(srgb 1 0 0)"), null);
  assert.equal(parseColor("transparent"), null);
});

test("composite: the opaque colour a frozen cell shows over its row and the page", () => {
  // A transparent cell in a transparent row on a white page is white.
  assert.equal(
    composite(["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"], "rgb(1, 2, 3)"),
    "rgb(255, 255, 255)",
  );
  // A translucent stripe over a dark page: the blend, not the page.
  assert.equal(
    composite(["rgba(0, 0, 0, 0)", "rgba(255, 255, 255, 0.5)", "rgb(0, 0, 0)"], "rgb(255, 255, 255)"),
    "rgb(128, 128, 128)",
  );
  // An opaque cell hides everything under it.
  assert.equal(composite(["rgb(1, 2, 3)", "rgb(9, 9, 9)"], "rgb(255, 255, 255)"), "rgb(1, 2, 3)");
  // Nothing opaque: the base.
  assert.equal(composite(["rgba(0, 0, 0, 0.2)"], "rgb(255, 255, 255)"), "rgb(204, 204, 204)");
  // A colour it cannot read is taken as it is, as the opaque bottom.
  assert.equal(composite(["rgba(0, 0, 0, 0)", "color(srgb 1 0 0)"], "rgb(255, 255, 255)"),
    "color(srgb 1 0 0)");
});
