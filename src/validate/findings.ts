/** One problem `hlsaudio validate` found: where (a path relative to the output folder, a line) and what. */
export interface Finding {
  severity: 'error' | 'warning';
  /** A stable name for the rule broken, such as `byterange-gap` or `EXT-X-VERSION`. */
  rule: string;
  file: string;
  line?: number;
  message: string;
}

/** Collects findings for one file. */
export class FindingList {
  readonly items: Finding[] = [];

  error(rule: string, file: string, message: string, line?: number): void {
    this.items.push(line === undefined ? { severity: 'error', rule, file, message } : { severity: 'error', rule, file, line, message });
  }

  warning(rule: string, file: string, message: string, line?: number): void {
    this.items.push(line === undefined ? { severity: 'warning', rule, file, message } : { severity: 'warning', rule, file, line, message });
  }

  get errors(): Finding[] {
    return this.items.filter((finding) => finding.severity === 'error');
  }

  get warnings(): Finding[] {
    return this.items.filter((finding) => finding.severity === 'warning');
  }
}
