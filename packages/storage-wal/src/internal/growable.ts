/** A growable array of u32 (8 bytes per entry for offset + length is what the index costs). */
export class U32List {
  data: Uint32Array;
  length = 0;
  constructor(capacity = 16) {
    this.data = new Uint32Array(capacity);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  get(k: number): number {
    return this.data[k] as number;
  }
}
