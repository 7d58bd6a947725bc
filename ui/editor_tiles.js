// Posture landmark editor, part 3: full-resolution detail. ui/editor.py appends this file to editor.js (one ES
// module), after editor_draw.js; its methods join the Editor class.
//
// Full-resolution detail (issue 11): above the display copy's resolution the editor asks the server for crops of the
// upright original (setStateValue("tile", {id, image_id, x, y, w, h, s})); the answer comes back as data.tile and is
// drawn over the display copy, in the photo and in the magnifier. s = tile px per original px (a power of 2, ≤ 1).
const TILE_MAX = 2048; // tile px per side
const TILE_GRID = 64; // original px: a tile's rectangle snaps outwards to this grid, so small pans reuse it
const TILE_CACHE = 8; // tiles kept in the browser
const TILE_WAIT_MS = 140; // the view rests this long before a tile is asked for
const TILE_RETRY_MS = 3000; // an unanswered request is asked again after this long

const PHOTO_CACHE = 8; // display copies kept in the page (by photo digest), for later drawings and remounts

class EditorTiles {
  // The photo's display copy: the server sends it once per photo (data.image); the page keeps it, so later
  // drawings and a remounted editor reuse it. A page without it asks for it (setStateValue("photo", ...)), and
  // again after TILE_RETRY_MS if the answer was lost. True when the photo is set.
  takePhoto(d) {
    const cache = (window.__posturePhotos = window.__posturePhotos || new Map());
    if (d.image) {
      cache.delete(d.image_id);
      cache.set(d.image_id, d.image);
      while (cache.size > PHOTO_CACHE) cache.delete(cache.keys().next().value);
    }
    const url = cache.get(d.image_id);
    clearTimeout(this.photoTimer);
    if (!url) {
      const now = Date.now();
      if (this.sendPhoto && (this.photoAsked !== d.image_id || now - this.photoAskedAt > TILE_RETRY_MS)) {
        this.photoAsked = d.image_id;
        this.photoAskedAt = now;
        this.photoAsks = (this.photoAsks || 0) + 1;
        this.sendPhoto({ image_id: d.image_id, n: this.photoAsks, nonce: this.nonce });
      }
      this.photoTimer = setTimeout(() => this.data && this.update(this.data), TILE_RETRY_MS + 100);
      return false;
    }
    this.imageId = d.image_id;
    this.photo.setAttribute("href", url);
    this.photo.setAttribute("width", d.width);
    this.photo.setAttribute("height", d.height);
    this.img.src = url;
    return true;
  }

  // Display-copy px per original px (the browser's copy is smaller than the original).
  displayScale() {
    return this.data.display_scale || 1;
  }

  // Tile px per original px the screen needs at screen scale `k` (a power of 2, at most 1), or 0 when the
  // display copy is already sharp enough.
  neededScale(k) {
    const px = k * (window.devicePixelRatio || 1);
    if (px <= this.displayScale() * 1.02) return 0;
    return Math.min(1, 2 ** Math.ceil(Math.log2(px)));
  }

