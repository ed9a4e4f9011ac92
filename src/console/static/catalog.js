'use strict';
// The catalog's regexp test box: says as one types whether the value passes the chosen input's regexp, compiled as
// the engine compiles it (flag u). Submitting the form asks the server, which checks with the engine's own code.
(function () {
  var form = document.getElementById('regexp-test');
  if (!form) return;
  var select = document.getElementById('t-input');
  var value = document.getElementById('t-value');
  var out = document.getElementById('regexp-live');
  function check() {
    var option = select.options[select.selectedIndex];
    var re;
    try { re = new RegExp(option.getAttribute('data-regexp'), 'u'); } catch (e) { out.textContent = '?'; return; }
    var ok = re.test(value.value);
    out.textContent = ok ? form.getAttribute('data-yes') : form.getAttribute('data-no');
    out.setAttribute('data-matches', String(ok));
    out.className = ok ? 'badge good' : 'badge bad';
  }
  value.addEventListener('input', check);
  select.addEventListener('change', check);
  if (value.value) check();
})();
