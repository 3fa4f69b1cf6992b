// The playground page: polls the playground server for what the fake Slack holds, draws the
// channels, the DM, the Home tab and any modal (their blocks with BlockKit, from blockkit.js),
// and posts what the person does there (commands, clicks, submissions, jobs to run).
(function () {
  'use strict';

  var h = BlockKit.h;
  var decodeEntities = BlockKit.decodeEntities;
  var mrkdwn = BlockKit.mrkdwn;
  var plainText = BlockKit.plainText;
  var renderBlocks = BlockKit.renderBlocks;
  var toLocalInput = BlockKit.toLocalInput;

  var POLL_MS = 1000;
  // Which workspace this page plays (`/?workspace=2`): every request names it, and what the
  // page remembers (who acts, which pane) is kept per workspace, as frames side by side share it.
  var WORKSPACE = new URLSearchParams(window.location.search).get('workspace') || '1';
  var LS_USER = 'partnerbot-playground.user.' + WORKSPACE;
  var LS_PANE = 'partnerbot-playground.pane.' + WORKSPACE;
  var COMMANDS = ['/partners', '/update', '/hotdesk', '/opportunity', '/session'];

  function lsGet(k) { try { return window.localStorage.getItem(k) || ''; } catch (e) { return ''; } }
  function lsSet(k, v) { try { window.localStorage.setItem(k, v); } catch (e) { /* ignore */ } }

  var userId = lsGet(LS_USER);
  var paneKey = lsGet(LS_PANE);          // channel id, '@dm' or 'home'
  var state = null;
  var pollBusy = false, pollQueued = false;
  var sidebarHash = '', usersHash = '', jobsHash = '', paneHash = '', paneId = '', wsHash = '';
  var homeRequestedFor = null;
  var modalView = null;                  // {id, user, hash, inputs}
  var modalLocalErrors = {};
  var seen = {};
  var history = [], historyPos = -1;
  var statusTimer = null;

  function $(id) { return document.getElementById(id); }

  function members() { return (state && state.members) || []; }
  function channels() { return (state && state.channels) || []; }
  function memberById(id) {
    var ms = members();
    for (var i = 0; i < ms.length; i++) if (ms[i].id === id) return ms[i];
    return null;
  }
  function channelName(id) {
    var cs = channels();
    for (var i = 0; i < cs.length; i++) {
      var c = cs[i];
      if (c.id === id || c.id === '#' + id || c.name === id) return c.name;
    }
    return String(id).replace(/^#/, '');
  }

  // ---------------------------------------------------------------- network
  function showStatus(msg, isErr) {
    var s = $('status');
    s.textContent = msg || '';
    s.className = isErr ? 'err' : '';
    if (statusTimer) clearTimeout(statusTimer);
    if (msg) statusTimer = setTimeout(function () { s.textContent = ''; s.className = ''; }, 8000);
  }
  function setConn(ok) { $('conn').hidden = !!ok; }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(Object.assign({ workspace: WORKSPACE }, body))
    }).then(function (r) {
      return r.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : {}; } catch (e) { data = null; }
        if (!r.ok) {
          var msg = (data && (data.error || data.detail)) || txt || ('HTTP ' + r.status);
          showStatus(path + ' failed: ' + (typeof msg === 'string' ? msg : JSON.stringify(msg)), true);
        } else if (data && typeof data.error === 'string' && data.error) {
          showStatus(data.error, true);
        }
        setConn(true);
        return data || {};
      });
    }).catch(function (e) {
      setConn(false);
      showStatus('Could not reach the playground server: ' + e.message, true);
      return null;
    }).then(function (data) {
      poll();
      return data;
    });
  }

  function poll() {
    if (pollBusy) { pollQueued = true; return; }
    pollBusy = true;
    var forUser = userId;
    var url = '/api/state?workspace=' + encodeURIComponent(WORKSPACE) +
      (forUser ? '&user=' + encodeURIComponent(forUser) : '');
    fetch(url, { cache: 'no-store' }).then(function (r) {
      if (r.status === 404) {
        return r.json().then(function (d) { showStatus(d.error, true); return null; });
      }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (s) {
      if (!s) return;
      setConn(true);
      if (forUser === userId) handleState(s);
    }).catch(function () {
      setConn(false);
    }).then(function () {
      pollBusy = false;
      if (pollQueued) { pollQueued = false; poll(); }
    });
  }

  function handleState(s) {
    var ms = s.members || [];
    var want = userId;
    var known = ms.some(function (m) { return m.id === want; });
    if (!known) want = ms.length ? ms[0].id : (s.me || '');
    if (want !== userId) { userId = want; lsSet(LS_USER, userId); }
    if (want && s.me && s.me !== want) {
      // state was for someone else (first load / stale choice): fetch again.
      state = s; renderUsers();
      pollQueued = true;
      return;
    }
    state = s;
    render();
  }

  // ---------------------------------------------------------------- render
  function currentChannel() {
    if (!state) return null;
    if (paneKey === 'home' || paneKey === '@dm' || paneKey === 'email') return state.bot_dm;
    return paneKey;
  }
  function validatePane() {
    var ok = paneKey === 'home' || paneKey === '@dm' || paneKey === 'email' ||
      channels().some(function (c) { return c.id === paneKey; });
    if (!ok) paneKey = channels().length ? channels()[0].id : '@dm';
  }

  function render() {
    validatePane();
    $('notice').textContent = 'Runs on your machine only (' + (state.bound || 'localhost') +
      '); messages go to a fake Slack, nothing leaves it.';
    renderWorkspace();
    renderUsers();
    renderSidebar();
    renderJobs();
    if (paneKey === 'home' && homeRequestedFor !== userId) requestHome();
    renderPane(false);
    renderModal();
  }

  // The workspace's name in the header and atop the sidebar, as in Slack; with more than one,
  // a link to all of them side by side.
  function renderWorkspace() {
    var ws = state.workspace || {};
    var hsh = JSON.stringify(ws);
    if (hsh === wsHash) return;
    wsHash = hsh;
    var several = ws.count > 1;
    $('workspace-number').textContent = several ? String(ws.number) : '';
    $('workspace-name').textContent = ws.name || '';
    $('workspace').title = several ? 'Workspace ' + ws.number + ' of ' + ws.count + ': ' + ws.name : ws.name;
    document.querySelector('#sidebar .ws').textContent = ws.name || 'Partnerbot playground';
    document.title = (ws.name ? ws.name + ' \u2014 ' : '') + 'Partnerbot playground';
    $('side-by-side').hidden = !several || window.top !== window.self;  // not in its own frame
  }

  function renderUsers() {
    var ms = members();
    var hsh = JSON.stringify(ms);
    var sel = $('user');
    if (hsh !== usersHash) {
      usersHash = hsh;
      sel.textContent = '';
      ms.forEach(function (m) {
        sel.appendChild(h('option', { value: m.id, text: m.name + (m.organisation ? ' \u2014 ' + m.organisation : '') }));
      });
    }
    if (sel.value !== userId) sel.value = userId;
  }

  function unreadFor(ch) {
    var key = userId + '|' + ch;
    var n = ((state.messages || {})[ch] || []).length;
    if (!(key in seen) || ch === currentChannel() && paneKey !== 'home') seen[key] = n;
    if (seen[key] > n) seen[key] = n;
    return n - seen[key];
  }

  function renderSidebar() {
    var hsh = JSON.stringify([channels(), state.bot_dm]);
    if (hsh !== sidebarHash) {
      sidebarHash = hsh;
      var cl = $('channel-list'), al = $('app-list');
      cl.textContent = ''; al.textContent = '';
      channels().forEach(function (c) {
        cl.appendChild(h('li', null, sideItem(c.id, c.id, h('span', { class: 'icon', text: '#' }), c.name)));
      });
      al.appendChild(h('li', null, sideItem('@dm', state.bot_dm || '', h('span', { class: 'bot-dot', text: 'P' }), 'Partnerbot')));
      al.appendChild(h('li', null, sideItem('home', 'home', h('span', { class: 'icon', text: '\u2302' }), 'Home')));
      al.appendChild(h('li', null, sideItem('email', 'email', h('span', { class: 'icon', text: '\u2709' }), 'Email')));
    }
    var items = document.querySelectorAll('#sidebar .side-item');
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      var key = it.getAttribute('data-key');
      it.classList.toggle('active', key === paneKey);
      if (key === 'home' || key === 'email') continue;
      var ch = key === '@dm' ? state.bot_dm : key;
      var n = unreadFor(ch);
      it.classList.toggle('unread', n > 0);
      var badge = it.querySelector('.badge');
      if (n > 0) {
        if (!badge) { badge = h('span', { class: 'badge' }); it.appendChild(badge); }
        badge.textContent = String(n);
      } else if (badge) badge.remove();
    }
  }
  function sideItem(key, dataChannel, icon, label) {
    return h('button', {
      type: 'button', class: 'side-item', 'data-key': key, 'data-channel': dataChannel,
      onclick: function () { selectPane(key); }
    }, icon, h('span', { class: 'label', text: label }));
  }
  function selectPane(key) {
    paneKey = key;
    lsSet(LS_PANE, key);
    if (key === 'home') requestHome();
    if (state) render();
    $('composer').focus();
  }
  function requestHome() {
    homeRequestedFor = userId;
    post('/api/home', { user: userId });
  }

  function renderJobs() {
    var jobs = state.jobs || [];
    var hsh = JSON.stringify(jobs);
    if (hsh === jobsHash) return;
    jobsHash = hsh;
    var sel = $('job'), prev = sel.value;
    sel.textContent = '';
    jobs.forEach(function (j) { sel.appendChild(h('option', { value: j, text: j })); });
    if (jobs.indexOf(prev) >= 0) sel.value = prev;
  }

  // What the bot emailed partners not on Slack (the playground's mail sink): each email as its
  // recipient would see it, in a sandboxed frame (no scripts; links open a new tab, where the
  // bot's /email/ pages answer them).
  function renderEmails(force) {
    $('pane-title').textContent = 'Email';
    $('pane-sub').textContent = 'What the bot sent to partners not on Slack';
    var emails = state.emails || [];
    var hsh = 'email|' + JSON.stringify(emails);
    if (!force && hsh === paneHash) return;
    paneHash = hsh; paneId = 'email';
    var box = $('messages');
    box.textContent = '';
    if (!emails.length) {
      box.appendChild(h('div', { class: 'empty', text: 'No emails yet. Book a desk at Northside Care Leavers Project (its key worker Jamal is not on Slack), then run the job "email".' }));
      return;
    }
    emails.slice().reverse().forEach(function (m) {
      var frame = h('iframe', { class: 'email-body', title: 'Email: ' + m.subject, sandbox: 'allow-popups allow-popups-to-escape-sandbox' });
      frame.srcdoc = '<base target="_blank">' + m.html;
      var facts = 'To ' + m.to + ' \u00b7 ' + m.at + (m.invitation ? ' \u00b7 calendar invitation (' + m.invitation + ')' : '') + (m.unsubscribe ? ' \u00b7 one-click unsubscribe' : '');
      box.appendChild(h('article', { class: 'email' },
        h('h2', { class: 'email-subject', text: m.subject }),
        h('div', { class: 'email-facts', text: facts }),
        frame));
    });
  }

  function renderPane(force) {
    if (paneKey === 'email') { renderEmails(force); return; }
    var isHome = paneKey === 'home';
    var ch = currentChannel();
    var title = $('pane-title'), sub = $('pane-sub');
    if (isHome) { title.textContent = 'Partnerbot'; sub.textContent = 'Home'; }
    else if (paneKey === '@dm') { title.textContent = 'Partnerbot'; sub.textContent = 'Direct messages with the app'; }
    else { title.textContent = '# ' + channelName(ch); sub.textContent = ''; }

    var msgs = isHome ? null : ((state.messages || {})[ch] || []);
    var id = userId + '|' + paneKey + '|' + ch;
    var hsh = id + '|' + JSON.stringify(isHome ? state.home : msgs) + '|' + usersHash + '|' + sidebarHash;
    if (!force && hsh === paneHash) return;
    var switched = id !== paneId;
    paneHash = hsh; paneId = id;

    var box = $('messages');
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    var prevTop = box.scrollTop;
    box.textContent = '';
    if (isHome) {
      var home = h('div', { id: 'home' });
      if (!state.home) home.appendChild(h('div', { class: 'empty', text: 'Loading the Home tab\u2026' }));
      else home.appendChild(renderBlocks(state.home.blocks || [], { view_id: 'home', channel: null, message_ts: null, ephemeral: false }).node);
      box.appendChild(home);
      box.scrollTop = switched ? 0 : prevTop;
      return;
    }
    if (!msgs.length) {
      box.appendChild(h('div', { class: 'empty', text: 'No messages here yet. Try a slash command below, e.g. /partners help.' }));
    }
    var lastDay = '';
    msgs.forEach(function (m) {
      var d = tsDate(m.ts);
      var day = d ? d.toDateString() : '';
      if (day && day !== lastDay) {
        lastDay = day;
        box.appendChild(h('div', { class: 'day-sep', text: d.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' }) }));
      }
      box.appendChild(renderMessage(m, ch));
    });
    box.scrollTop = (switched || atBottom) ? box.scrollHeight : prevTop;
  }

  function tsDate(ts) {
    var n = parseFloat(ts);
    return isFinite(n) ? new Date(n * 1000) : null;
  }

  function renderMessage(m, ch) {
    var ctx = { channel: ch, message_ts: m.ts, ephemeral: !!m.ephemeral, view_id: null };
    var el = h('div', { class: 'message' + (m.ephemeral ? ' ephemeral' : ''), 'data-ts': m.ts });
    var author = m.user && !m.bot_id ? memberById(m.user) : null;
    var name = author ? author.name : 'Partnerbot';
    var avatar = author
      ? h('div', { class: 'avatar user', text: initials(author.name) })
      : h('div', { class: 'avatar', text: 'P' });
    var d = tsDate(m.ts);
    var head = h('div', { class: 'msg-head' },
      h('span', { class: 'msg-name', text: name }),
      author ? null : h('span', { class: 'app-badge', text: 'APP' }),
      d ? h('span', { class: 'msg-time', title: d.toLocaleString(), text: d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }) : null,
      m.edited ? h('span', { class: 'msg-edited', text: '(edited)' }) : null,
      m.ephemeral ? h('span', { class: 'eph-label', text: '\ud83d\udc41 Only visible to you' }) : null
    );
    var content = h('div', { class: 'msg-content' });
    if (m.blocks && m.blocks.length) content.appendChild(renderBlocks(m.blocks, ctx).node);
    else if (m.text) content.appendChild(h('div', { class: 'msg-text', html: mrkdwn(m.text) }));
    (m.attachments || []).forEach(function (a) { content.appendChild(renderAttachment(a, ctx)); });
    (m.files || []).forEach(function (f) { content.appendChild(renderFile(f)); });
    el.appendChild(avatar);
    el.appendChild(h('div', { class: 'msg-body' }, head, content));
    return el;
  }
  function initials(n) {
    return String(n || '?').split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w.charAt(0).toUpperCase(); }).join('');
  }
  function fmtSize(n) {
    n = Number(n);
    if (!isFinite(n) || n < 0) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  }
  function renderFile(f) {
    var fname = f.name || 'file';
    var ext = (fname.split('.').pop() || '').toLowerCase();
    var icon = ext === 'ics' ? '\ud83d\udcc5' : (ext === 'csv' || ext === 'xlsx') ? '\ud83d\udcca' : ext === 'pdf' ? '\ud83d\udcd5' : '\ud83d\udcc4';
    var url = f.url || f.url_private || f.url_private_download || f.permalink;
    var titleText = f.title || fname;
    var titleEl = (url && /^(https?:\/\/|\/)/i.test(url))
      ? h('a', { href: url, target: '_blank', rel: 'noopener', download: fname, text: titleText })
      : h('span', { text: titleText });
    var meta = [fname !== titleText ? fname : null, f.size !== undefined ? fmtSize(f.size) : null, ext ? ext.toUpperCase() : null]
      .filter(Boolean).join(' \u00b7 ');
    var card = h('div', { class: 'file-card', 'data-file-name': fname },
      h('div', { class: 'file-icon', text: icon }),
      h('div', { class: 'file-info' }, h('div', { class: 'file-title' }, titleEl), h('div', { class: 'file-meta', text: meta })));
    if (!(url && /^\/files\//.test(url) && /^(png|jpe?g|gif)$/.test(ext))) return card;
    // An image the app uploaded (the report's chart sheet): shown, as Slack shows it.
    return h('div', { class: 'file-with-image' }, card,
      h('img', { class: 'file-image', src: url, alt: titleText, 'data-file-name': fname }));
  }
  function attColor(c) {
    var named = { good: '#2eb67d', warning: '#ecb22e', danger: '#e01e5a' };
    if (named[c]) return named[c];
    if (typeof c === 'string' && /^#?[0-9a-f]{3,8}$/i.test(c)) return c.charAt(0) === '#' ? c : '#' + c;
    return '#dddddd';
  }
  function renderAttachment(a, ctx) {
    var d = h('div', { class: 'attachment' });
    d.style.borderLeftColor = attColor(a.color);
    if (a.pretext) d.appendChild(h('div', { html: mrkdwn(a.pretext) }));
    if (a.title) {
      var t = h('div', { class: 'att-title' });
      if (a.title_link && /^https?:/i.test(a.title_link)) t.appendChild(h('a', { href: a.title_link, target: '_blank', rel: 'noopener', text: decodeEntities(a.title) }));
      else t.textContent = decodeEntities(a.title);
      d.appendChild(t);
    }
    if (a.text) d.appendChild(h('div', { html: mrkdwn(a.text) }));
    if (a.blocks) d.appendChild(renderBlocks(a.blocks, ctx).node);
    if (a.fields && a.fields.length) {
      var g = h('div', { class: 'att-fields' });
      a.fields.forEach(function (f) {
        g.appendChild(h('div', null, h('div', { class: 'att-field-title', text: decodeEntities(f.title || '') }), h('div', { html: mrkdwn(f.value || '') })));
      });
      d.appendChild(g);
    }
    if (a.footer) d.appendChild(h('div', { class: 'blk-context', html: mrkdwn(a.footer) }));
    if (!d.childNodes.length && a.fallback) d.appendChild(h('div', { html: mrkdwn(a.fallback) }));
    return d;
  }

  function sendAction(ctx, action) {
    var inView = !!ctx.view_id;
    post('/api/action', {
      user: userId,
      channel: inView ? null : (ctx.channel || null),
      message_ts: inView ? null : (ctx.message_ts || null),
      ephemeral: !!ctx.ephemeral,
      view_id: inView ? ctx.view_id : null,
      action: action
    });
  }

  // ---------------------------------------------------------------- modal
  function labelOf(v, dflt) {
    if (v === null || v === undefined || v === '') return dflt;
    return typeof v === 'string' ? decodeEntities(v) : plainText(v);
  }

  function renderModal() {
    var m = state.modal;
    var root = $('modal-root');
    if (!m) {
      if (modalView || root.firstChild) { root.textContent = ''; modalView = null; modalLocalErrors = {}; }
      return;
    }
    var hsh = JSON.stringify([m.title, m.submit, m.close, m.blocks, usersHash]);
    if (!modalView || modalView.id !== m.id || modalView.user !== userId) {
      modalLocalErrors = {};
      buildModal(m, hsh, null);
    } else if (modalView.hash !== hsh) {
      var saved = {};
      modalView.inputs.forEach(function (inp) { saved[inp.blockId] = { type: inp.type, state: inp.read() }; });
      buildModal(m, hsh, saved);
    }
    updateModalErrors();
  }

  function buildModal(m, hsh, saved) {
    var root = $('modal-root');
    var oldBody = root.querySelector('.modal-body');
    var oldScroll = oldBody ? oldBody.scrollTop : 0;
    var active = document.activeElement;
    var focusName = saved && active && root.contains(active) ? active.getAttribute('name') : null;

    var ctx = { view_id: m.id, channel: null, message_ts: null, ephemeral: false };
    var rb = renderBlocks(m.blocks || [], ctx);
    if (saved) {
      rb.inputs.forEach(function (inp) {
        var s = saved[inp.blockId];
        if (s && s.type === inp.type) { try { inp.apply(s.state); } catch (e) { /* ignore */ } }
      });
    }
    var general = h('div', { class: 'modal-general-error', hidden: true });
    var body = h('div', { class: 'modal-body' }, general, rb.node);
    var foot = h('div', { class: 'modal-foot' },
      h('button', { type: 'button', id: 'modal-close', class: 'btn', text: labelOf(m.close, 'Cancel'), onclick: closeModal }),
      m.submit ? h('button', { type: 'button', id: 'modal-submit', class: 'btn btn-primary', text: labelOf(m.submit, 'Submit'), onclick: submitModal }) : null
    );
    var dlg = h('div', { id: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'modal-title', 'data-view-id': m.id },
      h('div', { class: 'modal-head' },
        h('span', { class: 'bot-dot', text: 'P' }),
        h('h2', { id: 'modal-title', text: labelOf(m.title, 'Partnerbot') }),
        h('button', { type: 'button', class: 'modal-x', 'aria-label': 'Close', text: '\u00d7', onclick: closeModal })),
      body, foot);
    var backdrop = h('div', { class: 'modal-backdrop' }, dlg);
    root.textContent = '';
    root.appendChild(backdrop);
    modalView = { id: m.id, user: userId, hash: hsh, inputs: rb.inputs, general: general };
    if (saved) {
      body.scrollTop = oldScroll;
      if (focusName) {
        var f = dlg.querySelector('[name="' + focusName.replace(/["\\]/g, '\\$&') + '"]');
        if (f) f.focus();
      }
    } else {
      var first = dlg.querySelector('.modal-body input, .modal-body textarea, .modal-body select');
      if (first) first.focus();
    }
  }

  function updateModalErrors() {
    if (!modalView) return;
    var errs = {};
    var se = (state && state.modal && state.modal.errors) || {};
    Object.keys(se).forEach(function (k) { errs[k] = se[k]; });
    Object.keys(modalLocalErrors).forEach(function (k) { errs[k] = modalLocalErrors[k]; });
    var known = {};
    modalView.inputs.forEach(function (inp) {
      known[inp.blockId] = true;
      var msg = errs[inp.blockId];
      inp.errorEl.textContent = msg ? String(msg) : '';
      inp.errorEl.hidden = !msg;
      inp.wrapper.classList.toggle('has-error', !!msg);
    });
    var other = Object.keys(errs).filter(function (k) { return !known[k] && errs[k]; })
      .map(function (k) { return String(errs[k]); });
    modalView.general.textContent = other.join(' \u00b7 ');
    modalView.general.hidden = !other.length;
  }

  function submitModal() {
    if (!modalView) return;
    var values = {};
    modalView.inputs.forEach(function (inp) {
      if (!values[inp.blockId]) values[inp.blockId] = {};
      values[inp.blockId][inp.actionId] = inp.read();
    });
    var viewId = modalView.id;
    var btn = $('modal-submit');
    if (btn) btn.disabled = true;
    modalLocalErrors = {};
    updateModalErrors();
    post('/api/submit', { user: userId, view_id: viewId, values: values }).then(function (data) {
      var b = $('modal-submit');
      if (b) b.disabled = false;
      if (data && data.errors && Object.keys(data.errors).length) {
        if (modalView && modalView.id === viewId) {
          modalLocalErrors = data.errors;
          updateModalErrors();
        }
      }
    });
  }
  function closeModal() {
    post('/api/close', { user: userId });
  }

  // ---------------------------------------------------------------- composer & jobs
  function sendCommand() {
    var c = $('composer');
    var text = c.value.trim();
    if (!text) return;
    if (text.charAt(0) !== '/') {
      showStatus('Only slash commands work here \u2014 try /partners help', true);
      return;
    }
    if (!state) { showStatus('Still connecting to the playground server\u2026', true); return; }
    var channel = (paneKey === 'home' || paneKey === '@dm') ? state.bot_dm : paneKey;
    history.push(text); historyPos = -1;
    c.value = '';
    showStatus('Sent ' + text.split(/\s+/)[0] + (paneKey === 'home' ? ' (replies go to the Partnerbot DM)' : ''), false);
    post('/api/command', { user: userId, channel: channel, text: text });
  }

  function init() {
    var hints = $('hints');
    COMMANDS.forEach(function (cmd) {
      hints.appendChild(h('button', {
        type: 'button', class: 'hint-chip', text: cmd, title: 'Insert ' + cmd,
        onclick: function () { var c = $('composer'); c.value = cmd + ' '; c.focus(); }
      }));
    });
    $('composer').addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); sendCommand(); }
      else if (e.key === 'ArrowUp' && history.length) {
        e.preventDefault();
        historyPos = historyPos < 0 ? history.length - 1 : Math.max(0, historyPos - 1);
        this.value = history[historyPos];
      } else if (e.key === 'ArrowDown' && historyPos >= 0) {
        e.preventDefault();
        historyPos += 1;
        if (historyPos >= history.length) { historyPos = -1; this.value = ''; }
        else this.value = history[historyPos];
      }
    });
    $('user').addEventListener('change', function () {
      userId = this.value;
      lsSet(LS_USER, userId);
      modalView = null; modalLocalErrors = {};
      $('modal-root').textContent = '';
      paneHash = ''; homeRequestedFor = null;
      if (state && paneKey === 'home') requestHome();
      poll();
    });
    $('job-now').value = toLocalInput(new Date());
    $('job-run').addEventListener('click', function () {
      var name = $('job').value;
      if (!name) { $('job-result').textContent = 'No job selected.'; return; }
      var now = $('job-now').value || toLocalInput(new Date());
      var btn = this;
      btn.disabled = true;
      $('job-result').textContent = 'Running ' + name + '\u2026';
      post('/api/job', { name: name, now: now }).then(function (data) {
        btn.disabled = false;
        if (!data) { $('job-result').textContent = 'Failed: server not reachable.'; return; }
        var s = data.summary !== undefined ? data.summary : (data.error ? 'Error: ' + data.error : JSON.stringify(data, null, 2));
        $('job-result').textContent = typeof s === 'string' ? s : JSON.stringify(s, null, 2);
      });
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && modalView) closeModal();
    });
    poll();
    setInterval(poll, POLL_MS);
  }

  BlockKit.configure({
    members: members,
    channels: channels,
    memberById: memberById,
    channelName: channelName,
    onAction: sendAction,
    chooseFile: function (filename, content) {
      return post('/api/choose_file', { user: userId, filename: filename, content: content });
    }
  });
  init();
})();
