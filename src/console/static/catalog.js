'use strict';
// The catalog's pages in the browser. The service page's regexp test box and each row of the inputs editor say, as
// one types, whether the value passes the regexp, compiled as the engine compiles it (flag u); the server's own
// check (anchoring, ReDoS) answers on "check" and on save. The fee editor shows the fields of the chosen kind and a
// preview computed in exact integers (BigInt minor units, rounding a percent down), as the engine computes it.
(function () {
  function verdict(out, source, value, texts) {
    var re;
    try { re = new RegExp(source, 'u'); } catch (e) {
      out.textContent = texts.bad; out.setAttribute('data-matches', 'error'); out.className = 'live badge bad'; return;
    }
    var ok = re.test(value);
    out.textContent = ok ? texts.yes : texts.no;
    out.setAttribute('data-matches', String(ok));
    out.className = 'live badge ' + (ok ? 'good' : 'bad');
  }

  var testForm = document.getElementById('regexp-test');
  if (testForm) {
    var select = document.getElementById('t-input');
    var value = document.getElementById('t-value');
    var out = document.getElementById('regexp-live');
    var check = function () {
      var texts = { yes: testForm.getAttribute('data-yes'), no: testForm.getAttribute('data-no'), bad: '?' };
      verdict(out, select.options[select.selectedIndex].getAttribute('data-regexp'), value.value, texts);
      out.className = out.className.replace('live ', '');
    };
    value.addEventListener('input', check);
    select.addEventListener('change', check);
    if (value.value) check();
  }

  var inputsForm = document.getElementById('inputs-form');
  if (inputsForm) {
    var texts = { yes: inputsForm.getAttribute('data-yes'), no: inputsForm.getAttribute('data-no'), bad: inputsForm.getAttribute('data-bad') };
    inputsForm.querySelectorAll('[data-regexp-input]').forEach(function (regexp) {
      var row = regexp.getAttribute('data-regexp-input');
      var sample = inputsForm.querySelector('[data-sample="' + row + '"]');
      var live = inputsForm.querySelector('[data-live="' + row + '"]');
      var run = function () { if (regexp.value) verdict(live, regexp.value, sample.value, texts); };
      regexp.addEventListener('input', run);
      sample.addEventListener('input', run);
      if (sample.value) run();
    });
  }

  var feeForm = document.getElementById('fee-form');
  if (feeForm) {
    var kind = document.getElementById('f-kind');
    var live = document.getElementById('fee-live');
    var minor = function (text) {
      var m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text.trim());
      return m ? BigInt(m[1]) * 100n + BigInt((m[2] || '').padEnd(2, '0') || '0') : null;
    };
    var money = function (value) {
      var s = value.toString().padStart(3, '0');
      return s.slice(0, -2) + '.' + s.slice(-2);
    };
    var field = function (id) { return document.getElementById(id).value; };
    var preview = function () {
      var amount = minor(field('f-sample'));
      if (amount === null || amount === 0n) { live.textContent = field('f-sample') ? feeForm.getAttribute('data-bad') : ''; return; }
      var low = 0n;
      var high = null;
      if (kind.value === 'none') high = 0n;
      if (kind.value === 'range') { low = minor(field('f-min')); high = minor(field('f-max')); }
      if (kind.value === 'percent') {
        var percent = minor(field('f-percent'));
        var floor = field('f-floor') ? minor(field('f-floor')) : 0n;
        if (percent === null || floor === null) { live.textContent = '?'; return; }
        high = (amount * percent) / 10000n;
        if (floor > high) high = floor;
      }
      if (low === null || (kind.value === 'range' && high === null)) { live.textContent = '?'; return; }
      live.textContent = money(low) + ' … ' + (high === null ? feeForm.getAttribute('data-any') : money(high));
      live.setAttribute('data-max', high === null ? '' : money(high));
    };
    var show = function () {
      feeForm.querySelectorAll('[data-kinds]').forEach(function (box) {
        box.hidden = box.getAttribute('data-kinds').split(' ').indexOf(kind.value) < 0;
      });
      preview();
    };
    kind.addEventListener('change', show);
    feeForm.querySelectorAll('input[type=text]').forEach(function (input) { input.addEventListener('input', preview); });
    show();
  }
})();
