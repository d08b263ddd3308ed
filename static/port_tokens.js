/* Port Tokens page: small enhancements only. Without this script every control still
   works as a plain form or link; with it:
   - the filter builder shows one empty row and an "Add Filter" button, removes rows in
     place, offers Before/After only for date columns and a select for Status values;
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

  function setupFilterBuilder(form) {
    var list = form.querySelector("[data-filter-rows]");
    var addButton = form.querySelector("[data-add-filter]");
    var temporalKeys = (form.dataset.temporalKeys || "").split(",");
    var temporalOps = (form.dataset.temporalOps || "").split(",");
    var template = list.querySelector("[data-filter-row]").cloneNode(true);
    // The statuses come from the page (the builder's datalist), which has them from the
    // model: the script keeps no list of its own.
    var statusValues = Array.prototype.map.call(
      form.querySelectorAll("#status-values option"),
      function (option) { return option.value; }
    );
    var counter = 0;

    function isEmpty(row) {
      return !row.querySelector("[data-field]").value && !valueControl(row).value.trim();
    }

    function valueControl(row) {
      var select = row.querySelector("[data-value-select]");
      return select && !select.disabled ? select : row.querySelector("[data-value]");
    }

    function syncRow(row) {
      var key = row.querySelector("[data-field]").value;
      var opSelect = row.querySelector("[data-op]");
      var temporal = !key || temporalKeys.indexOf(key) !== -1;
      Array.prototype.forEach.call(opSelect.options, function (option) {
        var unavailable = !temporal && temporalOps.indexOf(option.value) !== -1;
        option.hidden = unavailable;
        option.disabled = unavailable;
        if (unavailable && option.selected) opSelect.value = "contains";
      });
      var input = row.querySelector("[data-value]");
      input.placeholder = key && temporalKeys.indexOf(key) !== -1 ? "YYYY-MM-DD" : "Value";
      var select = row.querySelector("[data-value-select]");
      if (key === "status") {
        if (!select) {
          select = document.createElement("select");
          select.setAttribute("data-value-select", "");
          select.name = "f_value";
          select.id = input.id + "-status";
          var label = row.querySelector('label[for="' + input.id + '"]');
          statusValues.forEach(function (status) {
            var option = document.createElement("option");
            option.value = status;
            option.textContent = status;
            select.appendChild(option);
          });
          var current = statusValues.filter(function (status) {
            return status.toLowerCase() === input.value.trim().toLowerCase();
          })[0];
          if (current) select.value = current;
          input.after(select);
          if (label) label.htmlFor = select.id;
        }
        select.disabled = false;
        select.hidden = false;
        input.disabled = true;
        input.hidden = true;
      } else {
        if (select) {
          select.disabled = true;
          select.hidden = true;
          var inputLabel = row.querySelector('label[for="' + select.id + '"]');
          if (inputLabel) inputLabel.htmlFor = input.id;
        }
        input.disabled = false;
        input.hidden = false;
      }
    }

    function newRow() {
      counter += 1;
      var row = template.cloneNode(true);
      row.classList.remove("has-error");
      row.querySelectorAll(".form-error, [data-value-select]").forEach(function (node) {
        node.remove();
      });
      row.querySelectorAll("[id]").forEach(function (node) {
        var id = node.id.replace(/-\d+(-status)?$/, "-" + counter);
        var label = row.querySelector('label[for="' + node.id + '"]');
        if (label) {
          label.htmlFor = id;
          label.textContent = label.textContent.replace(/\d+$/, counter);
        }
        node.id = id;
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
      var input = row.querySelector("[data-value]");
      input.value = "";
      input.removeAttribute("list");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      var remove = row.querySelector("[data-remove-filter]");
      remove.setAttribute("aria-label", "Remove filter " + counter);
      syncRow(row);
      return row;
    }

    // One empty row is enough once rows can be added.
    var rows = Array.prototype.slice.call(list.querySelectorAll("[data-filter-row]"));
    var filled = rows.filter(function (row) { return !isEmpty(row); });
    rows.filter(isEmpty).forEach(function (row, index) {
      if (filled.length > 0 || index > 0) row.remove();
    });
    list.querySelectorAll("[data-filter-row]").forEach(syncRow);
    // Rows keep the server's numbering (filled rows come first); new ones follow it.
    counter = list.children.length;
    addButton.hidden = false;

    addButton.addEventListener("click", function () {
      var row = newRow();
      list.appendChild(row);
      row.querySelector("[data-field]").focus();
    });
    list.addEventListener("change", function (event) {
      if (event.target.matches("[data-field]")) syncRow(event.target.closest("[data-filter-row]"));
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
  var perPage = document.querySelector("[data-per-page]");
  if (perPage) setupPerPage(perPage);
  var selection = document.getElementById("token-selection");
  if (selection) setupSelection(selection);
  var table = document.querySelector(".token-table");
  if (table) setupLongValues(table);
  setupMenus(Array.prototype.slice.call(document.querySelectorAll("details[data-menu]")));
})();
