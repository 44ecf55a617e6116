/**
 * The side effects of the queue besides the store and the runner: keeping the machine awake while
 * bytes move, and telling the user when a batch is done or a job failed. Each host brings its own
 * (Electron: powerSaveBlocker and Notification; the CLI: systemd-inhibit and a terminal line).
 */

/** Keeps the computer from sleeping. The queue calls it only on changes. */
export interface PowerPort {
  /** true while at least one transfer moves bytes, false when none does. */
  setAwake(awake: boolean): void;
}

/** A notification for the user. */
export interface QueueNotification {
  readonly kind: 'all-done' | 'job-failed';
  readonly title: string;
  readonly body: string;
}

/** Shows notifications (desktop notifications in the app, a line in the CLI). */
export interface NotificationPort {
  notify(notification: QueueNotification): void;
}

/** A power port that does nothing (tests, hosts that cannot block sleep). */
export const noPower: PowerPort = { setAwake: () => {} };

/** A notification port that does nothing. */
export const noNotifications: NotificationPort = { notify: () => {} };
