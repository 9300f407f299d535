/* sphinx-df-table: interactive tables. No dependencies.
 *
 * Enhances every <table class="df-table-interactive"> on the page:
 *
 * - a filter box: body rows that do not contain every word typed are hidden;
 * - a sort button in each column header. Sorting uses the facts the HTML
 *   writer puts on the cells, never the text shown: a cell with `data-sort`
 *   sorts by `parseFloat` of it (numbers, dates as epoch seconds, booleans;
 *   `Infinity`/`-Infinity` too), an empty `data-sort` is a missing value; a
 *   cell without it sorts as text, by `Intl.Collator` (the reader's locale,
 *   numbers inside the text in numeric order). Missing values and empty text
 *   cells come last in both directions; equal keys keep the table's original
 *   order. A second click reverses; the header cell carries aria-sort;
 * - the `div.df-table-container` that the extension puts around every
 *   df-table becomes the table's scroll region (a labelled region, a tab stop
 *   while it scrolls), and a header stays in view while the page scrolls;
 * - wide tables (output/wide_tables.py decides, and says so in the table's
 *   classes): frozen leading columns (`position: sticky` at offsets measured
 *   here, on an opaque copy of the colours they show); a column picker (a
 *   disclosure button and a group of check boxes) that hides and shows
 *   columns, some hidden at first; a select of the values of each filter
 *   column, combined with the filter box and counted in the row count.
 *
 * Sticky header: `position: sticky` on a header inside a horizontally
 * scrolling (`overflow-x: auto`) container sticks to that container, not to
 * the page, so it would never stick while the page scrolls. Instead, a copy of
 * the header (aria-hidden; its buttons forward clicks) is shown with
 * `position: fixed` at the top of the window while the real header is above
 * it and the table is still in view. It is placed over the container, takes
 * the column widths of the real table and follows its horizontal scroll. Its
 * top is below any fixed or sticky bar of the theme found at the top of the
 * window, or the CSS length `--df-table-sticky-top` when that is set.
 *
 * Everything works on the DOM rows whether or not the table is visible, so a
 * table in a hidden tab (sphinx-design tab-sets) sorts and filters like any
 * other; each table keeps its own state. Without this script the table is an
 * ordinary table.
 *
 * The functions that need no page (sort keys and their order, the cell grid,
 * filter matching, column offsets, colours) are also exported when the file is loaded as a CommonJS
 * module, which is how tests/js/ runs them under Node without a browser.
 */
