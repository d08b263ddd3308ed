/* Port Tokens page: small enhancements only. Without this script every control still
   works as a plain form or link; with it:
   - the filter builder shows one empty row and an "Add Filter" button, removes rows in
     place, offers Before/After/Between only for date columns, and gives each row the
     value control its field and operator need (date fields, a select for Status values,
     checkboxes with counts or a text area for Is Any Of, none for Is Empty);
   - "/" focuses the quick search box;
   - the per-page select applies on change;
   - each checkbox change is saved in the session at once (the selection survives
     paging), a checkbox selects every transferable token on the page, and the count, the
     Transfer button's state and the Export menu's "Export selected rows" follow;
   - after a reload the focus returns to where the user acted (the sorted header, the
     chip row, the pager), not the top of the page;
   - open menus close on Escape or a click elsewhere;
   - long values are cut to a readable width with an ellipsis, the full text on hover. */
(function () {
  "use strict";

  /* --- Filter builder ------------------------------------------------------------------ */

  // A row's value control suits its field and operator, as the server renders it (see
  // inventory/views/filter_builder.py): a text or date field, the status choice, two
  // dates for Between, checkboxes (with counts) or a text area for Is Any Of, nothing
  // for Is Empty. When the field or operator changes the control is rebuilt, keeping
  // what was typed or checked.
  var DAY = /^\d{4}-\d{2}-\d{2}$/;
  var PASTED_SEPARATORS = /[\r\n\t,;|]/;

  function splitItems(text) {
    return text.split(PASTED_SEPARATORS).map(function (item) { return item.trim(); })
      .filter(function (item) { return item !== ""; });
  }

  function make(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function hiddenLabel(forId, text) {
    return make("label", { "class": "visually-hidden", "for": forId }, text);
  }

  function setupFilterBuilder(form) {
    var list = form.querySelector("[data-filter-rows]");
    var addButton = form.querySelector("[data-add-filter]");
    var temporalKeys = (form.dataset.temporalKeys || "").split(",");
    var temporalOps = (form.dataset.temporalOps || "").split(",");
    var choiceKeys = (form.dataset.choiceKeys || "").split(",");
    var choicesParam = form.dataset.choicesParam;
    var template = list.querySelector("[data-filter-row]").cloneNode(true);
    // The statuses come from the page (the builder's datalist), which has them from the
    // model: the script keeps no list of its own.
    var statusValues = Array.prototype.map.call(
      form.querySelectorAll("#status-values option"),
      function (option) { return option.value; }
    );
    var choicesOf = {}; // column key -> promise of [{value, count}], or of null
    var counter = 0;

    function number(row) { return row.querySelector("[data-row-number]").value; }
    function cellOf(row) { return row.querySelector("[data-value-cell]"); }

    function isEmpty(row) {
      var value = row.querySelector("[data-value]");
      return !row.querySelector("[data-field]").value && !(value && value.value.trim());
    }

    function modeFor(key, op) {
      if (!key) return "text";
      if (op === "empty" || op === "not_empty") return "none";
      if (op === "in") return choiceKeys.indexOf(key) !== -1 ? "choices" : "list";
      var temporal = temporalKeys.indexOf(key) !== -1;
      if (op === "between") return temporal ? "between" : "text";
      if (temporal && (op === "is" || op === "before" || op === "after")) return "date";
      return key === "status" ? "status" : "text";
    }

    // Before/After/Between only for date columns.
    function syncOperators(row) {
      var key = row.querySelector("[data-field]").value;
      var opSelect = row.querySelector("[data-op]");
      var temporal = !key || temporalKeys.indexOf(key) !== -1;
      Array.prototype.forEach.call(opSelect.options, function (option) {
        var unavailable = !temporal && temporalOps.indexOf(option.value) !== -1;
        option.hidden = unavailable;
        option.disabled = unavailable;
        if (unavailable && option.selected) opSelect.value = "contains";
      });
    }

    // What the row's controls hold: checked values and typed items, the typed text,
    // and the last day of a range.
    function currentValues(cell) {
      var main = cell.querySelector("[data-value]");
      var text = main ? main.value : "";
      var until = cell.querySelector("[data-until]");
      var items = Array.prototype.map.call(
        cell.querySelectorAll("[data-choices] input:checked"),
        function (box) { return box.value; }
      );
      return { items: items.concat(splitItems(text)), text: text, until: until ? until.value : "" };
    }

    function render(row, mode, values) {
      var n = number(row);
      var id = "f-value-" + n;
      var cell = cellOf(row);
      var control;
      cell.replaceChildren();
      cell.dataset.mode = mode;
      cell.className = "filter-value filter-value-" + mode;
      if (mode === "none") {
        // Is Empty takes no value; the row still submits one so that the rows line up.
        cell.appendChild(make("input", { type: "hidden", name: "f_value", value: "", "data-value": "" }));
        return;
      }
      if (mode === "list") {
        cell.appendChild(hiddenLabel(id, "Values of filter " + n + ", one a line"));
        control = make("textarea", {
          id: id, name: "f_value", rows: "3", "data-value": "",
          placeholder: "One value a line, or separated by commas"
        });
        control.value = values.items.join("\n");
        cell.appendChild(control);
        return;
      }
      if (mode === "status") {
        cell.appendChild(hiddenLabel(id, "Value of filter " + n));
        control = make("select", { id: id, name: "f_value", "data-value": "" });
        statusValues.forEach(function (status) {
          var option = make("option", { value: status }, status);
          if (status.toLowerCase() === values.text.trim().toLowerCase()) option.selected = true;
          control.appendChild(option);
        });
        cell.appendChild(control);
        return;
      }
      if (mode === "choices") {
        renderChoices(row, cell, n, values);
        return;
      }
      var first = values.text.trim();
      if (mode === "between") {
        cell.appendChild(hiddenLabel(id, "First day of filter " + n));
        cell.appendChild(make("input", {
          id: id, name: "f_value", type: "date", "data-value": "", value: DAY.test(first) ? first : ""
        }));
        cell.appendChild(make("span", { "class": "range-and", "aria-hidden": "true" }, "to"));
        cell.appendChild(hiddenLabel("f-until-" + n, "Last day of filter " + n));
        cell.appendChild(make("input", {
          id: "f-until-" + n, name: "f_until_" + n, type: "date", "data-until": "",
          value: DAY.test(values.until) ? values.until : ""
        }));
        return;
      }
      cell.appendChild(hiddenLabel(id, "Value of filter " + n));
      var key = row.querySelector("[data-field]").value;
      var temporal = temporalKeys.indexOf(key) !== -1;
      control = make("input", {
        id: id, name: "f_value", type: mode === "date" ? "date" : "text", "data-value": "",
        placeholder: temporal ? "YYYY-MM-DD" : "Value"
      });
      if (mode === "date") control.value = DAY.test(first) ? first : "";
      else control.value = values.items.length > 1 ? values.items.join(", ") : values.text;
      cell.appendChild(control);
    }

    function loadChoices(key) {
      if (!choicesOf[key]) {
        var url = window.location.pathname + "?" + choicesParam + "=" + encodeURIComponent(key);
        choicesOf[key] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { choices: null }; })
          .then(function (data) { return data.choices; })
          .catch(function () { return null; });
      }
      return choicesOf[key];
    }

    // Checkboxes for the column's values; a value listed that the column does not have
    // stays in a text field beside them, so nothing typed is lost.
    function renderChoices(row, cell, n, values) {
      var key = row.querySelector("[data-field]").value;
      var fieldset = make("fieldset", { "class": "filter-choices", "data-choices": "" });
      fieldset.appendChild(make("legend", { "class": "visually-hidden" }, "Values of filter " + n));
      var loading = make("p", { "class": "help-text" }, "Loading values…");
      fieldset.appendChild(loading);
      cell.appendChild(fieldset);
      var other = make("input", {
        id: "f-value-" + n, name: "f_value", type: "text", "data-value": "", placeholder: "Other values"
      });
      other.hidden = true;
      cell.appendChild(hiddenLabel(other.id, "Other values of filter " + n));
      cell.appendChild(other);
      loadChoices(key).then(function (choices) {
        if (cellOf(row) !== cell || cell.dataset.mode !== "choices" || !cell.contains(fieldset)) return;
        if (!choices) {
          render(row, "list", values);
          return;
        }
        var wanted = values.items.map(function (item) { return item.toLowerCase(); });
        var offered = [];
        loading.remove();
        choices.forEach(function (choice) {
          var label = make("label", { "class": "filter-choice" });
          var box = make("input", { type: "checkbox", name: "f_pick_" + n, value: choice.value });
          box.checked = wanted.indexOf(choice.value.toLowerCase()) !== -1;
          label.appendChild(box);
          label.appendChild(document.createTextNode(" " + choice.value + " "));
          label.appendChild(make("span", { "class": "choice-count" }, choice.count.toLocaleString("en-US")));
          fieldset.appendChild(label);
          offered.push(choice.value.toLowerCase());
        });
        var rest = values.items.filter(function (item) {
          return offered.indexOf(item.toLowerCase()) === -1;
        });
        other.value = rest.join(" | ");
        other.hidden = rest.length === 0;
      });
    }

    function sync(row) {
      syncOperators(row);
      var key = row.querySelector("[data-field]").value;
      var mode = modeFor(key, row.querySelector("[data-op]").value);
      var cell = cellOf(row);
      if (mode !== cell.dataset.mode) render(row, mode, currentValues(cell));
    }

    function newRow() {
      counter += 1;
      var row = template.cloneNode(true);
      row.classList.remove("has-error");
      row.querySelectorAll(".form-error").forEach(function (node) { node.remove(); });
      row.querySelector("[data-row-number]").value = String(counter);
      [["key", "[data-field]"], ["op", "[data-op]"]].forEach(function (pair) {
        var control = row.querySelector(pair[1]);
        var label = row.querySelector('label[for="' + control.id + '"]');
        control.id = "f-" + pair[0] + "-" + counter;
        label.htmlFor = control.id;
        label.textContent = label.textContent.replace(/\d+$/, counter);
      });
      var field = row.querySelector("[data-field]");
      field.value = "";
      field.querySelectorAll("option").forEach(function (option) {
        if (/\(unknown column\)$/.test(option.textContent)) option.remove();
      });
      var op = row.querySelector("[data-op]");
      op.querySelectorAll("option").forEach(function (option) {
        if (/\(unknown operator\)$/.test(option.textContent)) option.remove();
      });
      op.value = "contains";
      var remove = row.querySelector("[data-remove-filter]");
      remove.value = String(counter);
      remove.setAttribute("aria-label", "Remove filter " + counter);
      syncOperators(row);
      render(row, "text", { items: [], text: "", until: "" });
      return row;
    }

    // One empty row is enough once rows can be added.
    var rows = Array.prototype.slice.call(list.querySelectorAll("[data-filter-row]"));
    var filled = rows.filter(function (row) { return !isEmpty(row); });
    rows.filter(isEmpty).forEach(function (row, index) {
      if (filled.length > 0 || index > 0) row.remove();
    });
    // The server's controls stay as rendered (a bad value stays visible next to its
    // message), but for the status choice and Is Empty's value, which needs no field.
    list.querySelectorAll("[data-filter-row]").forEach(function (row) {
      syncOperators(row);
      var mode = modeFor(row.querySelector("[data-field]").value, row.querySelector("[data-op]").value);
      var cell = cellOf(row);
      if ((mode === "status" && cell.dataset.mode === "text") || mode === "none") {
        render(row, mode, currentValues(cell));
      }
      // Without this script a checkbox row also shows a field for other values; with it
      // that field appears only when it holds some.
      var other = cell.dataset.mode === "choices" && cell.querySelector("[data-value]");
      if (other && !other.value.trim()) other.hidden = true;
    });
    // Rows keep the server's numbering (filled rows come first); new ones follow it.
    counter = list.children.length;
    addButton.hidden = false;

    addButton.addEventListener("click", function () {
      var row = newRow();
      list.appendChild(row);
      row.querySelector("[data-field]").focus();
    });
    list.addEventListener("change", function (event) {
      if (event.target.matches("[data-field], [data-op]")) sync(event.target.closest("[data-filter-row]"));
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-filter]");
      if (!button) return;
      event.preventDefault();
      var row = button.closest("[data-filter-row]");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (!list.querySelector("[data-filter-row]")) {
        next = newRow();
        list.appendChild(next);
      }
      (next.querySelector("[data-field]") || addButton).focus();
    });
  }

  /* --- Quick search --------------------------------------------------------------------- */

  // "/" focuses the search box, as on many sites, unless the user is typing in a field.
  function setupQuickSearch(input) {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target.isContentEditable || target.closest("input, textarea, select")) return;
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  /* --- Per page ------------------------------------------------------------------------- */

  function setupPerPage(form) {
    form.querySelectorAll("[data-no-js]").forEach(function (node) { node.hidden = true; });
    form.querySelector("select").addEventListener("change", function () { form.submit(); });
  }

  /* --- Row selection, kept across pages ------------------------------------------------ */

  // The selection lives in the session (inventory/selection.py): each change of a
  // checkbox is sent at once, one request after the other, so that paging, sorting or
  // filtering keeps it. The answer says how many are selected in all and gives the Export
  // menu's links for them.
  function setupSelection(form) {
    var pageBox = form.querySelector(".select-page");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input.row-select"));
    var status = form.querySelector("[data-selection-status]");
    var count = form.querySelector("[data-selection-count]");
    var hint = form.querySelector("[data-transfer-hint]");
    var transfer = form.querySelector("[data-transfer-button]");
    var exportMenu = document.querySelector("[data-export-menu]");
    var total = count && count.textContent.trim() ? parseInt(count.textContent.replace(/\D/g, ""), 10) : 0;
    var queue = Promise.resolve();

    form.querySelectorAll("[data-no-js]").forEach(function (node) { node.hidden = true; });

    function checkedOnPage() {
      return boxes.filter(function (box) { return box.checked; });
    }

    function renderExportSelected(links) {
      if (!exportMenu) return;
      exportMenu.querySelectorAll("[data-export-selected]").forEach(function (node) {
        node.remove();
      });
      links.forEach(function (link, index) {
        var item = make("li", { "data-export-selected": "" });
        // A rule above the group, drawn by CSS: a separator <li> would be an empty item.
        if (index === 0) item.className = "menu-group-start";
        item.appendChild(make("a", { href: link.url }, link.label));
        exportMenu.appendChild(item);
      });
    }

    function showCount(text) {
      if (status) status.hidden = total === 0;
      if (count) count.textContent = text;
      if (hint) hint.hidden = total > 0;
      if (transfer) {
        if (total > 0) transfer.removeAttribute("aria-disabled");
        else transfer.setAttribute("aria-disabled", "true");
      }
    }

    function syncPageBox() {
      if (!pageBox) return;
      var checked = checkedOnPage().length;
      pageBox.checked = boxes.length > 0 && checked === boxes.length;
      pageBox.indeterminate = checked > 0 && checked < boxes.length;
    }

    // The page's boxes as they are now; the server keeps the other pages' selection.
    function save() {
      var body = new URLSearchParams();
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      body.append("selection", "update");
      boxes.forEach(function (box) { body.append("shown", box.value); });
      checkedOnPage().forEach(function (box) { body.append("token", box.value); });
      queue = queue.then(function () {
        return fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          body: body
        }).then(function (response) {
          if (!response.ok) throw new Error("selection not saved");
          return response.json();
        }).then(function (data) {
          total = data.count;
          showCount(data.text);
          renderExportSelected(data.export_links);
        }).catch(function () {
          if (count) count.textContent = "The selection could not be saved; use Keep selection.";
          form.querySelectorAll("[data-no-js]").forEach(function (node) { node.hidden = false; });
        });
      });
    }

    if (pageBox) {
      pageBox.hidden = boxes.length === 0;
      pageBox.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = pageBox.checked; });
        syncPageBox();
        save();
      });
    }
    form.addEventListener("change", function (event) {
      if (!event.target.matches("input.row-select")) return;
      syncPageBox();
      save();
    });
    // A Transfer with nothing selected stays put and says why (the hint beside it).
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (button && button === transfer && transfer.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        if (hint) {
          hint.hidden = false;
          hint.classList.remove("is-flagged");
          void hint.offsetWidth; // restart the highlight
          hint.classList.add("is-flagged");
        }
      }
    });
    syncPageBox();
    showCount(count ? count.textContent : "");
  }

  /* --- Focus after a reload -------------------------------------------------------------- */

  // Sorting, filtering, paging and the selection's buttons load a new page. The control
  // the user acted on (or its place: a removed chip's row) takes the focus again, at the
  // scroll position the user left, instead of the top of the page. A control names its
  // place with data-focus-key; a sort link is found by its column.
  var RETURN_KEY = "port-tokens-focus";

  function focusKeyOf(element) {
    var keyed = element.closest("[data-focus-key]");
    if (keyed) return keyed.dataset.focusKey;
    var header = element.closest("th");
    if (header && element.closest(".sort-link")) {
      var column = Array.prototype.find.call(header.classList, function (name) {
        return name.indexOf("col-") === 0;
      });
      return column ? "sort:" + column : null;
    }
    if (element.closest(".pagination")) return "pager:" + (element.getAttribute("aria-label") || element.name || "");
    if (element.closest(".status-summary, .renewal-windows")) return "summary:" + element.getAttribute("href");
    return null;
  }

  function remember(element) {
    var key = element && focusKeyOf(element);
    if (!key) return;
    try {
      sessionStorage.setItem(RETURN_KEY, JSON.stringify({
        key: key, path: window.location.pathname, scrollY: window.scrollY, at: Date.now()
      }));
    } catch (error) { /* storage refused: the page simply opens at its top */ }
  }

  function target(key) {
    if (key.indexOf("sort:") === 0) {
      return document.querySelector(".token-table th." + key.slice(5) + " .sort-link");
    }
    if (key.indexOf("pager:") === 0) {
      var label = key.slice(6);
      return Array.prototype.find.call(
        document.querySelectorAll(".pagination a, .pagination select"),
        function (node) { return (node.getAttribute("aria-label") || node.name || "") === label; }
      ) || document.querySelector(".pagination");
    }
    if (key.indexOf("summary:") === 0) {
      return document.querySelector(".summary-bar a") && Array.prototype.find.call(
        document.querySelectorAll(".summary-bar a"),
        function (node) { return node.getAttribute("href") === key.slice(8); }
      ) || document.querySelector(".status-tile");
    }
    // The first of its controls that shows (the builder's Apply is hidden when closed).
    var place = Array.prototype.find.call(
      document.querySelectorAll('[data-focus-key="' + key + '"]'),
      function (node) {
        return typeof node.checkVisibility === "function" ? node.checkVisibility() : node.getClientRects().length > 0;
      }
    );
    // The chip row without chips (the last one removed): the search box is where it was.
    if (!place && key === "chips") place = document.getElementById("quick-search");
    return place;
  }

  function restoreFocus() {
    var saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(RETURN_KEY) || "null");
      sessionStorage.removeItem(RETURN_KEY);
    } catch (error) { return; }
    // Only the reload that follows the action: not a visit much later, nor another page.
    if (!saved || saved.path !== window.location.pathname || Date.now() - saved.at > 30000) return;
    var element = target(saved.key);
    if (!element) return;
    window.scrollTo(0, saved.scrollY);
    element.focus({ preventScroll: true });
    var box = element.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) element.scrollIntoView({ block: "center" });
  }

  function setupFocusReturn(main) {
    main.addEventListener("click", function (event) {
      var link = event.target.closest("a[href]");
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) remember(link);
    });
    main.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      var submitter = event.submitter;
      remember(submitter && focusKeyOf(submitter) ? submitter : event.target.querySelector("[data-focus-key]"));
    });
    main.addEventListener("change", function (event) {
      if (event.target.closest("[data-per-page]")) remember(event.target);
    });
    restoreFocus();
  }

  /* --- Filter panel ----------------------------------------------------------------------- */

  // The builder opens at its address (#filter-builder): after a row was removed without
  // the script, and from a link to it. Chromium opens it by itself; this does it anywhere.
  function setupFilterPanel(panel) {
    if (window.location.hash === "#filter-builder" || window.location.hash === "#filters") {
      panel.open = true;
    }
  }

  /* --- Long values --------------------------------------------------------------------- */

  // A table cell ignores max-width, so each value goes into a block that has one (CSS
  // .cell-text). The text stays in the page for copying and screen readers; the tooltip
  // is set only where the value is actually cut. Without this script cells show it all.
  function setupLongValues(table) {
    var cells = Array.prototype.filter.call(
      table.querySelectorAll("tbody td:not(.select-col)"),
      function (cell) { return cell.children.length === 0 && cell.textContent.trim(); }
    );
    var texts = cells.map(function (cell) {
      var text = document.createElement("span");
      text.className = "cell-text";
      text.textContent = cell.textContent;
      cell.replaceChildren(text);
      return text;
    });
    // Measured after every cell is wrapped, so the layout is computed once.
    texts.forEach(function (text, index) {
      if (text.scrollWidth > text.clientWidth) cells[index].title = text.textContent;
    });
  }

  /* --- Menus ------------------------------------------------------------------------------ */

  function setupMenus(menus) {
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });
  }

  var builder = document.querySelector("[data-filter-builder]");
  if (builder) setupFilterBuilder(builder);
  var search = document.getElementById("quick-search");
  if (search) setupQuickSearch(search);
  var perPage = document.querySelector("[data-per-page]");
  if (perPage) setupPerPage(perPage);
  var selection = document.getElementById("token-selection");
  if (selection) setupSelection(selection);
  var panel = document.querySelector("[data-filter-panel]");
  if (panel) setupFilterPanel(panel);
  var main = document.getElementById("main");
  if (main) setupFocusReturn(main);
  var table = document.querySelector(".token-table");
  if (table) setupLongValues(table);
  setupMenus(Array.prototype.slice.call(document.querySelectorAll("details[data-menu]")));
})();
