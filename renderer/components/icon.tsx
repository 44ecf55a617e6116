/** Small line icons as inline SVG (no icon font, no emoji: they render the same on every OS). */

/** Icon names. */
export type IconName = 'pause' | 'resume' | 'cancel' | 'retry' | 'remove' | 'reveal' | 'up' | 'down' | 'expand' | 'collapse' | 'settings';

const PATHS: Record<IconName, string> = {
  pause: 'M5 3v10M11 3v10',
  resume: 'M5 3l8 5-8 5z',
  cancel: 'M4 4l8 8M12 4l-8 8',
  retry: 'M13 8a5 5 0 1 1-1.5-3.5M13 2v3h-3',
  remove: 'M3 4h10M6 4V2.5h4V4M4.5 4l.7 9.5h5.6l.7-9.5',
  reveal: 'M2 4.5h4l1.5 1.5H14v7H2z',
  up: 'M4 10l4-4 4 4',
  down: 'M4 6l4 4 4-4',
  expand: 'M4 6l4 4 4-4',
  collapse: 'M4 10l4-4 4 4',
  settings: 'M8 5.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5zM8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.5 1.5M11.5 11.5L13 13M3 13l1.5-1.5M11.5 4.5L13 3',
};

/** An icon; decorative (the button around it carries the label). */
export function Icon({ name, size = 14 }: { readonly name: IconName; readonly size?: number }) {
  return (
    <svg className="svg-icon" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill={name === 'resume' ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