(function () {
  "use strict";

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  /* Kinds of sort key, in ascending order: numbers before text (a column
     mixing both, e.g. an index whose values are not all numbers), and missing
     values after both in either direction. */
  var NUMBER = 0;
  var TEXT = 1;
  var MISSING = 2;

  /* The sort key of a body cell from its `data-sort` attribute (`fact`: null
     when the cell has none) and its whitespace-collapsed text. */
  function sortKey(fact, text) {
    if (fact === null || fact === undefined) {
      return text === "" ? { kind: MISSING, value: null } : { kind: TEXT, value: text };
    }
    var value = parseFloat(fact);
    return isNaN(value) ? { kind: MISSING, value: null } : { kind: NUMBER, value: value };
  }

  /* Order of two sort keys: negative when `a` goes first. Missing values go
     last whatever the direction; 0 for keys that are equal (so are two
     missing values). */
  function compareKeys(a, b, ascending) {
    if ((a.kind === MISSING) !== (b.kind === MISSING)) {
      return a.kind === MISSING ? 1 : -1;
    }
    var order = a.kind - b.kind;
    if (order === 0 && a.kind === NUMBER) {
      // Not a subtraction: Infinity - Infinity is NaN.
      order = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    } else if (order === 0 && a.kind === TEXT) {
      order = collator.compare(a.value, b.value);
    }
    return ascending ? order : -order;
  }

  /* The positions of `keys` in sorted order; equal keys keep their order. */
  function sortOrder(keys, ascending) {
    var positions = keys.map(function (key, index) {
      return index;
    });
    positions.sort(function (i, j) {
      return compareKeys(keys[i], keys[j], ascending) || i - j;
    });
    return positions;
  }

  /* The words of a filter query, in lower case ("" has none). */
  function queryWords(query) {
    return query.toLowerCase().split(/\s+/).filter(Boolean);
  }

  /* The text a filter searches in a row: its cells' texts, in lower case. */
  function searchText(texts) {
    return texts.join("\n").toLowerCase();
  }

  /* Whether a row (its searchText) contains every word of `words` (from
     queryWords), each anywhere in it. */
  function matches(search, words) {
    return words.every(function (word) {
      return search.indexOf(word) !== -1;
    });
  }

  /* The cells of some rows as a grid: grid[r][c] is the cell covering row r,
     column c (undefined where a row is short). `rows` are table rows, or any
     objects with `cells` that have `rowSpan` and `colSpan`; a row span is cut
     at the last row. `spanOf(cell)`, when given, is a cell's column span
     instead of its `colSpan` (which hiding columns changes). */
  function cellGrid(rows, spanOf) {
    var grid = [];
    var r, c, i, dr, dc;
    for (r = 0; r < rows.length; r++) {
      grid[r] = grid[r] || [];
    }
    for (r = 0; r < rows.length; r++) {
      c = 0;
      for (i = 0; i < rows[r].cells.length; i++) {
        var cell = rows[r].cells[i];
        while (grid[r][c]) {
          c++;
        }
        var rowSpan = Math.min(Math.max(cell.rowSpan, 1), rows.length - r);
        var colSpan = Math.max(spanOf ? spanOf(cell) : cell.colSpan, 1);
        for (dr = 0; dr < rowSpan; dr++) {
          for (dc = 0; dc < colSpan; dc++) {
            grid[r + dr][c + dc] = cell;
          }
        }
        c += colSpan;
      }
    }
    return grid;
  }

  /* What the extension decided for a table, from its classes (see
     output/wide_tables.py): how many leading columns to freeze, the columns
     hidden at first and the columns that get a select of their values
     (column numbers from 0). */
  function tableSettings(className) {
    var settings = { freeze: 0, hidden: [], filters: [] };
    className.split(/\s+/).forEach(function (name) {
      var match = /^df-table-(freeze|hide|filter)-(\d+)$/.exec(name);
      if (!match) {
        return;
      }
      var number = Number(match[2]);
      if (match[1] === "freeze") {
        settings.freeze = number;
      } else {
        settings[match[1] === "hide" ? "hidden" : "filters"].push(number);
      }
    });
    return settings;
  }

  /* How many of the `span` columns from `start` on are shown (`hidden[c]`
     is true for a hidden column). */
  function shownSpan(start, span, hidden) {
    var shown = 0;
    for (var c = start; c < start + span; c++) {
      if (!hidden[c]) {
        shown++;
      }
    }
    return shown;
  }

  /* Where each of the first `freeze` columns in a table whose columns are
     `widths` wide sticks: after the shown columns before it, less its cells'
     left border `insets[c]` (optional). With collapsed borders the table,
     not the cell, paints that border, where the table has scrolled to: a
     sticky cell's border strip would show the cells scrolling under it, so
     it sticks out of the box, or under the frozen cell before it. (Not
     scrolled, a sticky cell stays where it is: the border is painted.) */
  function frozenOffsets(widths, hidden, freeze, insets) {
    var offsets = [];
    var left = 0;
    for (var c = 0; c < freeze; c++) {
      offsets.push(left - ((insets && insets[c]) || 0));
      if (!hidden[c]) {
        left += widths[c] || 0;
      }
    }
    return offsets;
  }

  /* The different non-empty texts of `texts`, in the reader's order. */
  function distinctValues(texts) {
    var seen = {};
    var values = [];
    texts.forEach(function (text) {
      if (text !== "" && !Object.prototype.hasOwnProperty.call(seen, text)) {
        seen[text] = true;
        values.push(text);
      }
    });
    return values.sort(collator.compare);
  }

  /* Whether a row is shown: its searchText has every word of `words`, and
     its text in each column of `choices` (column -> text; "" for any) is
     the one chosen. */
  function rowMatches(search, texts, words, choices) {
    for (var column in choices) {
      if (choices[column] !== "" && texts[column] !== choices[column]) {
        return false;
      }
    }
    return matches(search, words);
  }

  /* A computed colour, "rgb(r, g, b)" or "rgba(r, g, b, a)", as [r, g, b, a];
     null for any other form (then it is taken as opaque and as it is). */
  function parseColor(text) {
    var match = /^rgba?\(([^)]*)\)$/.exec(text.trim());
    if (!match) {
      return null;
    }
    var parts = match[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    if (parts.length < 3 || parts.some(isNaN)) {
      return null;
    }
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  }

  /* The opaque colour that `layers` (computed colours, the top one first)
     show over `base` (the page's background when no layer is opaque): what
     a frozen cell must paint so that the cells scrolling under it do not
     show through, yet it looks like its row. */
  function composite(layers, base) {
    var stack = [];
    for (var i = 0; i < layers.length; i++) {
      var color = parseColor(layers[i]);
      if (color === null) {
        base = layers[i];
        break;
      }
      if (color[3] > 0) {
        stack.push(color);
      }
      if (color[3] >= 1) {
        break;
      }
    }
    if (stack.length && stack[stack.length - 1][3] >= 1) {
      base = "rgb(" + stack.pop().slice(0, 3).join(", ") + ")";
    }
    var under = parseColor(base);
    if (under === null) {
      return base;
    }
    var rgb = under.slice(0, 3);
    for (var j = stack.length - 1; j >= 0; j--) {
      var alpha = stack[j][3];
      for (var k = 0; k < 3; k++) {
        rgb[k] = Math.round(stack[j][k] * alpha + rgb[k] * (1 - alpha));
      }
    }
    return "rgb(" + rgb.join(", ") + ")";
  }

  if (typeof window === "undefined" && typeof module === "object" && module.exports) {
    // Loaded by Node (tests/js/): the functions above, and nothing that needs a page.
    module.exports = {
      sortKey: sortKey,
      compareKeys: compareKeys,
      sortOrder: sortOrder,
      queryWords: queryWords,
      searchText: searchText,
      matches: matches,
      cellGrid: cellGrid,
      tableSettings: tableSettings,
      shownSpan: shownSpan,
      frozenOffsets: frozenOffsets,
      distinctValues: distinctValues,
      rowMatches: rowMatches,
      parseColor: parseColor,
      composite: composite,
    };
    return;
  }

  var READY = "dfTableReady";
  var tables = [];

  /* Give each row its own copy of cells merged across rows (an index shown
     with merged cells), so that rows can be sorted and hidden one by one. */
  function unmerge(body) {
    var rows = Array.prototype.slice.call(body.rows);
    var merged = body.querySelectorAll("td[rowspan], th[rowspan]");
    if (!Array.prototype.some.call(merged, function (cell) { return cell.rowSpan > 1; })) {
      return;
    }
    var grid = cellGrid(rows);
    rows.forEach(function (row, r) {
      var line = grid[r];
      for (var c = 0; c < line.length; c++) {
        var cell = line[c];
        if (!cell || cell.parentNode === row || line[c - 1] === cell) {
          continue;
        }
        var copy = cell.cloneNode(true);
        copy.removeAttribute("id");
        copy.rowSpan = 1;
        var next = null;
        for (var k = c + 1; k < line.length && !next; k++) {
          if (line[k] && line[k].parentNode === row) {
            next = line[k];
          }
        }
        row.insertBefore(copy, next);
      }
    });
    Array.prototype.forEach.call(merged, function (cell) {
      cell.rowSpan = 1;
    });
  }

  function create(tag, className, text) {
    var element = document.createElement(tag);
    if (className) {
      element.className = className;
    }
    if (text) {
      element.textContent = text;
    }
    return element;
  }

  function hasInteractive(cell) {
    return cell.querySelector("a, button, input, select, textarea, details, [tabindex]") !== null;
  }

  /* A sort button for a header cell: the cell's content moves into it, unless
     the cell holds links or other controls; then the button follows them. */
  function addSortButton(state, cell, column) {
    var button = create("button", "df-table-sort");
    button.type = "button";
    button.setAttribute("data-column", String(column));
    var label = cell.textContent.replace(/\s+/g, " ").trim();
    if (hasInteractive(cell)) {
      button.setAttribute("aria-label", "Sort by " + (label || "column " + (column + 1)));
    } else {
      var content = create("span", "df-table-sort-label");
      var paragraphs = cell.querySelectorAll("p");
      var source = paragraphs.length === 1 && cell.children.length === 1 ? paragraphs[0] : cell;
      while (source.firstChild) {
        content.appendChild(source.firstChild);
      }
      if (source !== cell) {
        cell.removeChild(source);
      }
      button.appendChild(content);
    }
    var indicator = create("span", "df-table-sort-indicator");
    indicator.setAttribute("aria-hidden", "true");
    button.appendChild(indicator);
    cell.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = !(state.sortColumn === column && state.ascending);
      sortBy(state, column, ascending);
    });
    state.headers[column] = cell;
  }

  /* Rows as data, once the merged cells are split (on first use): for each
     body row its cells by column (from the grid), their texts and its
     searchText. */
  function rowData(state) {
    if (state.rows) {
      return state.rows;
    }
    var body = state.table.tBodies[0];
    unmerge(body);
    if (state.settings.freeze || state.hidden.some(Boolean)) {
      markColumns(state); // the copies of merged cells are new cells
      paintFrozen(state);
    }
    var rows = Array.prototype.slice.call(body.rows);
    var grid = cellGrid(rows);
    state.rows = rows.map(function (row, index) {
      var texts = grid[index].map(function (cell) {
        return cell ? cell.textContent.replace(/\s+/g, " ").trim() : "";
      });
      return { row: row, cells: grid[index], texts: texts, search: searchText(texts) };
    });
    return state.rows;
  }

  function sortBy(state, column, ascending) {
    var rows = rowData(state);
    var keys = rows.map(function (item) {
      var cell = item.cells[column];
      return sortKey(cell ? cell.getAttribute("data-sort") : null, item.texts[column] || "");
    });
    var fragment = document.createDocumentFragment();
    sortOrder(keys, ascending).forEach(function (position) {
      fragment.appendChild(rows[position].row);
    });
    state.table.tBodies[0].appendChild(fragment);
    state.sortColumn = column;
    state.ascending = ascending;
    state.headers.forEach(function (cell, index) {
      if (index === column) {
        cell.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      } else if (cell) {
        cell.removeAttribute("aria-sort");
      }
    });
    restripe(state);
    refreshFloat(state);
  }

  /* Show the rows that match the filter box and every column's select. */
  function filter(state) {
    var words = queryWords(state.query);
    var shown = 0;
    rowData(state).forEach(function (item) {
      var match = rowMatches(item.search, item.texts, words, state.choices);
      item.row.hidden = !match;
      if (match) {
        shown++;
      }
    });
    showCount(state, shown);
    restripe(state);
    state.widthsStale = true;
    state.offsetsStale = true;
    schedule();
  }

  function showCount(state, shown) {
    var total = state.table.tBodies[0].rows.length;
    var noun = total === 1 ? " row" : " rows";
    state.count.textContent = shown === total ? total + noun : shown + " of " + total + noun;
  }

  /* Docutils numbers all rows (header first) for its row-odd/row-even classes;
     keep the stripes alternating over the rows that are shown. */
  function restripe(state) {
    if (!state.striped) {
      return;
    }
    var number = state.table.tHead ? state.table.tHead.rows.length : 0;
    Array.prototype.forEach.call(state.table.tBodies[0].rows, function (row) {
      if (!row.hidden) {
        number++;
        row.classList.toggle("row-odd", number % 2 === 1);
        row.classList.toggle("row-even", number % 2 === 0);
      }
    });
    paintFrozen(state);
  }

  /* ---- frozen, hidden and filtered columns ---- */

  /* A cell's column span in the full table (hiding columns narrows it). */
  function fullSpan(cell) {
    return Number(cell.getAttribute("data-df-table-span")) || cell.colSpan;
  }

  function tableRows(table) {
    var rows = table.tHead ? Array.prototype.slice.call(table.tHead.rows) : [];
    return table.tBodies[0] ? rows.concat(Array.prototype.slice.call(table.tBodies[0].rows)) : rows;
  }

  /* Hide the cells of hidden columns (a cell spanning shown ones too is
     narrowed) and mark the cells of the frozen columns, which stick at the
     offset `--df-table-left-<column>` that placeFrozen measures. */
  function markColumns(state) {
    var rows = tableRows(state.table);
    var grid = cellGrid(rows, fullSpan);
    var freeze = state.settings.freeze;
    var edge = -1; // the last frozen column shown
    for (var f = 0; f < freeze; f++) {
      if (!state.hidden[f]) {
        edge = f;
      }
    }
    rows.forEach(function (row, r) {
      var line = grid[r];
      for (var c = 0; c < line.length; c++) {
        var cell = line[c];
        if (!cell || cell.parentNode !== row || line[c - 1] === cell) {
          continue; // not a cell of this row, or not its first column
        }
        var span = fullSpan(cell);
        var shown = shownSpan(c, span, state.hidden);
        cell.classList.toggle("df-table-column-hidden", shown === 0);
        if (span > 1 && shown > 0) {
          cell.setAttribute("data-df-table-span", String(span));
          cell.colSpan = shown;
        }
        var frozen = shown > 0 && c + span <= freeze;
        cell.classList.toggle("df-table-frozen", frozen);
        cell.classList.toggle("df-table-frozen-edge", frozen && c + span - 1 >= edge);
        cell.style.left = frozen ? "var(--df-table-left-" + c + ")" : "";
        if (!frozen) {
          unpaint(cell);
        }
      }
    });
  }

  var backgrounds = {};

  /* Undo paintFrozen on `cell`: give back the background colour of its own
     inline style (a pandas Styler's colour), which painting replaced. */
  function unpaint(cell) {
    if (cell.hasAttribute("data-df-table-painted")) {
      cell.style.backgroundColor = cell.getAttribute("data-df-table-painted");
      cell.removeAttribute("data-df-table-painted");
    }
  }

  /* Give each frozen cell the opaque colour it shows (its own, its row's and
     the page's backgrounds composited): cells scroll under it. */
  function paintFrozen(state) {
    var cells = state.table.querySelectorAll(".df-table-frozen");
    if (!cells.length) {
      return;
    }
    Array.prototype.forEach.call(cells, unpaint);
    var colors = Array.prototype.map.call(cells, function (cell) {
      // A Styler's inline colour makes the cell unlike others of its class.
      var key = cell.tagName + " " + cell.className + "|" + cell.parentNode.className +
        "|" + cell.style.backgroundColor;
      if (!(key in backgrounds)) {
        var layers = [];
        for (var node = cell; node && node.nodeType === 1; node = node.parentNode) {
          layers.push(getComputedStyle(node).backgroundColor);
        }
        backgrounds[key] = composite(layers, "rgb(255, 255, 255)");
      }
      return backgrounds[key];
    });
    Array.prototype.forEach.call(cells, function (cell, index) {
      cell.setAttribute("data-df-table-painted", cell.style.backgroundColor);
      cell.style.backgroundColor = colors[index];
    });
  }

  /* Where each frozen column sticks: after the shown frozen columns before
     it. Columns that would take most of a narrow box are not frozen. */
  function placeFrozen(state) {
    state.offsetsStale = false;
    var freeze = state.settings.freeze;
    if (!freeze || !state.table.tHead || state.container.clientWidth === 0) {
      return;
    }
    var insets = [];
    var widths = columnWidths(state, insets);
    var offsets = frozenOffsets(widths, state.hidden, freeze);
    var total = offsets[freeze - 1] + (state.hidden[freeze - 1] ? 0 : widths[freeze - 1] || 0);
    offsets = frozenOffsets(widths, state.hidden, freeze, insets);
    var tooWide = total > state.container.clientWidth * 0.6;
    [state.table, state.floatTable].forEach(function (table) {
      table.classList.toggle("df-table-unfrozen", tooWide);
      offsets.forEach(function (offset, column) {
        table.style.setProperty("--df-table-left-" + column, offset + "px");
      });
    });
  }

  /* Each column's name: its header labels, top to bottom, joined by " / "
     (as output/wide_tables.py names them). */
  function columnNames(state) {
    var rows = state.table.tHead ? Array.prototype.slice.call(state.table.tHead.rows) : [];
    var grid = cellGrid(rows, fullSpan);
    var names = [];
    for (var c = 0; c < state.columns; c++) {
      var parts = [];
      grid.forEach(function (line) {
        var text = line[c] ? line[c].textContent.replace(/\s+/g, " ").trim() : "";
        if (text && parts[parts.length - 1] !== text) {
          parts.push(text);
        }
      });
      names.push(parts.join(" / ") || "Column " + (c + 1));
    }
    return names;
  }

  /* Show or hide columns; `changes` maps column numbers to true (hide) or false. */
  function setHidden(state, changes) {
    Object.keys(changes).forEach(function (column) {
      state.hidden[column] = changes[column];
    });
    markColumns(state);
    paintFrozen(state);
    var count = state.hidden.filter(Boolean).length;
    if (state.pickerButton) {
      state.pickerButton.textContent = count ? "Columns (" + count + " hidden)" : "Columns";
      var boxes = state.pickerMenu.querySelectorAll("input");
      Array.prototype.forEach.call(boxes, function (box) {
        box.checked = !state.hidden[box.getAttribute("data-column")];
        // The last column shown cannot be hidden.
        box.disabled = box.checked && count === state.columns - 1;
      });
    }
    state.offsetsStale = true;
    refreshFloat(state);
  }

  var menus = 0;

  /* The column picker: a button that shows a group of check boxes, one per
     column, with the column's name (a disclosure: Escape closes it). */
  function addPicker(state, toolbar) {
    var picker = create("div", "df-table-picker");
    var button = create("button", "df-table-picker-button", "Columns");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    var menu = create("div", "df-table-picker-menu");
    menu.id = "df-table-columns-" + ++menus;
    menu.setAttribute("role", "group");
    menu.setAttribute("aria-label", "Columns shown");
    menu.hidden = true;
    button.setAttribute("aria-controls", menu.id);
    columnNames(state).forEach(function (name, column) {
      var label = create("label");
      var box = create("input");
      box.type = "checkbox";
      box.setAttribute("data-column", String(column));
      box.addEventListener("change", function () {
        var change = {};
        change[column] = !box.checked;
        setHidden(state, change);
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + name));
      menu.appendChild(label);
    });
    function toggle(open) {
      menu.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      menu.style.left = "";
      if (open) {
        // On a narrow window, move the menu left until it fits.
        var room = document.documentElement.clientWidth - 8 - menu.getBoundingClientRect().right;
        if (room < 0) {
          menu.style.left = Math.max(room, 8 - picker.getBoundingClientRect().left) + "px";
        }
      }
    }
    button.addEventListener("click", function () {
      toggle(menu.hidden);
    });
    picker.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !menu.hidden) {
        toggle(false);
        button.focus();
      }
    });
    picker.addEventListener("focusout", function (event) {
      if (!picker.contains(event.relatedTarget) && event.relatedTarget !== null) {
        toggle(false);
      }
    });
    document.addEventListener("click", function (event) {
      if (!picker.contains(event.target)) {
        toggle(false);
      }
    });
    picker.appendChild(button);
    picker.appendChild(menu);
    toolbar.appendChild(picker);
    state.pickerButton = button;
    state.pickerMenu = menu;
  }

  /* A select of each filter column's values, above the table. */
  function addSelects(state, toolbar) {
    var rows = Array.prototype.slice.call(state.table.tBodies[0].rows);
    var grid = cellGrid(rows, fullSpan);
    var names = columnNames(state);
    state.settings.filters.forEach(function (column) {
      if (column >= state.columns) {
        return;
      }
      var texts = grid.map(function (line) {
        return line[column] ? line[column].textContent.replace(/\s+/g, " ").trim() : "";
      });
      var label = create("label", "df-table-choice");
      label.appendChild(create("span", "df-table-choice-label", names[column]));
      var select = create("select");
      var any = create("option", "", "All");
      any.value = "";
      select.appendChild(any);
      distinctValues(texts).forEach(function (text) {
        var option = create("option", "", text);
        option.value = text;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        state.choices[column] = select.value;
        filter(state);
      });
      label.appendChild(select);
      toolbar.appendChild(label);
    });
  }

  /* ---- the floating header ---- */

  function refreshFloat(state) {
    var head = state.table.tHead;
    if (!head) {
      return;
    }
    var table = state.floatTable;
    while (table.firstChild) {
      table.removeChild(table.firstChild);
    }
    table.appendChild(create("colgroup"));
    var copy = head.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (element) {
      element.removeAttribute("id");
    });
    Array.prototype.forEach.call(copy.querySelectorAll("a, button, input, [tabindex]"), function (element) {
      element.setAttribute("tabindex", "-1");
    });
    table.appendChild(copy);
    state.widthsStale = true;
    schedule();
  }

  /* Each column's width in the real table, from a cell that spans only that
     column: in the header (bottom row first), or else in the first row shown;
     0 for a hidden column. Columns are counted as in the full table. With
     `insets`, also put that cell's left border width in it, per column. */
  function columnWidths(state, insets) {
    var lines = cellGrid(Array.prototype.slice.call(state.table.tHead.rows), fullSpan).reverse();
    var columns = lines.reduce(function (most, line) {
      return Math.max(most, line.length);
    }, 0);
    var widths = [];
    var bodyLine = null;
    for (var c = 0; c < columns; c++) {
      if (state.hidden[c]) {
        widths[c] = 0;
        continue;
      }
      for (var r = 0; r <= lines.length && widths[c] === undefined; r++) {
        if (r === lines.length && !bodyLine) {
          bodyLine = firstShownLine(state);
        }
        var cell = r < lines.length ? lines[r][c] : bodyLine[c];
        if (cell && fullSpan(cell) === 1) {
          widths[c] = cell.getBoundingClientRect().width;
          if (insets) {
            insets[c] = cell.clientLeft;
          }
        }
      }
    }
    return widths;
  }

  function firstShownLine(state) {
    var rows = state.table.tBodies[0] ? Array.prototype.slice.call(state.table.tBodies[0].rows) : [];
    var grid = cellGrid(rows, fullSpan);
    for (var i = 0; i < rows.length; i++) {
      if (!rows[i].hidden) {
        return grid[i];
      }
    }
    return [];
  }

  function syncWidths(state) {
    var widths = columnWidths(state);
    var colgroup = state.floatTable.firstChild;
    while (colgroup.firstChild) {
      colgroup.removeChild(colgroup.firstChild);
    }
    widths.forEach(function (width, column) {
      if (state.hidden[column]) {
        return; // its cells are not displayed: no column in the copy
      }
      var col = create("col");
      if (width !== undefined) {
        col.style.width = width + "px";
      }
      colgroup.appendChild(col);
    });
    var tableRect = state.table.getBoundingClientRect();
    var boxRect = state.container.getBoundingClientRect();
    state.floatTable.style.width = tableRect.width + "px";
    // Where the table starts in the scrolled content (a centred table does not start at 0).
    state.floatTable.style.marginLeft =
      tableRect.left - boxRect.left - state.container.clientLeft + state.container.scrollLeft + "px";
    state.floatBox.style.background = backgroundOf(state.container);
    state.widthsStale = false;
  }

  /* The first opaque background behind an element (the header copy must hide
     the rows scrolling under it). */
  function backgroundOf(element) {
    for (var node = element; node && node.nodeType === 1; node = node.parentNode) {
      var color = getComputedStyle(node).backgroundColor;
      if (color && color !== "transparent" && !/rgba\(.*,\s*0\)$/.test(color)) {
        return color;
      }
    }
    return "Canvas";
  }

  var probe = null;

  /* Where the header copy goes: below the theme's fixed or sticky top bar. */
  function stickyTop(x) {
    var root = document.documentElement;
    if (getComputedStyle(root).getPropertyValue("--df-table-sticky-top").trim()) {
      if (!probe) {
        probe = create("div", "df-table-sticky-probe");
        document.body.appendChild(probe);
      }
      return probe.getBoundingClientRect().height;
    }
    var top = 0;
    var hits = document.elementsFromPoint(Math.min(Math.max(x, 0), root.clientWidth - 1), 1);
    hits.forEach(function (element) {
      if (element.closest(".df-table-sticky, .df-table-container")) {
        return; // a header copy, or a table's frozen cells: not the theme's
      }
      var position = getComputedStyle(element).position;
      if (position === "fixed" || position === "sticky") {
        var rect = element.getBoundingClientRect();
        if (rect.top <= 1 && rect.bottom > top && rect.height < window.innerHeight / 3) {
          top = rect.bottom;
        }
      }
    });
    return top;
  }

  function hideFloat(state) {
    if (!state.floatBox.hidden) {
      state.floatBox.hidden = true;
    }
  }

  function placeFloat(state) {
    var head = state.table.tHead;
    var box = state.container.getBoundingClientRect();
    if (!head || box.width === 0 || box.height === 0) {
      hideFloat(state); // no header, or not displayed (a hidden tab)
      return;
    }
    var headRect = head.getBoundingClientRect();
    var tableRect = state.table.getBoundingClientRect();
    // A top bar is never a third of the window high: below that, no need to look.
    if (headRect.top >= window.innerHeight / 3 || tableRect.bottom <= 0) {
      hideFloat(state);
      return;
    }
    var top = stickyTopCached(box.left + 8);
    if (headRect.top >= top || tableRect.bottom - headRect.height <= top) {
      hideFloat(state);
      return;
    }
    var float = state.floatBox;
    var wasHidden = float.hidden;
    float.hidden = false;
    if (wasHidden || state.widthsStale) {
      syncWidths(state);
    }
    float.style.top = top + "px";
    float.style.left = box.left + state.container.clientLeft + "px";
    float.style.width = state.container.clientWidth + "px";
    float.scrollLeft = state.container.scrollLeft;
  }

  var topCache = {};

  function stickyTopCached(x) {
    var key = Math.round(x);
    if (!(key in topCache)) {
      topCache[key] = stickyTop(x);
    }
    return topCache[key];
  }

  var pending = false;

  function update() {
    pending = false;
    topCache = {};
    tables.forEach(function (state) {
      var scrollable = state.container.scrollWidth > state.container.clientWidth;
      if (scrollable !== (state.container.getAttribute("tabindex") === "0")) {
        // A scrolling region must be reachable by keyboard; one that does not
        // scroll should not be an extra tab stop.
        if (scrollable) {
          state.container.setAttribute("tabindex", "0");
        } else {
          state.container.removeAttribute("tabindex");
        }
      }
      if (state.offsetsStale) {
        placeFrozen(state);
      }
      placeFloat(state);
    });
  }

  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(update);
    }
  }

  /* ---- setting a table up ---- */

  function enhance(table, number) {
    if (table.dataset[READY]) {
      return;
    }
    table.dataset[READY] = "true";
    var state = { table: table, headers: [], rows: null, sortColumn: -1, ascending: true };
    state.settings = tableSettings(table.className);
    state.query = "";
    state.choices = {};
    var body = table.tBodies[0];
    state.striped = body ? body.querySelector("tr.row-odd, tr.row-even") !== null : false;

    var wrap = create("div", "df-table-wrap");
    var toolbar = create("div", "df-table-toolbar");
    var label = create("label", "df-table-filter");
    label.appendChild(create("span", "df-table-filter-label", "Filter"));
    var input = create("input");
    input.type = "search";
    input.placeholder = "Filter rows";
    input.autocomplete = "off";
    label.appendChild(input);
    state.count = create("span", "df-table-count");
    state.count.setAttribute("role", "status");
    toolbar.appendChild(label);

    // The extension puts every df-table in this container, which scrolls
    // sideways (df-table-base.css); a theme may put its own wrapper between
    // the two (furo, pydata-sphinx-theme), which that stylesheet keeps from
    // being a second scroll box.
    state.container = table.closest("div.df-table-container");
    state.container.setAttribute("role", "region");
    var caption = table.caption ? table.caption.textContent.replace(/\s+/g, " ").trim() : "";
    state.container.setAttribute("aria-label", caption || "Table " + number);

    state.floatBox = create("div", "df-table-sticky");
    state.floatBox.setAttribute("aria-hidden", "true");
    state.floatBox.hidden = true;
    state.floatTable = create("table");
    state.floatTable.className = table.className;
    state.floatTable.classList.remove("df-table-interactive");
    state.floatTable.classList.add("df-table-sticky-table");
    state.floatBox.appendChild(state.floatTable);

    state.container.parentNode.insertBefore(wrap, state.container);
    if (body) {
      wrap.appendChild(toolbar);
    }
    wrap.appendChild(state.floatBox);
    wrap.appendChild(state.container);

    if (table.tHead && body) {
      var headRows = Array.prototype.slice.call(table.tHead.rows);
      var last = cellGrid(headRows)[headRows.length - 1] || [];
      last.forEach(function (cell, column) {
        if (cell && cell.colSpan === 1 && state.headers.indexOf(cell) === -1) {
          addSortButton(state, cell, column);
        }
      });
    }
    // The columns: as many as the header rows and the first body row have.
    var headRowCount = table.tHead ? table.tHead.rows.length : 0;
    state.columns = cellGrid(tableRows(table).slice(0, headRowCount + 1)).reduce(function (most, line) {
      return Math.max(most, line.length);
    }, 0);
    state.hidden = [];
    state.settings.hidden.forEach(function (column) {
      if (column < state.columns) {
        state.hidden[column] = true;
      }
    });
    if (body) {
      addSelects(state, toolbar);
      if (state.columns > 1) {
        addPicker(state, toolbar);
      }
      toolbar.appendChild(state.count);
      showCount(state, body.rows.length);
      input.addEventListener("input", function () {
        state.query = input.value;
        filter(state);
      });
    }
    if (state.settings.freeze || state.hidden.some(Boolean)) {
      var hidden = {};
      state.hidden.forEach(function (isHidden, column) {
        hidden[column] = isHidden;
      });
      setHidden(state, hidden);
    }
    state.floatBox.addEventListener("click", function (event) {
      var button = event.target.closest("button.df-table-sort");
      if (button) {
        var column = Number(button.getAttribute("data-column"));
        var real = state.headers[column] && state.headers[column].querySelector("button.df-table-sort");
        if (real) {
          real.click();
        }
      }
    });
    state.container.addEventListener("scroll", schedule, { passive: true });
    if (window.ResizeObserver) {
      // Also fires when a hidden tab is shown.
      new ResizeObserver(function () {
        state.widthsStale = true;
        state.offsetsStale = true;
        schedule();
      }).observe(table);
    }
    refreshFloat(state);
    tables.push(state);
  }

  function init() {
    var found = document.querySelectorAll("table.df-table-interactive");
    Array.prototype.forEach.call(found, function (table, index) {
      enhance(table, index + 1);
    });
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    document.addEventListener("change", schedule); // sphinx-design tabs are radio buttons
    // A theme's light/dark switch changes the colours frozen cells copy.
    var observer = new MutationObserver(repaint);
    [document.documentElement, document.body].forEach(function (element) {
      observer.observe(element, { attributes: true, attributeFilter: ["class", "data-theme", "data-mode"] });
    });
    if (window.matchMedia) {
      var dark = window.matchMedia("(prefers-color-scheme: dark)");
      if (dark.addEventListener) {
        dark.addEventListener("change", repaint);
      }
    }
    schedule();
  }

  function repaint() {
    backgrounds = {};
    tables.forEach(function (state) {
      if (state.settings.freeze) {
        paintFrozen(state);
        refreshFloat(state);
      }
    });
  }

  window.dfTable = { tables: tables, update: update };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
