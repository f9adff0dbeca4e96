// The community form: the join policies the chosen visibility does not allow are disabled
// (a private community cannot be open). Each option lists the visibilities that allow it
// (data-visibilities) and those it is the default of (data-default-for); the server refuses
// the other combinations anyway (Community.clean), so the form works without this script.
(function () {
  "use strict";

  function has(list, word) {
    return (list || "").split(" ").indexOf(word) !== -1;
  }

  document.querySelectorAll("select[data-visibility-field]").forEach(function (policy) {
    var visibility = policy.form && policy.form.elements[policy.dataset.visibilityField];
    if (!visibility) {
      return;
    }

    function update() {
      var chosen = visibility.value;
      var fallback = null;
      Array.prototype.forEach.call(policy.options, function (option) {
        option.disabled = !has(option.dataset.visibilities, chosen);
        if (has(option.dataset.defaultFor, chosen)) {
          fallback = option;
        }
      });
      var selected = policy.options[policy.selectedIndex];
      if ((!selected || selected.disabled) && fallback) {
        fallback.selected = true;
      }
    }

    visibility.addEventListener("change", update);
    update();
  });
})();
