/**
 * Synthesised sentences kept in memory, least recently used out first, bounded by bytes. Telephony
 * repeats itself (greetings, "one moment", FAQ answers), and a cached sentence streams at once.
 */
export interface PcmCacheStats {
  entries: number;
  bytes: number;
  max_bytes: number;
  hits: number;
  misses: number;
  evictions: number;
  hit_ratio: number;
}

export class PcmCache {
  readonly #map = new Map<string, Int16Array>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): Int16Array | undefined {
    const v = this.#map.get(key);
    if (v) {
      this.#hits++;
      this.#map.delete(key);
      this.#map.set(key, v);
    } else this.#misses++;
    return v;
  }

  set(key: string, pcm: Int16Array): void {
    if (pcm.byteLength > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.byteLength;
      this.#map.delete(key);
    }
    this.#map.set(key, pcm);
    this.#bytes += pcm.byteLength;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.byteLength;
      this.#evictions++;
    }
  }

  clear(): number {
    const n = this.#map.size;
    this.#map.clear();
    this.#bytes = 0;
    return n;
  }

  stats(): PcmCacheStats {
    const lookups = this.#hits + this.#misses;
    return {
      entries: this.#map.size,
      bytes: this.#bytes,
      max_bytes: this.maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      hit_ratio: lookups ? Math.round((this.#hits / lookups) * 1000) / 1000 : 0,
    };
  }
}
