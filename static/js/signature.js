/* Drawn signature on a canvas with pointer events; the typed name alone is enough. */
(function () {
  "use strict";
  var pad = document.querySelector("[data-signature]");
  var form = document.getElementById("sign-form");
  if (!pad || !form) { return; }
  var canvas = document.getElementById("signature-canvas");
  var output = document.getElementById("drawn");
  var zone = document.getElementById("time-zone");
  var context = canvas.getContext("2d");
  var drawing = false, drawn = false;
  pad.hidden = false;
  try { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone.value = ""; }
  context.lineWidth = 3;
  context.lineCap = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width,
             y: (event.clientY - box.top) * canvas.height / box.height };
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    context.beginPath();
    context.moveTo(p.x, p.y);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    context.lineTo(p.x, p.y);
    context.stroke();
    drawn = true;
    event.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  pad.querySelector("[data-clear]").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  });
  form.addEventListener("submit", function () {
    output.value = drawn ? canvas.toDataURL("image/png") : "";
  });
})();
