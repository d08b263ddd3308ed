/* Transfer form: narrow the destination list as the user types. Without JavaScript the
   plain list works. The filter box names its list in aria-controls. */
(function () {
  "use strict";

  var filter = document.getElementById("to-org-filter");
  var select = filter && document.getElementById(filter.getAttribute("aria-controls"));
  if (!filter || !select) { return; }
  var options = Array.prototype.slice.call(select.options);
  filter.hidden = false;
  // Enter in the filter box narrows the list; it must not submit the form.
  filter.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }
  });
  filter.addEventListener("input", function () {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var chosen = select.value;
    var keep = options.filter(function (option) {
      var text = option.text.toLowerCase();
      return option.value === "" || option.value === chosen ||
        words.every(function (word) { return text.indexOf(word) !== -1; });
    });
    select.replaceChildren.apply(select, keep);
    select.value = chosen;
  });
})();
