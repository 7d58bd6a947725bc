// Posture landmark editor: a Streamlit components-v2 module (in the page, no iframe).
//
// Every point is kept in ORIGINAL-image pixels. The photo (a small display JPEG)
// is stretched to the original size inside the SVG, so one affine map
// (screen = image * k + t) converts a click to original pixels as a float,
// at any zoom. After each change the complete set of points is sent to Python
// as one snapshot: setStateValue("edit", {doc, nonce, seq, points}).
// Python echoes the last snapshot it applied as data.ack, so the editor knows
// when the page has caught up with it; a snapshot not acknowledged within ACK_WAIT_MS is sent again (a rerun
// request can be lost while another part of the page reruns), with a `resend` count so the value differs.
//
// Conventions come from the server (ui/editor.py): the short labels, the joint
// chains, the bilateral pairs, the plumb line's anchor landmarks and the frame's
// signs (data.frame: r = client's right, f = anterior, along the corrected +X;
// 0 where they do not apply). Only the true vertical from the two plumb-line
// clicks and the plumb anchor are worked out here, live while they are dragged:
// feedback for the eye, the measurements use the server's frame.
//
// Suggestions (spec §10: data.suggestions, from detection) are drawn hollow, coloured by origin; they are never
// measured. Enter accepts the prompted landmark's suggestion (the point is sent at its exact position, and the
// server's posture.detect.suggest.place makes it "auto"); dragging one places it elsewhere ("auto_edited"). A
// click on a detected marker (data.markers) lands exactly on its centre. The snapshot stays {doc, nonce, seq,
// points}: the server infers each point's source from the suggestions it made.

const HISTORY_LIMIT = 300;
const CLICK_SLOP = 4; // screen px a press may move and still count as a click
const HIT_RADIUS = 9; // screen px around a point that grabs it
const NUDGE_SEND_MS = 450; // arrow-key bursts are sent once the keys rest
const ACK_WAIT_MS = 1500; // an edit the page has not acknowledged by then is sent again (at most RESENDS times)
const RESENDS = 5;
const LOUPE = 170; // magnifier size, CSS px
const LOUPE_ZOOM = 4; // magnifier scale relative to the current zoom
const SNAP_RADIUS = 10; // screen px: a click this close to a marker (or to the prompted point's marker suggestion) lands on its centre
const MODES = ["vertical", "scale", "landmarks"]; // the steps, in the order the editor leads through them
const LABEL_CHAR_PX = 7.5; // label width per character (12px bold sans), to keep labels inside the stage
const LABEL_ASCENT_PX = 12;
const FIG_MARKS = { "@v1": [88, 28], "@v2": [88, 196], "@s1": [88, 60], "@s2": [88, 150], "@top": [50, 6], "@floor": [50, 214] };

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const root = parentElement.querySelector(".pe");
  if (!root || !data) return undefined;
  if (!root.__pe) root.__pe = new Editor(root);
  const ed = root.__pe;
  ed.sendState = (value) => setStateValue("edit", value);
  ed.sendTile = (value) => setStateValue("tile", value);
  ed.sendPhoto = (value) => setStateValue("photo", value);
  ed.update(data);
  return () => {
    if (!root.isConnected) ed.destroy();
  };
}

const clone = (pts) => Object.fromEntries(Object.entries(pts).map(([k, v]) => [k, [v[0], v[1]]]));
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const f1 = (v) => (Math.round(v * 10) / 10).toFixed(1);

