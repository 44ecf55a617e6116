/** A thin progress bar; indeterminate (striped) when the fraction is unknown. */

/** Props of a progress bar. */
export interface ProgressBarProps {
  /** 0…1, or null when unknown. */
  readonly fraction: number | null;
  readonly tone: string;
  readonly label: string;
  /** Work goes on past the bar's end (verifying, finalizing): the full bar moves. */
  readonly busy?: boolean;
}

/** A progress bar with an accessible value. */
export function ProgressBar({ fraction, tone, label, busy = false }: ProgressBarProps) {
  const percent = fraction === null ? null : Math.round(fraction * 1000) / 10;
  return (
    <div
      className={`progress progress--${tone}${percent === null ? ' progress--unknown' : ''}${busy ? ' progress--busy' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
    >
      <div className="progress__fill" style={{ width: percent === null ? '100%' : `${percent}%` }} />
    </div>
  );
}
