/** One problem the packaging check found: which check, and a message that says what to do. */
export interface Finding {
  readonly check: 'build' | 'contents' | 'window' | 'native' | 'imports' | 'dependencies' | 'load' | 'fuses' | 'integrity' | 'size';
  readonly message: string;
}
