document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.querySelector(button.dataset.copy);
    var done = document.querySelector("[data-copied]");
    navigator.clipboard.writeText(field.value).then(function () { if (done) { done.hidden = false; } },
      function () { field.select(); });
  });
});