class Editor {
  constructor(root) {
    this.root = root;
    const $ = (s) => root.querySelector(s);
    this.stage = $(".pe-stage");
    this.svg = $(".pe-svg");
    this.photo = $(".pe-photo");
    this.tilesG = $(".pe-tiles");
    this.overlay = $(".pe-overlay");
    this.loupe = $(".pe-loupe");
    this.status = $(".pe-status");
    this.list = $(".pe-list");
    this.figure = $(".pe-figure");
    this.nextTitle = $(".pe-next-title");
    this.nextName = $(".pe-next-name");
    this.nextHint = $(".pe-next-hint");
    this.zoomBtn = $(".pe-zoom");
    this.buttons = Object.fromEntries([...root.querySelectorAll("[data-act]")].map((b) => [b.dataset.act, b]));
    this.img = new Image();
    this.img.onload = () => this.draw();
    this.nonce = Math.random().toString(36).slice(2, 10);
    this.seq = 0;
    this.docId = null;
    this.imageId = null;
    this.points = {};
    this.sugg = {};
    this.history = [];
    this.future = [];
    this.mode = "landmarks";
    this.active = null;
    this.selected = null;
    this.skipped = new Set();
    this.k = 1;
    this.fitK = 1;
    this.tx = 0;
    this.ty = 0;
    this.userZoomed = false;
    this.press = null;
    this.hover = null;
    this.hoverId = null;
    this.nudgeTimer = 0;
    this.raf = 0;
    this.tiles = [];
    this.tileReq = null;
    this.tileSeq = 0;
    this.tileTimer = 0;
    this.tilesDirty = false;
    this.bind();
    this.ro = new ResizeObserver(() => this.onResize());
    this.ro.observe(this.stage);
  }

  destroy() {
    this.ro.disconnect();
    clearTimeout(this.nudgeTimer);
    clearTimeout(this.tileTimer);
    clearTimeout(this.photoTimer);
    clearTimeout(this.ackTimer);
    cancelAnimationFrame(this.raf);
  }

  // ---------------------------------------------------------------- data in
  update(d) {
    this.data = d;
    this.info = {};
    for (const lm of d.landmarks) this.info[lm.id] = { ...lm, kind: "lm" };
    for (const t of [...d.vertical, ...d.scale]) this.info[t.id] = { ...t, side: "c", kind: "cal", fig: FIG_MARKS[t.id] };
    this.hidden = new Set(d.hidden);
    this.sugg = d.suggestions || {};
    this.markers = d.markers || [];
    this.ack = d.ack;
    if (d.doc !== this.docId) {
      // another photo or a server-side reset: start afresh
      this.docId = d.doc;
      this.points = clone(d.points);
      this.history = [];
      this.future = [];
      this.skipped.clear();
      this.selected = null;
      this.seq = 0;
      this.active = null;
      clearTimeout(this.nudgeTimer);
      this.nudgeTimer = 0;
      this.mode = this.firstOpenMode() || "landmarks"; // open on the first unfinished step
    } else if (this.synced(d.ack)) {
      this.points = clone(d.points);
    }
    if (d.image_id !== this.imageId && this.takePhoto(d)) {
      this.tiles = [];
      this.tileReq = null;
      this.tilesDirty = true;
      this.userZoomed = false;
      this.sizeStage();
      this.fit();
    }
    this.takeTile(d.tile);
    if (d.reveal && d.reveal !== this.revealed) {
      // a new photo or view (issue 11): bring the editor's top into the window, below the page's top bar
      this.revealed = d.reveal;
      requestAnimationFrame(() => {
        const top = this.root.getBoundingClientRect().top;
        if (top < 60 || top > window.innerHeight * 0.35) this.root.scrollIntoView({ block: "start" });
      });
    }
    if (!this.targets().some((t) => t.id === this.active) || (this.active && this.points[this.active])) {
      this.active = this.nextOpen(null);
    }
    if (!this.active) this.advance();
    if (this.selected && !this.points[this.selected]) this.selected = null;
    this.root.dataset.doc = d.doc;
    this.root.dataset.mode = this.mode;
    this.root.dataset.ready = "1";
    this.renderPanel();
    this.draw();
    const f = (window.__postureFollow = window.__postureFollow || {}); // the outcome part follows (ui/follow.py)
    f.wanted = d.follow;
    if (f.check) f.check();
  }

  synced(ack) {
    if ((this.press && this.press.moved) || this.nudgeTimer) return false; // the user is mid-gesture
    if (this.seq === 0) return true; // no local edit yet
    return !!ack && ack.nonce === this.nonce && ack.seq >= this.seq;
  }

