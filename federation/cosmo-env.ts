/** How `npm run compose:cosmo` runs wgc: its release, and the environment that keeps it quiet. */

/** The wgc release this project was checked with. */
export const WGC_VERSION = '0.112.7';

/**
 * wgc checks for updates and sends usage telemetry unless told not to; npx checks for a newer npm. Nothing this
 * project runs talks to anything but the registry it installs from (the user's environment can still turn any of
 * these back on).
 */
export const WGC_QUIET = {
  DISABLE_UPDATE_CHECK: 'true',
  COSMO_TELEMETRY_DISABLED: 'true',
  DO_NOT_TRACK: '1',
  npm_config_update_notifier: 'false',
  ...Object.fromEntries(
    ['DISABLE_UPDATE_CHECK', 'COSMO_TELEMETRY_DISABLED', 'DO_NOT_TRACK'].flatMap((k) =>
      process.env[k] !== undefined ? [[k, process.env[k]!]] : [],
    ),
  ),
} as const;
