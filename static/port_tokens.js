/* Port Tokens page: small enhancements only. Without this script every control still
   works as a plain form or link; with it:
   - the filter builder shows one empty row and an "Add Filter" button, removes rows in
     place, offers Before/After/Between only for date columns, and gives each row the
     value control its field and operator need (date fields, a select for Status values,
     checkboxes with counts or a text area for Is Any Of, none for Is Empty);
   - "/" focuses the quick search box;
   - the per-page select applies on change;
   - a checkbox selects every transferable token on the page, then offers "Select all N
     matching" (a link to the transfer form with all_matching=1 and the view state);
   - with rows selected the Export menu also offers "Export selected rows (CSV/XLSX)":
     the export URL for the visible columns with token=<Token S/N> repeated;
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

  /* --- Row selection and export of selected rows ---------------------------------------- */

  function setupSelection(form) {
    var pageBox = form.querySelector(".select-page");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input.row-select"));
    var count = form.querySelector("[data-selection-count]");
    var allMatching = form.querySelector("[data-select-all-matching]");
    var transfer = form.querySelector("[data-transfer-button]");
    var exportMenu = document.querySelector("[data-export-menu]");
    var exportBase = form.dataset.exportBase;
    var exportQuery = form.dataset.exportQuery;

    function selectedSerials() {
      return boxes.filter(function (box) { return box.checked; }).map(function (box) {
        return box.value;
      });
    }

    function exportSelectedUrl(format, serials) {
      var params = new URLSearchParams(exportQuery);
      params.set("format", format);
      params.set("scope", "visible");
      serials.forEach(function (serial) { params.append("token", serial); });
      return exportBase + "?" + params.toString();
    }

    function renderExportSelected(serials) {
      if (!exportMenu) return;
      exportMenu.querySelectorAll("[data-export-selected]").forEach(function (node) {
        node.remove();
      });
      if (!serials.length) return;
      [["csv", "CSV"], ["xlsx", "XLSX"]].forEach(function (pair, index) {
        var item = document.createElement("li");
        item.setAttribute("data-export-selected", "");
        // A rule above the group, drawn by CSS: a separator <li> would be an empty item.
        if (index === 0) item.className = "menu-group-start";
        var link = document.createElement("a");
        link.href = exportSelectedUrl(pair[0], serials);
        link.textContent = "Export selected rows (" + pair[1] + ")";
        item.appendChild(link);
        exportMenu.appendChild(item);
      });
    }

    function update() {
      var serials = selectedSerials();
      if (count) {
        count.textContent = serials.length ? serials.length + " selected" : "";
      }
      if (transfer) transfer.disabled = serials.length === 0;
      if (pageBox) {
        pageBox.checked = boxes.length > 0 && serials.length === boxes.length;
        pageBox.indeterminate = serials.length > 0 && serials.length < boxes.length;
      }
      if (allMatching) allMatching.hidden = !(pageBox && pageBox.checked);
      renderExportSelected(serials);
    }

    if (pageBox) {
      pageBox.hidden = boxes.length === 0;
      pageBox.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = pageBox.checked; });
        update();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("input.row-select")) update();
    });
    update();
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
  var table = document.querySelector(".token-table");
  if (table) setupLongValues(table);
  setupMenus(Array.prototype.slice.call(document.querySelectorAll("details[data-menu]")));
})();
