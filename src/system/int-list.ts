/** A growable list of 32-bit integers in one typed array (no per-element objects). */
export class IntList {
  private data = new Int32Array(1024);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.size++] = value;
  }

  get(index: number): number {
    return this.data[index]!;
  }

  /** A copy of the values. */
  toArray(): Int32Array {
    return this.data.slice(0, this.size);
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}
