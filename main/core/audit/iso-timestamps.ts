/** Date#toISOString, computed once per second: the proxy writes many lines a second. */
export class IsoTimestamps {
  private second = Number.NaN;
  private prefix = '';

  of(ms: number): string {
    if (!Number.isInteger(ms)) return new Date(ms).toISOString();
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const iso = new Date(ms).toISOString();
      this.second = second;
      this.prefix = iso.slice(0, -4);
      return iso;
    }
    const milli = ms - second * 1000;
    return `${this.prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}