  // The tile to ask for so that `core` (original px: [x0, y0, x1, y1]) is shown at scale s: the core with a margin,
  // at most TILE_MAX tile px per side, snapped outwards to the grid. Returns {x, y, w, h, s, core} or null.
  tileFor(core, s, margin) {
    const d = this.data;
    const cap = TILE_MAX / s;
    const cx = (core[0] + core[2]) / 2;
    const cy = (core[1] + core[3]) / 2;
    const half = (lo, hi) => Math.min((hi - lo) / 2 + margin, cap / 2);
    const hw = half(core[0], core[2]);
    const hh = half(core[1], core[3]);
    const g = TILE_GRID;
    let x0 = Math.max(0, Math.floor((cx - hw) / g) * g);
    let y0 = Math.max(0, Math.floor((cy - hh) / g) * g);
    let x1 = Math.min(d.width, Math.ceil((cx + hw) / g) * g);
    let y1 = Math.min(d.height, Math.ceil((cy + hh) / g) * g);
    // snapping may overshoot the cap by a grid step: trim it back
    if ((x1 - x0) * s > TILE_MAX) x1 = x0 + Math.floor(cap);
    if ((y1 - y0) * s > TILE_MAX) y1 = y0 + Math.floor(cap);
    if (x1 - x0 < 1 || y1 - y0 < 1) return null;
    const inner = [Math.max(core[0], x0), Math.max(core[1], y0), Math.min(core[2], x1), Math.min(core[3], y1)];
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0, s, core: inner };
  }

  // What should be sharp now: the visible part of the photo when zoomed past the display copy, else the
  // magnifier's field under the pointer when the magnifier is past it.
  wantedTile() {
    const d = this.data;
    if (!d || !this.img.naturalWidth) return null;
    const [w, h] = this.stageSize();
    const sView = this.neededScale(this.k);
    if (sView) {
      const a = this.toImg(0, 0);
      const b = this.toImg(w, h);
      const core = [Math.max(0, a[0]), Math.max(0, a[1]), Math.min(d.width, b[0]), Math.min(d.height, b[1])];
      if (core[2] > core[0] && core[3] > core[1]) {
        const t = this.tileFor(core, sView, Math.max(core[2] - core[0], core[3] - core[1]) * 0.25);
        if (t && !this.tileCovering(t.core, t.s)) return t;
      }
    }
    const m = this.k * LOUPE_ZOOM;
    const sLoupe = this.neededScale(m);
    if (sLoupe && this.hover) {
      const c = this.toImg(this.hover[0], this.hover[1]);
      const r = LOUPE / 2 / m;
      const core = [c[0] - r, c[1] - r, c[0] + r, c[1] + r];
      if (core[2] < 0 || core[3] < 0 || core[0] > d.width || core[1] > d.height) return null;
      const t = this.tileFor(core, sLoupe, Math.max(3 * r, 256));
      if (t && !this.tileCovering(t.core, t.s)) return t;
    }
    return null;
  }

  // The sharpest loaded tile of at least scale s that covers rectangle r, or null.
  tileCovering(r, s) {
    let best = null;
    for (const t of this.tiles) {
      if (!t.ready || t.s < s * 0.999) continue;
      if (t.x <= r[0] + 1e-6 && t.y <= r[1] + 1e-6 && t.x + t.w >= r[2] - 1e-6 && t.y + t.h >= r[3] - 1e-6) {
        if (!best || t.s > best.s) best = t;
      }
    }
    return best;
  }

  scheduleTiles() {
    clearTimeout(this.tileTimer);
    this.tileTimer = setTimeout(() => this.requestTile(), TILE_WAIT_MS);
  }

  requestTile() {
    this.tileTimer = 0;
    if (this.press && this.press.moved) return; // asked for when the gesture ends
    const t = this.wantedTile();
    if (!t || !this.sendTile) return;
    const q = this.tileReq;
    const same = q && q.x === t.x && q.y === t.y && q.w === t.w && q.h === t.h && q.s === t.s;
    if (same && Date.now() - q.at < TILE_RETRY_MS) return;
    this.tileSeq += 1;
    this.tileReq = { id: `${this.nonce}.${this.tileSeq}`, image_id: this.imageId, x: t.x, y: t.y, w: t.w, h: t.h, s: t.s, at: Date.now() };
    const { at, ...req } = this.tileReq;
    this.sendTile(req);
  }

  // A tile from the server (data.tile): keep it (the newest TILE_CACHE) and draw it once decoded.
  takeTile(t) {
    if (!t || t.image_id !== this.imageId || this.tiles.some((o) => o.id === t.id)) return;
    if (this.tileReq && this.tileReq.id === t.id) this.tileReq = null;
    const tile = { ...t, ready: false, img: new Image() };
    tile.img.onload = () => {
      tile.ready = true;
      this.tilesDirty = true;
      this.draw();
    };
    tile.img.src = t.url;
    this.tiles.push(tile);
    while (this.tiles.length > TILE_CACHE) this.tiles.shift();
    this.tilesDirty = true;
  }

  // The loaded tiles as SVG images in original-pixel coordinates, coarse first so the sharpest is on top.
  renderTiles() {
    if (!this.tilesDirty) return;
    this.tilesDirty = false;
    const ready = this.tiles.filter((t) => t.ready).sort((a, b) => a.s - b.s);
    this.tilesG.innerHTML = ready
      .map((t) => `<image href="${t.url}" x="${t.x}" y="${t.y}" width="${t.w}" height="${t.h}" preserveAspectRatio="none" data-tile="${esc(t.id)}"></image>`)
      .join("");
    this.root.dataset.tiles = String(ready.length);
    this.root.dataset.tileScale = ready.length ? String(Math.max(...ready.map((t) => t.s))) : "0";
  }
}

for (const name of Object.getOwnPropertyNames(EditorTiles.prototype)) {
  if (name !== "constructor") Editor.prototype[name] = EditorTiles.prototype[name];
}
