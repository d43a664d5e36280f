// tct explore: sends the workflow to the API and draws its ids and the o200k tokens.
'use strict';

const KINDS = ['structure', 'key', 'value', 'recall', 'merge', 'byte'];
const KIND_TEXT = {structure: 'structure', key: 'schema key', value: 'enum or dictionary value',
  recall: 'recall', merge: 'merge table', byte: 'byte fallback'};
const $ = (id) => document.getElementById(id);
let info = {model: false};
let current = null; // {src, res}: what is drawn

async function api(path, body) {
  const r = await fetch(path, {method: 'POST', body});
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || r.statusText);
  return j;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setStatus(msg, isError) {
  $('status').textContent = msg;
  $('status').className = isError ? 'error' : '';
}

// heat maps a loss in bits to a background: white (0 bits) to red (12 bits and more).
function heat(bits) {
  const x = Math.min(bits, 12) / 12;
  return `hsl(${50 - 50 * x}, 95%, ${97 - 45 * x}%)`;
}

function tokenTitle(t, i) {
  let s = `#${i}  id ${t.id}  ${KIND_TEXT[t.kind] || t.kind}`;
  if (t.kind === 'merge') s += ` (table ${t.table})`;
  s += `\npath ${t.path}\ntext ${JSON.stringify(t.text)}`;
  if (t.base && t.base.length) s += `\nbase ${t.base.join(' · ')}`;
  if (t.bits !== undefined) s += `\nloss ${t.bits.toFixed(2)} bits`;
  return s;
}

function drawChips(res) {
  const box = $('chips');
  box.replaceChildren();
  box.classList.toggle('loss', res.bits !== undefined);
  res.tokens.forEach((t, i) => {
    const c = el('span', `chip k-${t.kind}`, t.text);
    c.dataset.pos = i;
    c.dataset.id = t.id;
    c.title = tokenTitle(t, i);
    if (t.bits !== undefined) {
      c.style.setProperty('--heat', heat(t.bits));
      c.style.setProperty('--kind', `var(--${t.kind})`);
    }
    box.appendChild(c);
  });
}

function drawPlain(box, toks) {
  box.replaceChildren();
  for (const t of toks) {
    box.appendChild(el('span', 'tok', t.replace(/\n/g, '↵\n')));
  }
}

function render(res) {
  drawChips(res);
  drawPlain($('o200k-yaml'), res.o200k_yaml_tokens);
  drawPlain($('o200k-json'), res.o200k_json_tokens);
  $('counts').hidden = false;
  $('count-ids').textContent = res.count;
  $('count-json').textContent = res.o200k_json;
  $('count-yaml').textContent = res.o200k_yaml;
  $('bits-box').hidden = res.bits === undefined;
  if (res.bits !== undefined) $('count-bits').textContent = res.bits.toFixed(0);
  $('ids-sub').textContent = `${res.bytes_json} bytes of JSON, ${res.bytes_yaml} of YAML`;
  $('allowed').hidden = true;
}

async function show() {
  const src = $('src').value;
  if (!src.trim()) return;
  setStatus('…');
  try {
    const res = await api(info.model ? '/api/loss' : '/api/tokenize', src);
    current = {src, res};
    render(res);
    setStatus('');
  } catch (e) {
    setStatus(e.message, true);
  }
}

function showDetail(chip) {
  const t = current.res.tokens[chip.dataset.pos];
  $('detail').classList.remove('muted');
  $('detail').textContent = tokenTitle(t, Number(chip.dataset.pos));
  $('detail').style.whiteSpace = 'pre-wrap';
}

function choiceRow(c, actual, withP) {
  const tr = el('tr', c.id === actual ? 'actual' : '');
  tr.appendChild(el('td', '', String(c.id)));
  tr.appendChild(el('td', '', JSON.stringify(c.text)));
  tr.appendChild(el('td', '', c.kind));
  if (withP) tr.appendChild(el('td', '', (100 * c.p).toFixed(1) + '%'));
  return tr;
}

async function showAllowed(chip) {
  document.querySelectorAll('.chip.sel').forEach((c) => c.classList.remove('sel'));
  chip.classList.add('sel');
  const box = $('allowed');
  box.hidden = false;
  box.textContent = '…';
  try {
    const a = await api(`/api/allowed?pos=${chip.dataset.pos}`, current.src);
    box.replaceChildren();
    let head = `Position ${a.pos}: the ${a.strict ? 'strict ' : ''}grammar allows ${a.count} ids here.`;
    if (a.model) head += ` The model puts ${(100 * a.mass).toFixed(1)}% on them; its top choices:`;
    else head += ' Some of them, the schema\'s own first:';
    box.appendChild(el('div', '', head));
    const table = el('table', 'choices');
    for (const c of a.choices) table.appendChild(choiceRow(c, a.actual.id, a.model));
    box.appendChild(table);
  } catch (e) {
    box.textContent = e.message;
  }
}

function legend() {
  for (const k of KINDS) $('legend').appendChild(el('span', `legend-chip k-${k}`, KIND_TEXT[k]));
}

// lossLegend explains the shading: the background is the loss, the underline the kind.
function lossLegend() {
  const box = el('div', 'loss-legend');
  box.appendChild(el('span', '', 'loss: '));
  for (const b of [0, 3, 6, 9, 12]) {
    const s = el('span', 'legend-chip', b === 12 ? '12+ bits' : `${b}`);
    s.style.background = heat(b);
    box.appendChild(s);
  }
  box.appendChild(el('span', 'muted', ' (underline: kind)'));
  $('legend').after(box);
}

function wire() {
  let timer;
  $('src').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(show, 400); });
  $('go').addEventListener('click', show);
  $('chips').addEventListener('mouseover', (e) => { if (e.target.dataset.pos) showDetail(e.target); });
  $('chips').addEventListener('click', (e) => { if (e.target.dataset.pos) showAllowed(e.target); });
  const src = $('src');
  src.addEventListener('dragover', (e) => { e.preventDefault(); src.classList.add('drag'); });
  src.addEventListener('dragleave', () => src.classList.remove('drag'));
  src.addEventListener('drop', async (e) => {
    e.preventDefault();
    src.classList.remove('drag');
    const f = e.dataTransfer.files[0];
    if (f) { src.value = await f.text(); show(); }
  });
}

async function start() {
  legend();
  wire();
  try {
    info = await (await fetch('/api/info')).json();
    $('info').textContent = `tokenizer ${info.tokenizer.slice(0, 12)} · ` +
      (info.model ? `model ${info.model_name || ''} (context ${info.context}): ids shaded by loss` : 'no model (start with --checkpoint RUN_DIR for losses)');
    if (info.model) lossLegend();
  } catch (e) {
    setStatus(e.message, true);
  }
  if (location.hash.length > 1) {
    $('src').value = decodeURIComponent(location.hash.slice(1));
    show();
  }
}

start();
