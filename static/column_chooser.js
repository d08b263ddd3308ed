/* The column chooser's order, in place. Without this script each arrow is a submit button
   that asks the server to move the column (and nothing is saved until Apply); with it:
   - the arrows move the item in the list at once, the focus stays on the pressed arrow
     and a live region says where the column is now;
   - items can be dragged (HTML5 drag and drop) to a new place.
   The posted order is the list's order: each item carries its key in a hidden input. */
(function () {
  "use strict";

  var chooser = document.querySelector("[data-column-chooser]");
  if (!chooser) return;
  var list = chooser.querySelector("[data-column-options]");
  var status = chooser.querySelector("[data-move-status]");
  var items = function () { return Array.prototype.slice.call(list.children); };

  function label(item) {
    return item.querySelector("label").textContent.trim();
  }

  function announce(item) {
    var position = items().indexOf(item) + 1;
    status.textContent = label(item) + ": position " + position + " of " + list.children.length;
  }

  function move(item, direction, button) {
    var neighbour = direction === "up" ? item.previousElementSibling : item.nextElementSibling;
    if (!neighbour) {
      status.textContent = label(item) + " is already " + (direction === "up" ? "first" : "last");
      return;
    }
    if (direction === "up") list.insertBefore(item, neighbour);
    else list.insertBefore(neighbour, item);
    // Moving a node out of the document and back drops its focus: give it back.
    button.focus();
    announce(item);
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) return;
    event.preventDefault();
    move(button.closest("[data-column]"), button.dataset.move, button);
  });

  /* --- Dragging --------------------------------------------------------------------------- */

  var dragged = null;
  items().forEach(function (item) { item.draggable = true; });
  list.classList.add("is-sortable");
  chooser.querySelectorAll("[data-drag-hint]").forEach(function (hint) { hint.hidden = false; });

  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("[data-column]");
    if (!dragged) return;
    dragged.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.column);
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) return;
    event.preventDefault();
    var over = event.target.closest("[data-column]");
    if (!over || over === dragged) return;
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextElementSibling : over);
  });
  list.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });
  list.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    announce(dragged);
    dragged = null;
  });
})();
