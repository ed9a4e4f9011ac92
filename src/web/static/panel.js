'use strict';
// Small behaviours of the signed-in panels; every page works without them (forms post, links navigate).
(function () {
  // A form that changes something important asks first (data-confirm holds the question).
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  });
  // One submission per form: a second click does nothing (a top-up proposed twice is two proposals).
  document.querySelectorAll('form[method=post]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented) return;
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
    });
  });
  // Copy buttons: data-copy names the element whose text is copied.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim()).then(function () { button.textContent = button.getAttribute('data-copied') || button.textContent; });
    });
  });
  // The server ends an idle session; the page goes back to the login when that time has passed without a click.
  var body = document.body;
  var idle = Number(body.getAttribute('data-idle-ms'));
  var login = body.getAttribute('data-login');
  if (idle > 0 && login) setTimeout(function () { window.location.assign(login); }, idle + 1000);
  // The menu is open in the markup (a page without scripts shows it); on a phone it starts folded under its button.
  var menu = document.querySelector('details.menu');
  if (menu && window.matchMedia('(max-width: 48rem)').matches) menu.removeAttribute('open');
  // Selects marked data-autosubmit send their form when changed (the language of a filter, the page size).
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { if (select.form) select.form.submit(); });
  });
})();
