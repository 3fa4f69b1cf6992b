// Block Kit and mrkdwn drawn as Slack draws them, for the playground page (loaded before page.js).
// It builds DOM nodes and holds nothing of the page: BlockKit.configure tells it the people and
// channels there are (for mentions and the user and channel selects) and what to do when someone
// uses an element (a click, a choice).
var BlockKit = (function () {
  'use strict';

  var EMOJI = {
    white_check_mark: '\u2705', warning: '\u26a0\ufe0f', wave: '\ud83d\udc4b', hourglass: '\u231b',
    hourglass_flowing_sand: '\u23f3', calendar: '\ud83d\udcc5', wastebasket: '\ud83d\uddd1\ufe0f',
    raised_hand: '\u270b', mortar_board: '\ud83c\udf93', moneybag: '\ud83d\udcb0', briefcase: '\ud83d\udcbc',
    raised_hands: '\ud83d\ude4c', sparkles: '\u2728', lock: '\ud83d\udd12', star: '\u2b50',
    alarm_clock: '\u23f0', handshake: '\ud83e\udd1d', bell: '\ud83d\udd14', sos: '\ud83c\udd98',
    seedling: '\ud83c\udf31', tada: '\ud83c\udf89', no_entry_sign: '\ud83d\udeab', mag: '\ud83d\udd0d',
    inbox_tray: '\ud83d\udce5', arrow_forward: '\u25b6\ufe0f', x: '\u274c', heavy_check_mark: '\u2714\ufe0f',
    memo: '\ud83d\udcdd', pushpin: '\ud83d\udccc', house: '\ud83c\udfe0', information_source: '\u2139\ufe0f'
  };
  var page = {
    members: function () { return []; },
    channels: function () { return []; },
    memberById: function () { return null; },
    channelName: function (id) { return String(id); },
    onAction: function () {}
  };
  var uidCounter = 0;

  function configure(p) { page = p; }
  function uid(p) { uidCounter += 1; return (p || 'u') + uidCounter; }
  function memberName(id) { var m = page.memberById(id); return m ? m.name : id; }

  // ---------------------------------------------------------------- helpers
  function h(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k === 'html') e.innerHTML = v;          // only ever sanitised strings
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'multiple' || k === 'disabled') e[k] = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }
  function esc(s) {
    return String(s === null || s === undefined ? '' : s)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }
  function decodeEntities(s) {
    return String(s === null || s === undefined ? '' : s)
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }
  function emojify(s) {
    return s.replace(/:([a-z0-9_+\-]+):/g, function (m, n) { return EMOJI[n] || m; });
  }

  // ---------------------------------------------------------------- mrkdwn
  function renderAngle(inner) {
    var bar = inner.indexOf('|');
    var target = bar >= 0 ? inner.slice(0, bar) : inner;
    var label = bar >= 0 ? inner.slice(bar + 1) : null;
    var c0 = target.charAt(0);
    if (c0 === '@') {
      var uidv = target.slice(1);
      var m = page.memberById(uidv);
      var nm = m ? m.name : (label ? decodeEntities(label).replace(/^@/, '') : uidv);
      return '<span class="mention">@' + esc(nm) + '</span>';
    }
    if (c0 === '#') {
      var cn = label ? decodeEntities(label) : page.channelName(target.slice(1));
      return '<span class="mention">#' + esc(cn) + '</span>';
    }
    if (c0 === '!') {
      if (label) return '<span class="mention">' + esc(decodeEntities(label)) + '</span>';
      return '<span class="mention">@' + esc(target.slice(1).split('^')[0]) + '</span>';
    }
    var url = decodeEntities(target);
    var text = label !== null ? decodeEntities(label) : url;
    if (/^(https?:|mailto:|tel:)/i.test(url)) {
      return '<a href="' + esc(url) + '" target="_blank" rel="noopener">' + emojify(esc(text)) + '</a>';
    }
    return esc('<' + decodeEntities(inner) + '>');
  }

  function formatInline(s) {
    var tokens = [];
    s = s.replace(/<([^<>]+)>/g, function (m, inner) {
      tokens.push(renderAngle(inner));
      return '\u0001' + (tokens.length - 1) + '\u0002';
    });
    var out = emojify(esc(decodeEntities(s)));
    out = out.replace(/(^|[^\w*])\*([^*\s](?:[^*\n]*?[^*\s])?)\*(?![\w*])/g, '$1<b>$2</b>');
    out = out.replace(/(^|[^\w_])_([^_\s](?:[^_\n]*?[^_\s])?)_(?![\w_])/g, '$1<i>$2</i>');
    out = out.replace(/(^|[^\w~])~([^~\s](?:[^~\n]*?[^~\s])?)~(?![\w~])/g, '$1<s>$2</s>');
    out = out.replace(/\n/g, '<br>');
    out = out.replace(/\u0001(\d+)\u0002/g, function (m, i) { return tokens[+i] || ''; });
    return out;
  }
  function inlineCode(p) {
    var segs = p.split(/`([^`\n]+)`/);
    return segs.map(function (s, i) {
      return i % 2 ? '<code>' + esc(decodeEntities(s)) + '</code>' : formatInline(s);
    }).join('');
  }
  function mrkdwn(src) {
    src = String(src === null || src === undefined ? '' : src);
    var parts = src.split('```');
    if (parts.length % 2 === 0) { var last = parts.pop(); parts[parts.length - 1] += '```' + last; }
    return parts.map(function (p, i) {
      if (i % 2 === 1) {
        return '<pre class="code-block">' + esc(decodeEntities(p.replace(/^\n/, '').replace(/\n$/, ''))) + '</pre>';
      }
      return inlineCode(p);
    }).join('');
  }
  // Safe HTML for a Block Kit text object (or a plain string).
  function textHtml(t) {
    if (t === null || t === undefined) return '';
    if (typeof t === 'string') return emojify(esc(decodeEntities(t))).replace(/\n/g, '<br>');
    if (t.type === 'mrkdwn') return mrkdwn(t.text);
    return emojify(esc(decodeEntities(t.text))).replace(/\n/g, '<br>');
  }
  function plainText(t) {
    var d = document.createElement('div');
    d.innerHTML = textHtml(t).replace(/<br>/g, '\n');
    return d.textContent;
  }

  // ---------------------------------------------------------------- blocks
  function renderBlocks(blocks, ctx) {
    var wrap = h('div', { class: 'blocks' });
    var inputs = [];
    (blocks || []).forEach(function (b, i) {
      try {
        var n = renderBlock(b, ctx, i, inputs);
        if (n) wrap.appendChild(n);
      } catch (e) {
        wrap.appendChild(h('div', { class: 'blk-context', text: '[could not render ' + (b && b.type) + ' block: ' + e.message + ']' }));
      }
    });
    return { node: wrap, inputs: inputs };
  }

  function renderBlock(b, ctx, i, inputs) {
    if (!b || typeof b !== 'object') return null;
    var blockId = b.block_id || ('block-' + i);
    var n, el;
    switch (b.type) {
      case 'header':
        return h('div', { class: 'blk-header', html: textHtml(b.text) });
      case 'section':
        n = h('div', { class: 'blk-section' });
        var main = h('div', { class: 'section-main' });
        if (b.text) main.appendChild(h('div', { class: 'section-text', html: textHtml(b.text) }));
        if (b.fields && b.fields.length) {
          var f = h('div', { class: 'section-fields' });
          b.fields.forEach(function (x) { f.appendChild(h('div', { html: textHtml(x) })); });
          main.appendChild(f);
        }
        n.appendChild(main);
        if (b.accessory && b.accessory.type !== 'image') {
          el = renderElement(b.accessory, ctx, blockId, { interactive: true });
          if (el) n.appendChild(h('div', { class: 'accessory' }, el.node));
        }
        return n;
      case 'context':
        n = h('div', { class: 'blk-context' });
        (b.elements || []).forEach(function (x) {
          if (x.type === 'image') return;
          n.appendChild(h('span', { html: textHtml(x) }));
        });
        return n;
      case 'divider':
        return h('hr', { class: 'blk-divider' });
      case 'actions':
        n = h('div', { class: 'blk-actions', 'data-actions-block-id': blockId });
        (b.elements || []).forEach(function (x) {
          var r = renderElement(x, ctx, blockId, { interactive: true });
          if (r) n.appendChild(r.node);
        });
        return n;
      case 'input':
        n = h('div', { class: 'blk-input', 'data-block-id': blockId });
        var label = h('div', { class: 'input-label', html: textHtml(b.label) });
        if (b.optional) label.appendChild(h('span', { class: 'input-optional', text: ' (optional)' }));
        n.appendChild(label);
        el = b.element ? renderElement(b.element, ctx, blockId, { interactive: !!b.dispatch_action, name: blockId }) : null;
        if (el) n.appendChild(el.node);
        if (b.hint) n.appendChild(h('div', { class: 'input-hint', html: textHtml(b.hint) }));
        var err = h('div', { class: 'input-error', hidden: true });
        n.appendChild(err);
        if (el && b.element) {
          inputs.push({
            blockId: blockId, actionId: el.actionId, type: b.element.type,
            read: el.read, apply: el.apply, errorEl: err, wrapper: n
          });
        }
        return n;
      case 'image':
        return h('div', { class: 'blk-image', text: '\ud83d\uddbc ' + (b.title ? plainText(b.title) : (b.alt_text || 'image')) });
      case 'rich_text':
        return renderRichText(b);
      default:
        return null;
    }
  }

  function rtInline(e) {
    var s;
    switch (e.type) {
      case 'text': s = emojify(esc(e.text)).replace(/\n/g, '<br>'); break;
      case 'link':
        s = /^(https?:|mailto:)/i.test(e.url || '')
          ? '<a href="' + esc(e.url) + '" target="_blank" rel="noopener">' + esc(e.text || e.url) + '</a>'
          : esc(e.text || e.url || '');
        break;
      case 'user': s = '<span class="mention">@' + esc(memberName(e.user_id)) + '</span>'; break;
      case 'channel': s = '<span class="mention">#' + esc(page.channelName(e.channel_id)) + '</span>'; break;
      case 'emoji': s = EMOJI[e.name] || esc(':' + e.name + ':'); break;
      case 'broadcast': s = '<span class="mention">@' + esc(e.range) + '</span>'; break;
      default: s = esc(e.text || '');
    }
    var st = e.style || {};
    if (st.code) s = '<code>' + s + '</code>';
    if (st.bold) s = '<b>' + s + '</b>';
    if (st.italic) s = '<i>' + s + '</i>';
    if (st.strike) s = '<s>' + s + '</s>';
    return s;
  }
  function renderRichText(b) {
    var div = h('div', { class: 'blk-rich' });
    (b.elements || []).forEach(function (sec) {
      var inner = (sec.elements || []).map(rtInline).join('');
      if (sec.type === 'rich_text_preformatted') div.appendChild(h('pre', { class: 'code-block', html: inner }));
      else if (sec.type === 'rich_text_quote') div.appendChild(h('blockquote', { html: inner }));
      else if (sec.type === 'rich_text_list') {
        var l = h(sec.style === 'ordered' ? 'ol' : 'ul');
        (sec.elements || []).forEach(function (item) {
          l.appendChild(h('li', { html: (item.elements || []).map(rtInline).join('') }));
        });
        div.appendChild(l);
      } else div.appendChild(h('div', { html: inner }));
    });
    return div;
  }

  function optObj(o) {
    if (!o) return null;
    var r = { text: o.text, value: o.value };
    if (o.description) r.description = o.description;
    return r;
  }
  function setSelectValue(sel, v) {
    sel.value = v === null || v === undefined ? '' : String(v);
    if (sel.selectedIndex < 0) sel.value = '';
  }
  function setMulti(sel, values) {
    var set = {};
    (values || []).forEach(function (v) { set[String(v)] = true; });
    for (var i = 0; i < sel.options.length; i++) sel.options[i].selected = !!set[sel.options[i].value];
  }
  function selectedValues(sel) {
    var out = [];
    for (var i = 0; i < sel.options.length; i++) if (sel.options[i].selected && sel.options[i].value !== '') out.push(sel.options[i].value);
    return out;
  }
  function buildOptions(sel, el, optMap) {
    function add(parent, o) {
      var v = String(o.value);
      optMap[v] = o;
      parent.appendChild(h('option', { value: v, text: plainText(o.text) }));
    }
    if (el.option_groups) {
      el.option_groups.forEach(function (g) {
        var og = h('optgroup', { label: plainText(g.label) });
        (g.options || []).forEach(function (o) { add(og, o); });
        sel.appendChild(og);
      });
    } else {
      (el.options || []).forEach(function (o) { add(sel, o); });
    }
  }

  // Returns {node, actionId, read(), apply(state)} for a Block Kit element.
  function renderElement(el, ctx, blockId, opts) {
    if (!el || typeof el !== 'object') return null;
    var actionId = el.action_id || (blockId + '-' + el.type);
    var interactive = !!opts.interactive;
    function fire(st) {
      var a = { action_id: actionId, block_id: blockId };
      Object.keys(st).forEach(function (k) { a[k] = st[k]; });
      page.onAction(ctx, a);
    }
    function nameAttr(node) { if (opts.name) node.setAttribute('name', opts.name); }
    var node, read, apply, sel, inp, optMap = {};
    var placeholder = el.placeholder ? plainText(el.placeholder) : null;

    switch (el.type) {
      case 'button': {
        var cls = 'btn' + (el.style === 'primary' ? ' btn-primary' : el.style === 'danger' ? ' btn-danger' : '');
        node = h('button', { type: 'button', class: cls, 'data-action-id': actionId, html: textHtml(el.text) });
        if (el.value !== undefined) node.setAttribute('data-value', el.value);
        node.addEventListener('click', function () {
          if (el.confirm) {
            var c = el.confirm;
            var msg = [c.title ? plainText(c.title) : '', c.text ? plainText(c.text) : ''].filter(Boolean).join('\n\n');
            if (!window.confirm(msg || 'Are you sure?')) return;
          }
          if (el.url && /^https?:/i.test(el.url)) window.open(el.url, '_blank', 'noopener');
          var st = { type: 'button' };
          if (el.value !== undefined) st.value = el.value;
          if (el.text) st.text = el.text;
          fire(st);
        });
        read = function () { return { type: 'button' }; };
        apply = function () {};
        break;
      }
      case 'static_select':
      case 'external_select': {
        sel = h('select', { class: 'sel', 'data-action-id': actionId });
        nameAttr(sel);
        sel.appendChild(h('option', { value: '', text: placeholder || 'Select an option' }));
        buildOptions(sel, el, optMap);
        if (el.initial_option) setSelectValue(sel, el.initial_option.value);
        read = function () {
          return { type: el.type, selected_option: sel.value !== '' && optMap[sel.value] ? optObj(optMap[sel.value]) : null };
        };
        apply = function (s) { setSelectValue(sel, s && s.selected_option ? s.selected_option.value : ''); };
        if (interactive) sel.addEventListener('change', function () { if (sel.value !== '') fire(read()); });
        node = sel;
        break;
      }
      case 'multi_static_select':
      case 'multi_external_select': {
        sel = h('select', { class: 'sel', multiple: true, 'data-action-id': actionId });
        nameAttr(sel);
        buildOptions(sel, el, optMap);
        sel.size = Math.min(Math.max(sel.options.length, 2), 6);
        setMulti(sel, (el.initial_options || []).map(function (o) { return o.value; }));
        read = function () {
          return { type: el.type, selected_options: selectedValues(sel).map(function (v) { return optObj(optMap[v]); }) };
        };
        apply = function (s) { setMulti(sel, ((s && s.selected_options) || []).map(function (o) { return o.value; })); };
        if (interactive) sel.addEventListener('change', function () { fire(read()); });
        node = h('div', null, sel, h('div', { class: 'multi-hint', text: 'Ctrl/\u2318-click to choose several' }));
        break;
      }
      case 'users_select':
      case 'multi_users_select': {
        var multi = el.type === 'multi_users_select';
        sel = h('select', { class: 'sel', 'data-action-id': actionId, multiple: multi });
        nameAttr(sel);
        if (!multi) sel.appendChild(h('option', { value: '', text: placeholder || 'Select a person' }));
        page.members().forEach(function (m) {
          sel.appendChild(h('option', { value: m.id, text: m.name }));
        });
        if (multi) {
          sel.size = Math.min(Math.max(sel.options.length, 2), 6);
          setMulti(sel, el.initial_users || []);
          read = function () { return { type: el.type, selected_users: selectedValues(sel) }; };
          apply = function (s) { setMulti(sel, (s && s.selected_users) || []); };
          if (interactive) sel.addEventListener('change', function () { fire(read()); });
          node = h('div', null, sel, h('div', { class: 'multi-hint', text: 'Ctrl/\u2318-click to choose several' }));
        } else {
          if (el.initial_user) setSelectValue(sel, el.initial_user);
          read = function () { return { type: el.type, selected_user: sel.value || null }; };
          apply = function (s) { setSelectValue(sel, s && s.selected_user); };
          if (interactive) sel.addEventListener('change', function () { if (sel.value) fire(read()); });
          node = sel;
        }
        break;
      }
      case 'channels_select':
      case 'conversations_select': {
        var key = el.type === 'channels_select' ? 'selected_channel' : 'selected_conversation';
        sel = h('select', { class: 'sel', 'data-action-id': actionId });
        nameAttr(sel);
        sel.appendChild(h('option', { value: '', text: placeholder || 'Select a channel' }));
        page.channels().forEach(function (c) { sel.appendChild(h('option', { value: c.id, text: '# ' + c.name })); });
        setSelectValue(sel, el.initial_channel || el.initial_conversation);
        read = function () { var s = { type: el.type }; s[key] = sel.value || null; return s; };
        apply = function (s) { setSelectValue(sel, s && s[key]); };
        if (interactive) sel.addEventListener('change', function () { if (sel.value) fire(read()); });
        node = sel;
        break;
      }
      case 'overflow': {
        sel = h('select', { class: 'overflow-sel', 'data-action-id': actionId, title: 'More actions', 'aria-label': 'More actions' });
        nameAttr(sel);
        var ph = h('option', { value: '', text: '\u22ef' });
        ph.disabled = true; ph.hidden = true;
        sel.appendChild(ph);
        buildOptions(sel, el, optMap);
        sel.selectedIndex = 0;
        sel.addEventListener('change', function () {
          var o = optMap[sel.value];
          sel.selectedIndex = 0;
          if (!o) return;
          if (o.url && /^https?:/i.test(o.url)) window.open(o.url, '_blank', 'noopener');
          fire({ type: 'overflow', selected_option: optObj(o) });
        });
        read = function () { return { type: 'overflow' }; };
        apply = function () {};
        node = sel;
        break;
      }
      case 'datepicker':
      case 'timepicker':
      case 'datetimepicker': {
        var isDate = el.type === 'datepicker', isTime = el.type === 'timepicker';
        inp = h('input', { class: 'inp', type: isDate ? 'date' : isTime ? 'time' : 'datetime-local', 'data-action-id': actionId });
        nameAttr(inp);
        if (isDate && el.initial_date) inp.value = el.initial_date;
        if (isTime && el.initial_time) inp.value = el.initial_time;
        if (!isDate && !isTime && el.initial_date_time) inp.value = toLocalInput(new Date(el.initial_date_time * 1000));
        read = function () {
          if (isDate) return { type: 'datepicker', selected_date: inp.value || null };
          if (isTime) return { type: 'timepicker', selected_time: inp.value || null };
          return { type: 'datetimepicker', selected_date_time: inp.value ? Math.floor(new Date(inp.value).getTime() / 1000) : null };
        };
        apply = function (s) {
          if (!s) return;
          if (isDate) inp.value = s.selected_date || '';
          else if (isTime) inp.value = s.selected_time || '';
          else inp.value = s.selected_date_time ? toLocalInput(new Date(s.selected_date_time * 1000)) : '';
        };
        if (interactive) inp.addEventListener('change', function () { if (inp.value) fire(read()); });
        node = inp;
        break;
      }
      case 'plain_text_input':
      case 'email_text_input':
      case 'url_text_input':
      case 'number_input': {
        if (el.type === 'plain_text_input' && el.multiline) {
          inp = h('textarea', { class: 'inp', rows: 4, 'data-action-id': actionId });
        } else {
          var t = el.type === 'number_input' ? 'number' : el.type === 'email_text_input' ? 'email' : el.type === 'url_text_input' ? 'url' : 'text';
          inp = h('input', { class: 'inp', type: t, 'data-action-id': actionId });
        }
        nameAttr(inp);
        if (placeholder) inp.placeholder = placeholder;
        if (el.max_length) inp.maxLength = el.max_length;
        if (el.type === 'number_input') {
          inp.step = el.is_decimal_allowed ? 'any' : '1';
          if (el.min_value !== undefined) inp.min = el.min_value;
          if (el.max_value !== undefined) inp.max = el.max_value;
        }
        if (el.initial_value !== undefined && el.initial_value !== null) inp.value = String(el.initial_value);
        read = function () { return { type: el.type, value: inp.value }; };
        apply = function (s) { if (s && s.value !== undefined && s.value !== null) inp.value = String(s.value); };
        if (interactive) inp.addEventListener('change', function () { fire(read()); });
        node = inp;
        break;
      }
      case 'file_input': {
        // Slack keeps a chosen file as the person's and the form carries it: here the page
        // gives it to the fake Slack (page.chooseFile), which answers as Slack would.
        var chosen = null;
        inp = h('input', { class: 'inp', type: 'file', 'data-action-id': actionId });
        nameAttr(inp);
        if (el.filetypes && el.filetypes.length) {
          inp.accept = el.filetypes.map(function (t) { return '.' + t; }).join(',');
        }
        inp.addEventListener('change', function () {
          var f = inp.files && inp.files[0];
          chosen = null;
          inp.removeAttribute('data-file-id');
          if (!f) return;
          f.text().then(function (content) { return page.chooseFile(f.name, content); })
            .then(function (answer) {
              chosen = answer && answer.file ? answer.file : null;
              if (chosen) inp.setAttribute('data-file-id', chosen.id);  // taken: ready to send
            });
        });
        read = function () { return { type: 'file_input', files: chosen ? [chosen] : [] }; };
        apply = function () {};
        node = inp;
        break;
      }
      case 'radio_buttons':
      case 'checkboxes': {
        var isRadio = el.type === 'radio_buttons';
        var group = opts.name || uid('grp');
        node = h('div', { class: 'choice-group', 'data-action-id': actionId, role: isRadio ? 'radiogroup' : 'group' });
        var boxes = [];
        (el.options || []).forEach(function (o) {
          var v = String(o.value);
          optMap[v] = o;
          var cb = h('input', { type: isRadio ? 'radio' : 'checkbox', name: group, value: v });
          boxes.push(cb);
          var lab = h('label', { class: 'choice' }, cb, h('span', { html: textHtml(o.text) }));
          if (o.description) lab.lastChild.appendChild(h('span', { class: 'choice-desc', html: textHtml(o.description) }));
          node.appendChild(lab);
        });
        var setChecked = function (vals) {
          var set = {};
          vals.forEach(function (v) { set[String(v)] = true; });
          boxes.forEach(function (b) { b.checked = !!set[b.value]; });
        };
        if (isRadio) {
          if (el.initial_option) setChecked([el.initial_option.value]);
          read = function () {
            var c = boxes.filter(function (b) { return b.checked; })[0];
            return { type: 'radio_buttons', selected_option: c ? optObj(optMap[c.value]) : null };
          };
          apply = function (s) { setChecked(s && s.selected_option ? [s.selected_option.value] : []); };
        } else {
          setChecked((el.initial_options || []).map(function (o) { return o.value; }));
          read = function () {
            return {
              type: 'checkboxes',
              selected_options: boxes.filter(function (b) { return b.checked; }).map(function (b) { return optObj(optMap[b.value]); })
            };
          };
          apply = function (s) { setChecked(((s && s.selected_options) || []).map(function (o) { return o.value; })); };
        }
        if (interactive) node.addEventListener('change', function () { fire(read()); });
        break;
      }
      default:
        node = h('span', { class: 'blk-context', text: '[' + el.type + ']' });
        read = function () { return { type: el.type }; };
        apply = function () {};
    }
    return { node: node, actionId: actionId, read: read, apply: apply };
  }

  function toLocalInput(d) {
    function p(n) { return String(n).padStart(2, '0'); }
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
  }

  return {
    configure: configure,
    h: h,
    decodeEntities: decodeEntities,
    mrkdwn: mrkdwn,
    plainText: plainText,
    renderBlocks: renderBlocks,
    toLocalInput: toLocalInput
  };
})();
