// The portal's one script. A switch that other switches lock carries its rules in `data-locks`
// (JSON: `[{by, when, reason, reason_on}]`, the first rule that holds wins), written by the
// server from the rules it saves by. As the admin ticks a switch, each locked switch follows at
// once, before any save: disabled while a rule holds and it is off, enabled otherwise, and the
// reason beside it says why (`reason_on`, "untick it to save", when it is on). A switch the
// keyboard is on is not disabled under it (unticking a locked switch would drop the focus): it
// is, once the focus leaves. Without this script the pages work as before: the state shown is
// the saved one.
(() => {
  'use strict';

  function follow() {
    for (const input of document.querySelectorAll('input[data-locks]')) {
      let rules;
      try {
        rules = JSON.parse(input.dataset.locks);
      } catch {
        continue;
      }
      const holds = rules.find((r) => {
        const by = document.getElementById(r.by);
        return by !== null && by.checked === r.when;
      });
      input.disabled = holds !== undefined && !input.checked && input !== document.activeElement;
      const reason = document.getElementById(`${input.id}-reason`);
      if (reason === null) continue;
      reason.textContent = holds === undefined ? '' : input.checked ? holds.reason_on : holds.reason;
      reason.hidden = holds === undefined;
      const ids = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== reason.id);
      // The reason follows the help, as the server writes it.
      if (holds !== undefined) ids.splice(1, 0, reason.id);
      input.setAttribute('aria-describedby', ids.join(' '));
    }
  }

  document.addEventListener('change', follow);
  // Once the focus has left a switch (focusout comes before it lands elsewhere).
  document.addEventListener('focusout', () => setTimeout(follow));
  follow();
})();
