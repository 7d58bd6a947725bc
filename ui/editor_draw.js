// Posture landmark editor, part 2: drawing the overlay (landmarks, reference lines, chains, calibration marks)
// and the magnifier. ui/editor.py appends this file to editor.js (one ES module), so it shares that file's
// constants and helpers; its methods join the Editor class below.

class EditorDrawing {
  draw() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.drawNow();
    });
  }

  drawNow() {
    const d = this.data;
    if (!d) return;
    const P = this.points;
    const k = this.k;
    const place = `translate(${this.tx} ${this.ty}) scale(${k})`;
    this.photo.setAttribute("transform", place);
    this.tilesG.setAttribute("transform", place);
    this.renderTiles();
    const [stageW, stageH] = this.stageSize();
    const S = (p) => this.toScr(p);
    const out = [];
    const line = (a, b, cls, halo = true) => {
      const [x1, y1] = S(a);
      const [x2, y2] = S(b);
      if (halo) out.push(`<line class="ln halo" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke-width="4"/>`);
      out.push(`<line class="ln ${cls}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`);
    };
    const up = this.upDir();
    const horiz = [-up[1], up[0]]; // the true horizontal (+X of the corrected frame) in image pixels
    // true vertical from the calibration clicks
    const v1 = P["@v1"];
    const v2 = P["@v2"];
    if (d.vertical_mode === "line" && v1 && v2) {
      const seg = this.clip(v1, up);
      if (seg) line(seg[0], seg[1], "vert", false);
      line(v1, v2, "vertseg");
    }
    // joint chains and the spine
    for (const chain of d.chains) {
      for (let i = 0; i + 1 < chain.length; i++) {
        const a = P[chain[i]];
        const b = P[chain[i + 1]];
        if (a && b) line(a, b, "chain");
      }
    }
    // bilateral pairs with the true horizontal through their midpoint
    for (const [r, l] of d.pairs) {
      const a = P[r];
      const b = P[l];
      if (!a || !b) continue;
      const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      const half = Math.max(Math.hypot(a[0] - b[0], a[1] - b[1]) * 0.65, 30 / k);
      line([mid[0] - horiz[0] * half, mid[1] - horiz[1] * half], [mid[0] + horiz[0] * half, mid[1] + horiz[1] * half], "horiz", false);
      line(a, b, "pair");
    }
    // lateral views (the frame has an anterior sign there): true horizontals at C7 (CVA) and through the pelvis (tilt)
    if (d.frame.f !== 0) {
      for (const [a, b] of [["c7", "tragus"], ["psis", "asis"]]) {
        const p = P[a];
        const q = P[b];
        if (!p || !q) continue;
        const half = Math.max(Math.hypot(p[0] - q[0], p[1] - q[1]) * 1.2, 30 / k);
        line([p[0] - horiz[0] * half, p[1] - horiz[1] * half], [p[0] + horiz[0] * half, p[1] + horiz[1] * half], "horiz", false);
      }
    }
    // postural plumb line through its anchor, along the true vertical
    const anchor = this.plumbAnchor();
    if (anchor) {
      const seg = this.clip(anchor, up);
      if (seg) line(seg[0], seg[1], "plumb");
    }
    // scale
    // a label beside its point, flipped to the other side where it would be cut at the edge (issue 11)
    const label = (p, text, dx = 10, dy = -10) => {
      const [x, y] = S(p);
      const width = String(text).length * LABEL_CHAR_PX + 4;
      const right = x + dx + width <= stageW - 2 || x - dx - width < 2;
      const tx = right ? Math.max(2, x + dx) : x - dx;
      let ty = y + dy;
      if (ty - LABEL_ASCENT_PX < 2) ty = y + Math.abs(dy) + LABEL_ASCENT_PX;
      if (ty > stageH - 3) ty = stageH - 3;
      out.push(`<text x="${tx}" y="${ty}"${right ? "" : ' text-anchor="end"'}>${esc(text)}</text>`);
    };
    if (d.scale_mode === "marks" && P["@s1"] && P["@s2"]) {
      const a = P["@s1"];
      const b = P["@s2"];
      line(a, b, "scale");
      label([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2], d.scale_text, 12, 4);
    }
    if (d.scale_mode === "height") {
      for (const id of ["@top", "@floor"]) {
        const p = P[id];
        if (!p) continue;
        const h = 40 / k;
        line([p[0] - horiz[0] * h, p[1] - horiz[1] * h], [p[0] + horiz[0] * h, p[1] + horiz[1] * h], "scale");
      }
      if (P["@top"] && P["@floor"]) label(P["@top"], d.scale_text, 46, 4);
    }
    if (d.scale_on_plumb && v1 && v2) label([(v1[0] + v2[0]) / 2, (v1[1] + v2[1]) / 2], d.scale_text, 12, 4);
    this.drawSuggestions(out, S, label);
    // points
    const pressId = this.press && this.press.kind !== "bg" ? this.press.id : null;
    for (const [id, p] of Object.entries(P)) {
      if (this.hidden.has(id)) continue;
      const info = this.info[id];
      if (!info) continue;
      const [x, y] = S(p);
      const sel = id === this.selected;
      const side = info.kind === "cal" ? "c" : info.side;
      const dim = this.mode === "landmarks" ? info.kind === "cal" : info.kind === "lm";
      const r = sel ? 6.5 : 5;
      if (sel) {
        out.push(`<circle class="sel2" cx="${x}" cy="${y}" r="${r + 6}"/><circle class="sel" cx="${x}" cy="${y}" r="${r + 5}"/>`);
      }
      if (side === "c") {
        out.push(`<path class="pt c${dim ? " dim" : ""}" d="M${x} ${y - r - 1.5}L${x + r + 1.5} ${y}L${x} ${y + r + 1.5}L${x - r - 1.5} ${y}Z"/>`);
      } else {
        out.push(`<circle class="pt ${side}${dim ? " dim" : ""}" cx="${x}" cy="${y}" r="${r}"/>`);
      }
      out.push(`<circle class="hit" data-id="${esc(id)}" cx="${x}" cy="${y}" r="${HIT_RADIUS}"/>`);
      if (sel || id === this.hoverId || id === pressId) label(p, info.short);
    }
    this.overlay.innerHTML = out.join("");
    this.zoomBtn.textContent = `${Math.round((k / this.fitK) * 100)}%`;
    this.svg.dataset.k = String(k);
    this.svg.dataset.tx = String(this.tx);
    this.svg.dataset.ty = String(this.ty);
    this.stage.classList.toggle("no-target", !this.active);
    this.drawLoupe();
    this.scheduleTiles();
  }

  // Unlabelled markers (no point or waiting suggestion on them) as small rings, then the waiting suggestions,
  // hollow and coloured by origin; the prompted landmark's suggestion is labelled.
  waitingSuggestions() {
    return Object.entries(this.sugg).filter(([id]) => !this.points[id] && this.info[id] && this.info[id].kind === "lm");
  }

  drawSuggestions(out, S, label) {
    const waiting = this.waitingSuggestions();
    const taken = waiting.map(([, s]) => [s.x, s.y]).concat(Object.values(this.points));
    for (const m of this.markers) {
      if (taken.some((p) => Math.hypot(p[0] - m[0], p[1] - m[1]) < 2)) continue;
      const [x, y] = S(m);
      out.push(`<circle class="mk" cx="${x}" cy="${y}" r="4.5"/>`);
    }
    if (this.mode !== "landmarks") return;
    for (const [id, s] of waiting) {
      const [x, y] = S([s.x, s.y]);
      const prompted = id === this.active;
      const r = prompted ? 8 : 6;
      out.push(`<circle class="sg-halo" cx="${x}" cy="${y}" r="${r}"/>`);
      out.push(`<circle class="sg ${s.from === "pose" ? "pose" : "marker"}${prompted ? " prompted" : ""}" data-sid="${esc(id)}" cx="${x}" cy="${y}" r="${r}"/>`);
      if (prompted || id === this.hoverSid) label([s.x, s.y], `${this.info[id].short}?`);
    }
  }

  drawLoupe() {
    const el = this.loupe;
    const img = this.img;
    const pr = this.press;
    const panning = pr && pr.kind === "bg" && pr.moved;
    if (!this.hover || panning || !img.complete || !img.naturalWidth) {
      el.style.display = "none";
      return;
    }
    const d = this.data;
    const [hx, hy] = this.hover;
    const c = pr && pr.kind === "point" && pr.moved ? this.points[pr.id] : this.toImg(hx, hy);
    const m = this.k * LOUPE_ZOOM; // loupe px per image px
    const dpr = window.devicePixelRatio || 1;
    if (el.width !== LOUPE * dpr) {
      el.width = LOUPE * dpr;
      el.height = LOUPE * dpr;
    }
    const ctx = el.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#2a2e35";
    ctx.fillRect(0, 0, LOUPE, LOUPE);
    // the source: the sharpest full-resolution tile covering the loupe's field, else the display copy
    const r = LOUPE / 2 / m;
    const tile = this.tileCovering([c[0] - r, c[1] - r, c[0] + r, c[1] + r], 0);
    const src = tile ? tile.img : img;
    const f = tile ? tile.s : img.naturalWidth / d.width; // source px per image px
    const ox = tile ? tile.x : 0;
    const oy = tile ? tile.y : 0;
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.setTransform((dpr * m) / f, 0, 0, (dpr * m) / f, dpr * (LOUPE / 2 - (c[0] - ox) * m), dpr * (LOUPE / 2 - (c[1] - oy) * m));
    ctx.drawImage(src, 0, 0);
    ctx.restore();
    el.dataset.source = tile ? "tile" : "display";
    const L = (p) => [(p[0] - c[0]) * m + LOUPE / 2, (p[1] - c[1]) * m + LOUPE / 2];
    const anchor = this.plumbAnchor();
    if (anchor) {
      const up = this.upDir();
      const a = L([anchor[0] - up[0] * 1e4, anchor[1] - up[1] * 1e4]);
      const b = L([anchor[0] + up[0] * 1e4, anchor[1] + up[1] * 1e4]);
      ctx.strokeStyle = "rgba(224,64,251,0.9)";
      ctx.setLineDash([8, 5]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const colours = { r: "#ff7a1a", l: "#2f8cff", m: "#2ec27e", c: "#19c3e6" };
    for (const [id, p] of Object.entries(this.points)) {
      const info = this.info[id];
      if (!info || this.hidden.has(id)) continue;
      const [x, y] = L(p);
      if (x < -10 || y < -10 || x > LOUPE + 10 || y > LOUPE + 10) continue;
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, Math.PI * 2);
      ctx.fillStyle = colours[info.kind === "cal" ? "c" : info.side] || "#fff";
      ctx.fill();
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
    for (const [, s] of this.waitingSuggestions()) {
      const [x, y] = L([s.x, s.y]);
      if (x < -10 || y < -10 || x > LOUPE + 10 || y > LOUPE + 10) continue;
      ctx.beginPath();
      ctx.arc(x, y, 6, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = s.from === "pose" ? "#a66bff" : "#ff3ea5";
      ctx.stroke();
    }
    // crosshair (gap in the middle so the exact spot stays visible)
    const h = LOUPE / 2;
    ctx.strokeStyle = "rgba(255,255,255,0.95)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const [x1, y1, x2, y2] of [[h - 22, h, h - 4, h], [h + 4, h, h + 22, h], [h, h - 22, h, h - 4], [h, h + 4, h, h + 22]]) {
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
    }
    ctx.stroke();
    ctx.strokeStyle = "rgba(0,0,0,0.6)";
    ctx.strokeRect(h - 0.5, h - 0.5, 1, 1);
    const [w, hh] = this.stageSize();
    let left = hx + 26;
    let top = hy + 26;
    if (left + LOUPE > w) left = hx - 26 - LOUPE;
    if (top + LOUPE > hh) top = hy - 26 - LOUPE;
    el.style.left = `${Math.max(0, left)}px`;
    el.style.top = `${Math.max(0, top)}px`;
    el.style.display = "block";
  }
}

for (const name of Object.getOwnPropertyNames(EditorDrawing.prototype)) {
  if (name !== "constructor") Editor.prototype[name] = EditorDrawing.prototype[name];
}