  targets(mode = this.mode) {
    const d = this.data;
    if (mode === "landmarks") return d.landmarks;
    return mode === "vertical" ? d.vertical : d.scale;
  }

  // The prompt: the first unplaced (and not skipped) target of the step in protocol order (issue 11).
  nextOpen(after, mode = this.mode) {
    const ids = this.targets(mode).map((t) => t.id);
    const start = after == null ? 0 : ids.indexOf(after) + 1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(start + i) % ids.length];
      if (!this.points[id] && !this.skipped.has(id)) return id;
    }
    return null;
  }

  firstOpenMode() {
    return MODES.find((m) => this.nextOpen(null, m)) || null;
  }

  // The step is finished: move on by itself to the first unfinished one (calibration, then landmarks).
  advance() {
    if (this.active) return;
    const next = this.firstOpenMode();
    if (next) {
      this.mode = next;
      this.active = this.nextOpen(null);
    }
    this.root.dataset.mode = this.mode;
  }

  // The prompted landmark's waiting suggestion, or null.
  activeSuggestion() {
    const s = this.active ? this.sugg[this.active] : null;
    return s && !this.points[this.active] ? s : null;
  }

  // Where a click at screen (sx, sy) puts the prompted point: on the prompted landmark's marker suggestion or on a
  // detected marker's centre when the click is that close to one (nearest first), else exactly where clicked.
  snapped(sx, sy) {
    let best = null;
    let bestD = SNAP_RADIUS;
    const s = this.activeSuggestion();
    // a pose suggestion is a rough guess (1–5 cm): a deliberate click is never pulled onto it
    const cands = (s && s.from === "marker" ? [[s.x, s.y]] : []).concat(this.markers);
    for (const c of cands) {
      const [cx, cy] = this.toScr(c);
      const dist = Math.hypot(cx - sx, cy - sy);
      if (dist <= bestD) {
        best = [c[0], c[1]];
        bestD = dist;
      }
    }
    return best || this.toImg(sx, sy);
  }

  acceptActive() {
    const s = this.activeSuggestion();
    if (s) this.place(this.active, [s.x, s.y]);
  }

  // ---------------------------------------------------------------- edits out
  snapshot() {
    return { doc: this.docId, nonce: this.nonce, seq: this.seq, points: clone(this.points) };
  }

  send(resend = 0) {
    clearTimeout(this.nudgeTimer);
    clearTimeout(this.ackTimer);
    this.nudgeTimer = 0;
    if (this.sendState) this.sendState({ ...this.snapshot(), resend });
    const seq = this.seq;
    this.ackTimer = setTimeout(() => {
      const a = this.ack, busy = (this.press && this.press.moved) || this.nudgeTimer; // a newer send will follow
      if (seq === this.seq && !busy && resend < RESENDS && !(a && a.nonce === this.nonce && a.seq >= seq)) this.send(resend + 1);
    }, ACK_WAIT_MS);
  }

  commit() {
    this.seq += 1;
    this.send();
    this.renderPanel();
    this.draw();
  }

  state() {
    return { points: clone(this.points), active: this.active, mode: this.mode };
  }

  pushHistory() {
    this.history.push(this.state());
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    this.future = [];
  }

  place(id, p) {
    this.pushHistory();
    this.points[id] = p;
    this.skipped.delete(id);
    this.selected = id;
    this.showStatus(p, id);
    this.active = this.nextOpen(null);
    this.advance();
    this.commit();
  }

  remove(id) {
    if (!id || !this.points[id]) return;
    this.pushHistory();
    delete this.points[id];
    this.selected = null;
    this.active = id;
    this.commit();
  }

  // Undo and redo restore the points AND the prompt (and step) of that moment, so after undoing a stray
  // click the next click stores the landmark that was asked for (issue 11).
  undo() {
    if (!this.history.length) return;
    this.future.push(this.state());
    this.restore(this.history.pop());
  }

  redo() {
    if (!this.future.length) return;
    this.history.push(this.state());
    this.restore(this.future.pop());
  }

  restore(st) {
    const before = this.points;
    this.points = st.points;
    this.mode = st.mode;
    this.active = st.active;
    if (this.selected && !this.points[this.selected]) this.selected = null;
    if (this.active && this.points[this.active]) this.active = this.nextOpen(null);
    if (!this.active) this.active = this.nextOpen(null);
    this.advance();
    // the coordinate readout shows the point that undo/redo changed (or clears when it was removed)
    const ids = new Set([...Object.keys(before), ...Object.keys(this.points)]);
    const changed = [...ids].find((id) => {
      const a = before[id];
      const b = this.points[id];
      return !a || !b || a[0] !== b[0] || a[1] !== b[1];
    });
    if (changed) this.showStatus(this.points[changed] || null, changed);
    this.commit();
  }

  clearMode() {
    const btn = this.buttons.clear;
    if (!btn.classList.contains("armed")) {
      btn.classList.add("armed");
      btn.textContent = "Clear: sure?";
      clearTimeout(this.clearTimer);
      this.clearTimer = setTimeout(() => this.disarmClear(), 3000);
      return;
    }
    this.disarmClear();
    const ids = this.targets().map((t) => t.id).filter((id) => this.points[id]);
    if (!ids.length) return;
    this.pushHistory();
    for (const id of ids) delete this.points[id];
    this.skipped.clear();
    this.selected = null;
    this.active = this.nextOpen(null);
    this.commit();
  }

  disarmClear() {
    const btn = this.buttons.clear;
    btn.classList.remove("armed");
    btn.textContent = "Clear";
  }

  nudge(dx, dy, big) {
    const id = this.selected;
    if (!id || !this.points[id]) return;
    if (!this.nudgeTimer) this.pushHistory();
    const step = big ? 10 : 1; // original pixels, whatever the zoom (issue 11)
    const p = this.points[id];
    this.points[id] = this.clampImg([p[0] + dx * step, p[1] + dy * step]);
    this.seq += 1;
    clearTimeout(this.nudgeTimer);
    this.nudgeTimer = setTimeout(() => this.send(), NUDGE_SEND_MS);
    this.showStatus(this.points[id], id);
    this.draw();
  }

  skip() {
    if (!this.active) return;
    const a = this.info[this.active];
    if (a && a.optional) {
      // an optional group (the side views' spinal points) is skipped as a whole
      for (const t of this.data.landmarks) if (t.optional && t.group === a.group && !this.points[t.id]) this.skipped.add(t.id);
    }
    this.skipped.add(this.active);
    this.active = this.nextOpen(this.active);
    this.advance();
    this.renderPanel();
    this.draw();
  }

  pick(id) {
    this.active = id;
    this.skipped.delete(id);
    if (this.points[id]) this.selected = id;
    this.renderPanel();
    this.draw();
    this.stage.focus({ preventScroll: true });
  }

  setMode(mode) {
    this.mode = mode;
    this.active = this.nextOpen(null);
    this.root.dataset.mode = mode;
    this.renderPanel();
    this.draw();
  }

  // ---------------------------------------------------------------- geometry
  stageSize() {
    return [this.stage.clientWidth || 1, this.stage.clientHeight || 1];
  }

  fit() {
    const d = this.data;
    const [w, h] = this.stageSize();
    this.fitK = Math.min(w / d.width, h / d.height) * 0.98;
    this.k = this.fitK;
    this.tx = (w - d.width * this.k) / 2;
    this.ty = (h - d.height * this.k) / 2;
    this.userZoomed = false;
    this.draw();
  }

  // Fit the stage's height to the photo's shape (portrait photos get a tall stage), within the window.
  sizeStage() {
    const d = this.data;
    const w = this.stage.clientWidth || 400;
    const maxH = Math.min(window.innerHeight * 0.8, 980);
    const h = Math.round(Math.max(420, Math.min(maxH, (w * d.height) / d.width + 8)));
    if (Math.abs(this.stage.clientHeight - h) > 1) {
      this.stage.style.height = `${h}px`;
      this.root.querySelector(".pe-side").style.maxHeight = `${h}px`;
    }
  }

  onResize() {
    if (!this.data) return;
    this.sizeStage();
    if (!this.userZoomed) this.fit();
    else this.draw();
  }

  zoomAt(sx, sy, factor) {
    const maxK = Math.max(this.fitK * 40, 4);
    const k2 = Math.min(Math.max(this.k * factor, this.fitK * 0.5), maxK);
    this.tx = sx - (sx - this.tx) * (k2 / this.k);
    this.ty = sy - (sy - this.ty) * (k2 / this.k);
    this.k = k2;
    this.userZoomed = true;
    this.draw();
  }

  zoomCentre(factor) {
    const [w, h] = this.stageSize();
    this.zoomAt(w / 2, h / 2, factor);
  }

  screenPos(e) {
    const r = this.svg.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  toImg(sx, sy) {
    return [(sx - this.tx) / this.k, (sy - this.ty) / this.k];
  }

  toScr(p) {
    return [p[0] * this.k + this.tx, p[1] * this.k + this.ty];
  }

  clampImg(p) {
    const d = this.data;
    return [Math.min(Math.max(p[0], 0), d.width), Math.min(Math.max(p[1], 0), d.height)];
  }

  inImage(p) {
    return p[0] >= 0 && p[1] >= 0 && p[0] <= this.data.width && p[1] <= this.data.height;
  }

  // The true vertical ("up", unit vector in image pixels) from the two plumb-line clicks, else the image's up.
  // Live feedback while a click is dragged; the upper end is picked as posture.geometry.roll_deg_from_line does.
  upDir() {
    const a = this.points["@v1"];
    const b = this.points["@v2"];
    if (this.data.vertical_mode === "line" && a && b) {
      const [top, bottom] = a[1] < b[1] || (a[1] === b[1] && a[0] <= b[0]) ? [a, b] : [b, a];
      const dx = top[0] - bottom[0];
      const dy = top[1] - bottom[1];
      const n = Math.hypot(dx, dy);
      if (n > 0) return [dx / n, dy / n];
    }
    return [0, -1];
  }

  plumbAnchor() {
    const pl = this.data.plumb;
    if (pl.pinned) return pl.pinned;
    const pts = pl.ids.map((id) => this.points[id]);
    if (!pts.length || pts.some((p) => !p)) return null;
    return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
  }

  // The part of the infinite line p + t*u that lies inside the photo, or null.
  clip(p, u) {
    const d = this.data;
    let lo = -1e9;
    let hi = 1e9;
    for (const [pi, ui, max] of [[p[0], u[0], d.width], [p[1], u[1], d.height]]) {
      if (Math.abs(ui) < 1e-12) {
        if (pi < 0 || pi > max) return null;
      } else {
        const t1 = (0 - pi) / ui;
        const t2 = (max - pi) / ui;
        lo = Math.max(lo, Math.min(t1, t2));
        hi = Math.min(hi, Math.max(t1, t2));
      }
    }
    if (lo > hi) return null;
    return [[p[0] + lo * u[0], p[1] + lo * u[1]], [p[0] + hi * u[0], p[1] + hi * u[1]]];
  }

  // ---------------------------------------------------------------- events
  bind() {
    const st = this.stage;
    st.addEventListener("pointerdown", (e) => this.onDown(e));
    st.addEventListener("pointermove", (e) => this.onMove(e));
    st.addEventListener("pointerup", (e) => this.onUp(e));
    st.addEventListener("pointercancel", () => this.onCancel());
    st.addEventListener("pointerleave", () => {
      if (!this.press) {
        this.hover = null;
        this.hoverId = null;
        this.draw();
      }
    });
    st.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [sx, sy] = this.screenPos(e);
      this.zoomAt(sx, sy, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
    }, { passive: false });
    st.addEventListener("contextmenu", (e) => e.preventDefault());
    st.addEventListener("keydown", (e) => this.onKey(e));
    for (const b of this.root.querySelectorAll(".pe-mode")) b.addEventListener("click", () => this.setMode(b.dataset.mode));
    const acts = {
      undo: () => this.undo(),
      redo: () => this.redo(),
      clear: () => this.clearMode(),
      "zoom-in": () => this.zoomCentre(1.5),
      "zoom-out": () => this.zoomCentre(1 / 1.5),
      fit: () => this.fit(),
      skip: () => this.skip(),
      accept: () => this.acceptActive(),
      remove: () => this.remove(this.selected),
    };
    for (const [name, fn] of Object.entries(acts)) this.buttons[name].addEventListener("click", fn);
    this.list.addEventListener("click", (e) => {
      const li = e.target.closest("li[data-id]");
      if (li) this.pick(li.dataset.id);
    });
  }

  onDown(e) {
    this.stage.focus({ preventScroll: true });
    const [sx, sy] = this.screenPos(e);
    const ds = e.target && e.target.dataset ? e.target.dataset : {};
    const id = ds.id;
    const sid = ds.sid;
    const pan = e.button === 1 || e.button === 2;
    if (id && !pan && this.points[id]) {
      this.press = { kind: "point", id, sx, sy, orig: this.points[id].slice(), moved: false };
    } else if (sid && !pan && this.sugg[sid] && !this.points[sid]) {
      // a suggestion: a drag corrects it (placed elsewhere: auto_edited); a click places the prompted point
      this.press = { kind: "sugg", id: sid, sx, sy, orig: [this.sugg[sid].x, this.sugg[sid].y], moved: false };
    } else {
      this.press = { kind: "bg", sx, sy, tx0: this.tx, ty0: this.ty, moved: false, pan };
    }
    this.stage.setPointerCapture(e.pointerId);
    e.preventDefault();
    this.draw();
  }

  onMove(e) {
    const [sx, sy] = this.screenPos(e);
    this.hover = [sx, sy];
    const pr = this.press;
    if (pr) {
      if (!pr.moved && Math.hypot(sx - pr.sx, sy - pr.sy) > CLICK_SLOP) {
        pr.moved = true;
        if (pr.kind === "point" || pr.kind === "sugg") {
          this.pushHistory();
          this.stage.classList.add("dragging");
          this.selected = pr.id;
          this.renderPanel();
        } else {
          this.stage.classList.add("panning");
        }
      }
      if (pr.moved && (pr.kind === "point" || pr.kind === "sugg")) {
        const p = this.clampImg([pr.orig[0] + (sx - pr.sx) / this.k, pr.orig[1] + (sy - pr.sy) / this.k]);
        this.points[pr.id] = p; // a dragged suggestion becomes a point as it moves
        this.showStatus(p, pr.id);
      } else if (pr.moved) {
        this.tx = pr.tx0 + (sx - pr.sx);
        this.ty = pr.ty0 + (sy - pr.sy);
        this.userZoomed = true;
      }
    } else {
      const t = e.target && e.target.dataset ? e.target.dataset.id : undefined;
      this.hoverId = t || null;
      this.hoverSid = (e.target && e.target.dataset && e.target.dataset.sid) || null;
      this.showStatus(this.toImg(sx, sy));
    }
    this.draw();
  }

  onUp(e) {
    const pr = this.press;
    this.press = null;
    this.stage.classList.remove("dragging", "panning");
    if (this.stage.hasPointerCapture(e.pointerId)) this.stage.releasePointerCapture(e.pointerId);
    if (!pr) return;
    if ((pr.kind === "point" || pr.kind === "sugg") && pr.moved) {
      if (pr.kind === "sugg") {
        this.skipped.delete(pr.id);
        if (pr.id === this.active) this.active = this.nextOpen(null);
        this.advance();
      }
      this.commit();
      return;
    }
    if (pr.moved || pr.pan) {
      this.draw();
      return;
    }
    // a click (no drag) always places the prompted point, even on top of a point or a suggestion
    const p = this.snapped(pr.sx, pr.sy);
    if (this.active && this.inImage(p)) {
      this.place(this.active, p);
    } else if (pr.kind === "point") {
      this.selected = pr.id;
      this.renderPanel();
      this.draw();
    } else {
      this.selected = null;
      this.renderPanel();
      this.draw();
    }
  }

  onCancel() {
    const pr = this.press;
    this.press = null;
    this.stage.classList.remove("dragging", "panning");
    if (pr && (pr.kind === "point" || pr.kind === "sugg") && pr.moved) this.commit();
  }

  onKey(e) {
    const ctrl = e.ctrlKey || e.metaKey;
    const key = e.key;
    let handled = true;
    if (ctrl && (key === "z" || key === "Z")) {
      if (e.shiftKey) this.redo();
      else this.undo();
    } else if (ctrl && (key === "y" || key === "Y")) {
      this.redo();
    } else if (ctrl) {
      handled = false;
    } else if (key === "ArrowLeft") this.nudge(-1, 0, e.shiftKey);
    else if (key === "ArrowRight") this.nudge(1, 0, e.shiftKey);
    else if (key === "ArrowUp") this.nudge(0, -1, e.shiftKey);
    else if (key === "ArrowDown") this.nudge(0, 1, e.shiftKey);
    else if (key === "Delete" || key === "Backspace") this.remove(this.selected);
    else if (key === "Enter") this.acceptActive();
    else if (key === "Escape") {
      this.selected = null;
      this.renderPanel();
      this.draw();
    } else if (key === "s" || key === "S") this.skip();
    else if (key === "+" || key === "=") this.zoomCentre(1.5);
    else if (key === "-" || key === "_") this.zoomCentre(1 / 1.5);
    else if (key === "0") this.fit();
    else handled = false;
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  showStatus(p, id) {
    const name = id && this.info[id] ? `${this.info[id].short}  ` : "";
    this.status.textContent = p ? `${name}x ${f1(p[0])}  y ${f1(p[1])} px` : id && this.info[id] ? `${name}not placed` : "";
  }

  // ---------------------------------------------------------------- panel
  renderPanel() {
    const d = this.data;
    const P = this.points;
    // mode tabs
    const required = d.landmarks.filter((t) => !t.optional);
    const nLm = required.filter((t) => P[t.id]).length;
    const nOpt = d.landmarks.filter((t) => t.optional && P[t.id]).length;
    const done = (ts) => ts.length > 0 && ts.every((t) => P[t.id]);
    const counts = {
      landmarks: `${nLm}/${required.length}` + (nOpt ? ` +${nOpt}` : ""),
      vertical: d.vertical_mode === "level" ? "(level)" : done(d.vertical) ? "✓" : `${d.vertical.filter((t) => P[t.id]).length}/2`,
      scale: d.scale_on_plumb
        ? (done(d.vertical) ? "✓" : "(plumb)")
        : d.scale_mode === "none" ? "(none)" : done(d.scale) ? "✓" : `${d.scale.filter((t) => P[t.id]).length}/2`,
    };
    for (const b of this.root.querySelectorAll(".pe-mode")) {
      b.classList.toggle("on", b.dataset.mode === this.mode);
      b.setAttribute("aria-selected", b.dataset.mode === this.mode ? "true" : "false");
      b.querySelector(".pe-count").textContent = counts[b.dataset.mode];
    }
    // guide
    const targets = this.targets();
    const a = this.active ? this.info[this.active] : null;
    const sug = this.activeSuggestion();
    const left = required.filter((t) => !P[t.id]).length; // the view is complete without the optional ones
    if (!targets.length) {
      this.nextTitle.textContent = this.mode === "vertical" ? "Plumb line" : "Scale";
      this.nextName.textContent = d.scale_on_plumb && this.mode === "scale" ? "From the plumb marks" : "Not needed";
      this.nextHint.textContent =
        this.mode === "vertical"
          ? "You chose “the photo is level”, so no clicks are needed here. Choose “plumb line” above the photo to correct a tilted camera."
          : d.scale_on_plumb
            ? `The plumb line's two marks (${d.scale_text} apart) give the scale: nothing more to click here.`
            : "You chose “no scale”: distances stay in pixels and are not graded. Choose a scale above the photo to measure in cm.";
    } else if (a) {
      this.nextTitle.textContent = P[a.id]
        ? "Place again: click the photo"
        : a.optional
          ? `${left === 0 ? "View complete ✓ · " : ""}${a.group}: click the`
          : sug ? "Suggested: Enter accepts, or click the" : "Next: click the photo at the";
      this.nextName.textContent = a.label;
      const scaleNote = a.kind === "cal" && (a.id === "@s2" || (a.id === "@v2" && d.scale_on_plumb)) ? ` (${d.scale_text} apart).` : "";
      this.nextHint.textContent = a.hint + scaleNote + (sug ? ` The hollow point is the ${sug.from === "marker" ? "marker's" : "pose model's"} suggestion.` : "");
    } else {
      const nSkipped = targets.filter((t) => !P[t.id] && !t.optional).length; // skipped optional points leave the view complete
      const viewDone = left === 0 && !this.firstOpenMode();
      this.nextTitle.textContent = nSkipped ? "Skipped" : viewDone ? "Done" : "This step is done";
      this.nextName.textContent = nSkipped ? `${nSkipped} not placed` : viewDone ? "View complete ✓" : `${left} landmarks to go`;
      this.nextHint.textContent = nSkipped
        ? "Click a name below to place it, or leave it: the measurements that need it are listed as not measured."
        : viewDone
          ? "Every landmark is placed: the next view is offered below the photo. Drag any point to fine-tune it."
          : "Choose “Landmarks” above to go on.";
    }
    this.buttons.accept.disabled = !sug;
    this.root.dataset.active = this.active || "";
    this.buttons.skip.disabled = !this.active;
    const optionalActive = this.active && this.info[this.active] && this.info[this.active].optional;
    this.buttons.skip.textContent = optionalActive ? "Skip the optional ›" : "Skip ›";
    this.buttons.remove.disabled = !(this.selected && P[this.selected]);
    this.buttons.undo.disabled = !this.history.length;
    this.buttons.redo.disabled = !this.future.length;
    this.renderFigure();
    // list
    this.list.innerHTML = targets
      .map((t) => {
        const cls = [P[t.id] ? "placed" : "", this.skipped.has(t.id) && !P[t.id] ? "skipped" : "", t.id === this.active ? "active" : "", t.id === this.selected ? "selected" : ""].join(" ");
        const side = t.side || "c";
        const waiting = !P[t.id] && this.sugg[t.id];
        const tag = this.skipped.has(t.id) && !P[t.id] ? "skipped" : t.id === this.active ? "◀ next" : waiting ? `○ ${waiting.from}` : "";
        return `<li data-id="${esc(t.id)}" class="${cls}" title="${esc(t.hint)}"><span class="pe-dot ${side}"></span><span class="pe-name">${esc(t.label)}</span><span class="pe-tag">${tag}</span></li>`;
      })
      .join("");
    const li = this.list.querySelector("li.active");
    if (li) {
      const top = li.offsetTop - this.list.offsetTop;
      if (top < this.list.scrollTop || top + li.offsetHeight > this.list.scrollTop + this.list.clientHeight) {
        this.list.scrollTop = Math.max(0, top - this.list.clientHeight / 2);
      }
    }
  }

  renderFigure() {
    const d = this.data;
    this.figure.setAttribute("viewBox", d.figure_viewbox);
    let s = d.figure;
    if (this.mode !== "landmarks") {
      if (this.mode === "vertical" || d.scale_mode === "marks") {
        s += '<line x1="88" y1="4" x2="88" y2="206" stroke="#8a94a3" stroke-width="0.8"/><path d="M85 206 L91 206 L88 213 Z" fill="#b08d3c"/>';
      }
    }
    for (const t of this.targets()) {
      const f = t.fig || this.info[t.id]?.fig;
      if (!f) continue;
      if (t.id === this.active) {
        s += `<circle class="fig-halo" cx="${f[0]}" cy="${f[1]}" r="6"/><circle class="fig-target" cx="${f[0]}" cy="${f[1]}" r="3.2"/>`;
      } else {
        s += `<circle class="fig-dot ${this.points[t.id] ? "placed" : ""}" cx="${f[0]}" cy="${f[1]}" r="1.8"/>`;
      }
    }
    this.figure.innerHTML = s;
  }
}
