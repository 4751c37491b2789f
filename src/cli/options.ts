import { optionError } from '../errors.js';

/** A number option within bounds; `Expected \`--x\` to be …, got …` otherwise. */
export function numberOption(name: string, value: unknown, { min, max, integer = false }: { min: number; max: number; integer?: boolean }): number {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
    throw optionError(name, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
  }
  return parsed;
}

export function listOption(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
