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
 *   while it scrolls), and a header stays in view while the page scrolls.
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
 * filter matching) are also exported when the file is loaded as a CommonJS
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
     at the last row. */
  function cellGrid(rows) {
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
        var colSpan = Math.max(cell.colSpan, 1);
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

  function filter(state, query) {
    var words = queryWords(query);
    var shown = 0;
    rowData(state).forEach(function (item) {
      var match = matches(item.search, words);
      item.row.hidden = !match;
      if (match) {
        shown++;
      }
    });
    showCount(state, shown);
    restripe(state);
    state.widthsStale = true;
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
     column: in the header (bottom row first), or else in the first row shown. */
  function columnWidths(state) {
    var lines = cellGrid(Array.prototype.slice.call(state.table.tHead.rows)).reverse();
    var columns = lines.reduce(function (most, line) {
      return Math.max(most, line.length);
    }, 0);
    var widths = [];
    var bodyLine = null;
    for (var c = 0; c < columns; c++) {
      for (var r = 0; r <= lines.length && widths[c] === undefined; r++) {
        if (r === lines.length && !bodyLine) {
          bodyLine = firstShownLine(state);
        }
        var cell = r < lines.length ? lines[r][c] : bodyLine[c];
        if (cell && cell.colSpan === 1) {
          widths[c] = cell.getBoundingClientRect().width;
        }
      }
    }
    return widths;
  }

  function firstShownLine(state) {
    var rows = state.table.tBodies[0] ? Array.prototype.slice.call(state.table.tBodies[0].rows) : [];
    var grid = cellGrid(rows);
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
    widths.forEach(function (width) {
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
      if (element.closest(".df-table-sticky")) {
        return;
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
    toolbar.appendChild(state.count);

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
    if (body) {
      showCount(state, body.rows.length);
      input.addEventListener("input", function () {
        filter(state, input.value);
      });
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
    schedule();
  }

  window.dfTable = { tables: tables, update: update };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
