// The playground's workspaces side by side: the page of each (`/?workspace=N`) in a frame of
// its own, as many as the playground plays (the state of the first says how many).
(function () {
  'use strict';

  fetch('/api/state?workspace=1', { cache: 'no-store' }).then(function (r) {
    return r.json();
  }).then(function (state) {
    var frames = document.getElementById('frames');
    for (var n = 1; n <= state.workspace.count; n++) {
      var frame = document.createElement('iframe');
      frame.src = '/?workspace=' + n;
      frame.title = 'Workspace ' + n;
      frame.className = 'workspace-frame';
      frame.setAttribute('data-workspace', String(n));
      frames.appendChild(frame);
    }
  });
})();
