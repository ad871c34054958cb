/** What loading a bad design file gives: one line, a UsageError (tests of design files). */
import { expect } from 'vitest';
import { loadDesignFile } from '../../src/design/design-file.js';
import { UsageError } from '../../src/errors.js';

/** The one-line message a bad file gets. */
export function refusal(file: string): string {
  try {
    loadDesignFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message.split('\n')).toHaveLength(1);
    return (error as Error).message;
  }
  throw new Error(`${file} was accepted`);
}
