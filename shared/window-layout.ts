/** The window's layout bounds that main keeps in the settings and the window applies. Plain data. */

/** The left pane's width bounds (CSS px); the window narrows it further when the queue needs the room. */
export const SIDEBAR_WIDTH = { min: 260, default: 380, max: 720 } as const;
