/* sphinx-df-table: interactive tables. No dependencies.
 *
 * Enhances every <table class="df-table-interactive"> on the page:
 *
 * - a filter box: body rows that do not contain every word typed are hidden;
 * - a sort button in each column header: numbers sort as numbers (also when
 *   shown as "$1,234.500" or "12 %"), text in natural order, empty cells last;
 *   a second click reverses; the header cell carries aria-sort;
 * - a scrolling wrapper for wide tables, and a header that stays in view while
 *   the page scrolls.
 *
 * Sticky header: `position: sticky` on a header inside a horizontally
 * scrolling (`overflow-x: auto`) wrapper sticks to that wrapper, not to the
 * page, so it would never stick while the page scrolls. Instead, a copy of the
 * header (aria-hidden; its buttons forward clicks) is shown with
 * `position: fixed` at the top of the window while the real header is above
 * it and the table is still in view. It is placed over the wrapper, takes the
 * column widths of the real table and follows its horizontal scroll. Its top
 * is below any fixed or sticky bar of the theme found at the top of the window,
 * or the CSS length `--df-table-sticky-top` when that is set.
 *
 * Everything works on the DOM rows whether or not the table is visible, so a
 * table in a hidden tab (sphinx-design tab-sets) sorts and filters like any
 * other; each table keeps its own state. Without this script the table is an
 * ordinary table.
 */
(function () {
  "use strict";

  var READY = "dfTableReady";
  var tables = [];
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;
  var INFINITY = /^([-+]?)inf(?:inity)?$/i;

  /* "$1,234.500" -> 1234.5, "(12)" -> -12, "-inf" -> -Infinity; "" -> null
     (missing); anything else -> NaN. */
  function parseNumber(text) {
    var s = text.replace(/[\s\u00a0\u202f,]/g, "");
    if (s === "") {
      return null;
    }
    s = s.replace(/^\((.*)\)$/, "-$1").replace(/\u2212/g, "-").replace(/[$\u20ac\u00a3\u00a5\u20b9%]/g, "");
    var inf = INFINITY.exec(s);
    if (inf) {
      return inf[1] === "-" ? -Infinity : Infinity;
    }
    return NUMBER.test(s) ? parseFloat(s) : NaN;
  }

  /* The cells of some rows as a grid: grid[r][c] is the cell covering (r, c). */
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

  /* Rows as data, once the merged cells are split (on first use). */
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
      return { row: row, index: index, texts: texts, search: texts.join("\n").toLowerCase() };
    });
    state.numeric = {};
    return state.rows;
  }

  function isNumeric(state, column) {
    if (!(column in state.numeric)) {
      var any = false;
      state.numeric[column] = state.rows.every(function (item) {
        var value = parseNumber(item.texts[column] || "");
        any = any || value !== null;
        return value === null || !isNaN(value);
      }) && any;
    }
    return state.numeric[column];
  }

  function sortBy(state, column, ascending) {
    var rows = rowData(state);
    var numeric = isNumeric(state, column);
    var direction = ascending ? 1 : -1;
    var keyed = rows.map(function (item) {
      var text = item.texts[column] || "";
      return { item: item, missing: text === "", key: numeric ? parseNumber(text) : text };
    });
    keyed.sort(function (a, b) {
      if (a.missing !== b.missing) {
        return a.missing ? 1 : -1; // empty cells last, in both directions
      }
      var order = 0;
      if (!a.missing) {
        order = numeric ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : collator.compare(a.key, b.key);
      }
      return order * direction || a.item.index - b.item.index;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (entry) {
      fragment.appendChild(entry.item.row);
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
    var rows = rowData(state);
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (item) {
      var match = words.every(function (word) {
        return item.search.indexOf(word) !== -1;
      });
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
    var boxRect = state.scroll.getBoundingClientRect();
    state.floatTable.style.width = tableRect.width + "px";
    // Where the table starts in the scrolled content (a centred table does not start at 0).
    state.floatTable.style.marginLeft =
      tableRect.left - boxRect.left - state.scroll.clientLeft + state.scroll.scrollLeft + "px";
    state.floatBox.style.background = backgroundOf(state.scroll);
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
    var box = state.scroll.getBoundingClientRect();
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
    float.style.left = box.left + state.scroll.clientLeft + "px";
    float.style.width = state.scroll.clientWidth + "px";
    float.scrollLeft = state.scroll.scrollLeft;
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
      var scrollable = state.scroll.scrollWidth > state.scroll.clientWidth;
      if (scrollable !== (state.scroll.getAttribute("tabindex") === "0")) {
        // A scrolling region must be reachable by keyboard; one that does not
        // scroll should not be an extra tab stop.
        if (scrollable) {
          state.scroll.setAttribute("tabindex", "0");
        } else {
          state.scroll.removeAttribute("tabindex");
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
    var state = { table: table, headers: [], rows: null, numeric: {}, sortColumn: -1, ascending: true };
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

    state.scroll = create("div", "df-table-scroll");
    state.scroll.setAttribute("role", "region");
    var caption = table.caption ? table.caption.textContent.replace(/\s+/g, " ").trim() : "";
    state.scroll.setAttribute("aria-label", caption || "Table " + number);

    state.floatBox = create("div", "df-table-sticky");
    state.floatBox.setAttribute("aria-hidden", "true");
    state.floatBox.hidden = true;
    state.floatTable = create("table");
    state.floatTable.className = table.className;
    state.floatTable.classList.remove("df-table-interactive");
    state.floatTable.classList.add("df-table-sticky-table");
    state.floatBox.appendChild(state.floatTable);

    table.parentNode.insertBefore(wrap, table);
    if (body) {
      wrap.appendChild(toolbar);
    }
    wrap.appendChild(state.floatBox);
    wrap.appendChild(state.scroll);
    state.scroll.appendChild(table);

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
    state.scroll.addEventListener("scroll", schedule, { passive: true });
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

  window.dfTable = { parseNumber: parseNumber, tables: tables, update: update };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
