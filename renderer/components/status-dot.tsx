/** A small coloured dot with its meaning as text for assistive technology. */

/** Props of a status dot. */
export interface StatusDotProps {
  readonly tone: 'ok' | 'busy' | 'warn' | 'error' | 'off';
  readonly label: string;
}

/** A status dot. */
export function StatusDot({ tone, label }: StatusDotProps) {
  return <span className={`dot dot--${tone}`} role="img" aria-label={label} title={label} />;
}
